// Metrics.cpp — see Metrics.h.
#include "runtime/train/Metrics.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "runtime/train/Errors.h"

namespace recipec::train {

MetricsLog::MetricsLog(const std::string& path, int64_t truncate_to) : path_(path) {
  if (truncate_to >= 0 && std::filesystem::exists(path)) {
    if (int64_t(std::filesystem::file_size(path)) < truncate_to)
      throw UserError("metrics log `" + path + "` is shorter than the checkpoint recorded (" +
                      std::to_string(truncate_to) + " bytes)");
    std::filesystem::resize_file(path, uintmax_t(truncate_to));
  }
  f_ = std::fopen(path.c_str(), "ab");
  if (!f_) throw UserError("cannot open metrics log `" + path + "`");
  position_ = int64_t(std::filesystem::file_size(path));
}

MetricsLog::~MetricsLog() {
  if (f_) std::fclose(f_);
}

void MetricsLog::write(const nlohmann::json& record) {
  // Non-finite numbers have no JSON form; dump() would write null. Keep that (a NaN loss
  // is logged as null) rather than failing the run over a log line.
  const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0)
    throw UserError("cannot append to metrics log `" + path_ + "`");
  position_ += int64_t(line.size());
}

Progress::Progress() {
  const char* env = std::getenv("RECIPEC_PROGRESS");
  tty_ = env ? std::string(env) == "1" : ::isatty(STDERR_FILENO) == 1;
}

void Progress::update(int64_t step, int64_t total, double loss, double tokens_per_s, double eta_s) {
  if (!tty_) return;
  std::fprintf(stderr, "\r\033[Kstep %lld/%lld | loss %.4f | %s tok/s | ETA %s",
               (long long)step, (long long)total, loss, formatCount(tokens_per_s).c_str(),
               formatDuration(eta_s).c_str());
  std::fflush(stderr);
  pending_ = true;
}

void Progress::println(const std::string& line) {
  if (pending_) std::fputs("\r\033[K", stderr);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  pending_ = false;
}

void Progress::finish() {
  if (pending_) std::fputs("\n", stderr);
  pending_ = false;
}

std::string formatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[32];
  const long long t = (long long)std::llround(s);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%llds", t);
  return buf;
}

std::string formatCount(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace recipec::train
