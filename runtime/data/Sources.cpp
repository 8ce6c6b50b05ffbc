// Sources.cpp — see Sources.h.
#include "runtime/data/Sources.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "runtime/data/DataError.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Sha256.h"
#include "runtime/data/TextInput.h"

namespace fs = std::filesystem;

namespace recipec::data {
namespace {

// sha256 of the first and last MiB: a shard's header, its start and its end.
std::string sampledSha256(const std::string& path, int64_t size) {
  constexpr int64_t kSpan = 1 << 20;
  if (size <= 2 * kSpan) return sha256File(path);
  std::string bytes = readFileRange(path, 0, kSpan) + readFileRange(path, size - kSpan, size);
  return "sampled:" + sha256Hex(bytes.data(), bytes.size());
}

nlohmann::json fileEntry(const std::string& path, bool sampled) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw DataError("cannot read `" + path + "`");
  const int64_t size = int64_t(st.st_size);
  return {{"path", path},
          {"size", size},
          {"mtime", int64_t(st.st_mtime)},
          {"sha256", sampled ? sampledSha256(path, size) : sha256File(path)}};
}

void addDataset(const plan::Dataset& ds, const std::string& base_dir, nlohmann::json& out) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : expandGlobs(ds.paths, base_dir)) files.push_back(fileEntry(f, ds.kind == "shards"));
  out[ds.name] = files;
}

}  // namespace

nlohmann::json sourceFingerprints(const plan::Plan& plan) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& ds : plan.datasets) {
    addDataset(ds, plan.base_dir, out);
    if (!ds.val_paths.empty()) addDataset(valFilesDataset(ds), plan.base_dir, out);
  }
  return out;
}

std::string sourcesChanged(const nlohmann::json& then, const nlohmann::json& now) {
  for (const auto& [name, files] : then.items()) {
    if (!now.contains(name)) return "dataset `" + name + "` is no longer in the plan";
    std::map<std::string, nlohmann::json> current;
    for (const auto& f : now[name]) current[f.value("path", "")] = f;
    for (const auto& f : files) {
      const std::string path = f.value("path", "");
      auto it = current.find(path);
      if (it == current.end()) return "dataset `" + name + "`: `" + path + "` is gone";
      const auto& g = it->second;
      const int64_t a = f.value("size", int64_t(-1)), b = g.value("size", int64_t(-1));
      if (a != b)
        return "dataset `" + name + "`: `" + path + "` " + (b > a ? "grew" : "shrank") + " from " + std::to_string(a) +
               " to " + std::to_string(b) + " bytes";
      if (f.value("sha256", "") != g.value("sha256", ""))
        return "dataset `" + name + "`: `" + path + "` was edited (the same size, different content)";
      current.erase(it);
    }
    if (!current.empty()) return "dataset `" + name + "`: `" + current.begin()->first + "` is new (its patterns match it now)";
  }
  return "";
}

}  // namespace recipec::data
