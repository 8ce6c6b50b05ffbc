// RunDir.cpp — see RunDir.h.
#include "runtime/train/RunDir.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "runtime/train/Errors.h"
#include "git_revision.h"  // generated at build time (GitRevision.cmake)

namespace fs = std::filesystem;

namespace recipec::train {

RunDir RunDir::create(const std::string& dir) {
  if (dir.empty()) throw UserError("empty run directory name");
  const fs::path p(dir);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  // mkdir(2), not create_directories: it fails atomically when the folder exists, so two
  // runs can never share one.
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST)
      throw UserError("run directory `" + dir +
                      "` already exists; pass `--resume " + dir +
                      "` to continue it, or choose another --run-dir");
    throw UserError("cannot create run directory `" + dir + "`: " + std::strerror(errno));
  }
  return RunDir(dir);
}

RunDir RunDir::open(const std::string& dir) {
  if (!fs::is_directory(dir)) throw UserError("run directory `" + dir + "` does not exist");
  if (!fs::exists(fs::path(dir) / "plan.json"))
    throw UserError("`" + dir + "` is not a run directory (no plan.json)");
  return RunDir(dir);
}

std::string RunDir::defaultPath(const std::string& recipe_name, const std::string& root) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string base = root + "/" + (recipe_name.empty() ? "run" : recipe_name) + "-" + stamp;
  std::string p = base;
  for (int i = 2; fs::exists(p); ++i) p = base + "-" + std::to_string(i);
  return p;
}

void RunDir::writeFile(const std::string& name, const std::string& text) const {
  const std::string tmp = file("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw UserError("cannot write `" + tmp + "`");
  }
  fs::rename(tmp, file(name));
}

std::string sourceRevision() { return RECIPEC_GIT_REVISION; }

}  // namespace recipec::train
