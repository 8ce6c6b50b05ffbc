// RunDir.cpp — see RunDir.h.
#include "runtime/train/RunDir.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
  if (!fs::exists(fs::path(dir) / "plan.json")) {
    // Empty but for hidden files (the lock, a temporary): a run killed before it wrote
    // its plan. Anything else is not ours to write into.
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string()[0] != '.')
        throw UserError("`" + dir + "` is not a run directory (no plan.json)");
  }
  return RunDir(dir);
}

bool RunDir::started() const { return fs::exists(fs::path(path_) / "plan.json"); }

RunLock::RunLock(const std::string& run_dir) {
  const std::string path = run_dir + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw UserError("cannot open the run lock `" + path + "`: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[64] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw UserError("cannot lock `" + path + "`: " + std::strerror(err));
    std::string holder = n > 0 ? std::string(buf, size_t(n)) : std::string("unknown");
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    throw UserError("run directory `" + run_dir + "` is in use by another run (pid " + holder +
                    "); wait for it to end or stop it (`kill -TERM " + holder + "` saves a checkpoint), then resume");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
    // The lock holds without the pid; only the refusal message of a second run is poorer.
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
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
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw UserError("cannot write `" + tmp + "` (" + std::strerror(errno) + ")");
    }
  }
  fs::rename(tmp, file(name));
}

std::string sourceRevision() { return RECIPEC_GIT_REVISION; }

}  // namespace recipec::train
