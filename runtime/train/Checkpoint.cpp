// Checkpoint.cpp — see Checkpoint.h.
#include "runtime/train/Checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/train/Errors.h"
#include "runtime/data/Sha256.h"

namespace fs = std::filesystem;

namespace recipec::train {
namespace {
constexpr int kFormat = 1;

std::string stepName(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%08lld", (long long)step);
  return buf;
}

// Flushes a file or folder to disk so the rename publishes data that survives a crash.
void fsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

nlohmann::json readManifest(const std::string& folder) {
  const std::string path = folder + "/MANIFEST.json";
  std::ifstream in(path);
  if (!in) throw UserError("checkpoint `" + folder + "` has no MANIFEST.json (incomplete save?)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UserError("checkpoint manifest `" + path + "` is corrupt: " + e.what());
  }
}
}  // namespace

Checkpointer::Checkpointer(std::string dir, int64_t keep) : dir_(std::move(dir)), keep_(keep) {}

std::string Checkpointer::save(int64_t step,
                               const std::function<void(const std::string&)>& write) {
  fs::create_directories(dir_);
  const std::string name = stepName(step);
  const std::string tmp = dir_ + "/.tmp-" + name;
  const std::string final_dir = dir_ + "/" + name;
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    write(tmp);
    nlohmann::json files = nlohmann::json::object();
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(tmp)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      fsyncPath(tmp + "/" + n);
      files[n] = data::sha256File(tmp + "/" + n);
    }
    nlohmann::json manifest{{"format", kFormat}, {"step", step}, {"files", files}};
    writeFileChecked(tmp + "/MANIFEST.json", manifest.dump(2) + "\n");
    fsyncPath(tmp);
    // A checkpoint of the same step (a rollback replays it) is replaced, not duplicated.
    if (fs::exists(final_dir)) fs::remove_all(final_dir);
    fs::rename(tmp, final_dir);
    fsyncPath(dir_);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  prune();
  return final_dir;
}

std::vector<std::string> Checkpointer::list() const {
  std::vector<std::string> out;
  for (const auto& folder : candidates())
    if (fs::exists(fs::path(folder) / "MANIFEST.json")) out.push_back(folder);
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

std::vector<std::string> Checkpointer::candidates() const {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return {};
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("step_", 0) != 0 || n.size() < 13 || !e.is_directory()) continue;
    if (n.find_first_not_of("0123456789", 5) != std::string::npos) continue;
    found.emplace_back(std::stoll(n.substr(5)), e.path().string());
  }
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

std::string Checkpointer::setAside(const std::string& folder) const {
  const fs::path from(folder);
  fs::path to = from.parent_path() / ("damaged-" + from.filename().string());
  for (int i = 2; fs::exists(to); ++i) to = from.parent_path() / ("damaged-" + from.filename().string() + "-" + std::to_string(i));
  fs::rename(from, to);
  return to.string();
}

std::optional<std::string> Checkpointer::latest() const {
  auto all = list();
  if (all.empty()) return std::nullopt;
  return all.back();
}

void Checkpointer::prune() {
  if (keep_ <= 0) return;
  auto all = list();
  for (size_t i = 0; i + size_t(keep_) < all.size(); ++i) fs::remove_all(all[i]);
}

void Checkpointer::verify(const std::string& folder) {
  const auto manifest = readManifest(folder);
  if (!manifest.contains("format") || manifest["format"].get<int>() > kFormat)
    throw UserError("checkpoint `" + folder + "` has an unknown format");
  for (const auto& [name, digest] : manifest.at("files").items()) {
    const std::string path = folder + "/" + name;
    if (!fs::exists(path)) throw UserError("checkpoint file `" + path + "` is missing");
    const std::string got = data::sha256File(path);
    if (got != digest.get<std::string>())
      throw UserError("checkpoint file `" + path + "` is corrupt: sha256 " + got +
                      " differs from the manifest's " + digest.get<std::string>());
  }
}

int64_t Checkpointer::stepOf(const std::string& folder) {
  return readManifest(folder).at("step").get<int64_t>();
}

struct CheckedFile::Buf : std::streambuf {
  int fd = -1;
  int error = 0;  // first errno
  std::vector<char> space = std::vector<char>(1 << 20);
  Buf() { setp(space.data(), space.data() + space.size()); }
  bool drain() {
    const char* p = pbase();
    size_t n = size_t(pptr() - pbase());
    while (n > 0 && error == 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error = w < 0 ? errno : EIO;
        break;
      }
      p += w;
      n -= size_t(w);
    }
    setp(space.data(), space.data() + space.size());
    return true;  // never fail the writer: the error is reported by close()
  }
  int overflow(int c) override {
    drain();
    if (c != traits_type::eof()) {
      *pptr() = char(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }
};

CheckedFile::CheckedFile(const std::string& path) : path_(path), buf_(std::make_unique<Buf>()) {
  buf_->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (buf_->fd < 0) throw UserError("cannot create `" + path + "`: " + std::strerror(errno));
  os_ = std::make_unique<std::ostream>(buf_.get());
}

CheckedFile::~CheckedFile() {
  if (buf_ && buf_->fd >= 0) ::close(buf_->fd);
}

std::ostream& CheckedFile::stream() { return *os_; }

void CheckedFile::close() {
  os_->flush();
  buf_->drain();
  int err = buf_->error;
  if (err == 0 && ::fsync(buf_->fd) != 0) err = errno;
  if (::close(buf_->fd) != 0 && err == 0) err = errno;
  buf_->fd = -1;
  if (err != 0) throw UserError("cannot write `" + path_ + "`: " + std::strerror(err));
}

void writeFileChecked(const std::string& path, const std::string& bytes) {
  CheckedFile f(path);
  f.stream().write(bytes.data(), std::streamsize(bytes.size()));
  f.close();
}

}  // namespace recipec::train
