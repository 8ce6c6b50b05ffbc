// Checkpoint.cpp — see Checkpoint.h.
#include "runtime/train/Checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

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
    {
      std::ofstream out(tmp + "/MANIFEST.json");
      out << manifest.dump(2) << "\n";
      if (!out) throw std::runtime_error("cannot write `" + tmp + "/MANIFEST.json`");
    }
    fsyncPath(tmp + "/MANIFEST.json");
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
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return {};
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("step_", 0) != 0 || !fs::exists(e.path() / "MANIFEST.json")) continue;
    found.emplace_back(std::stoll(n.substr(5)), e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
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

}  // namespace recipec::train
