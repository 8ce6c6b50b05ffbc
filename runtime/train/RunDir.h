// RunDir.h — the run directory: what produced a run, its metrics and its checkpoints.
//
// Layout (docs/runtime.md):
//   <run>/recipe.recipe     copy of plan.recipe_path when it is readable
//   <run>/plan.json         the resolved plan that ran (durations and totals filled in)
//   <run>/run.json          revision, seeds, device, threads, torch version, command line
//   <run>/metrics.jsonl     one JSON object per line: train / eval / event records
//   <run>/checkpoints/      step_XXXXXXXX/ folders (Checkpoint.h)
// `create` refuses a folder that already exists (UserError, nothing touched); `open` is for
// --resume and needs plan.json to be there, unless the folder is empty (a run killed before
// it wrote anything: `started()` is false and the run starts over in it).
// A run holds `RunLock` on its folder for as long as it runs (flock on <run>/.lock, released
// by the kernel however the process ends): a second run or resume of the same folder is
// refused with the holder's pid.
#pragma once

#include <string>

namespace recipec::train {

class RunDir {
 public:
  static RunDir create(const std::string& dir);
  static RunDir open(const std::string& dir);
  // runs/<recipe>-YYYYmmdd-HHMMSS (a -2, -3 ... suffix if that second is taken).
  static std::string defaultPath(const std::string& recipe_name, const std::string& root = "runs");

  const std::string& path() const { return path_; }
  bool started() const;  // plan.json is there
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string checkpoints() const { return file("checkpoints"); }
  std::string metrics() const { return file("metrics.jsonl"); }

  // Writes via a temporary file and rename, so a reader never sees half a file.
  void writeFile(const std::string& name, const std::string& text) const;

 private:
  explicit RunDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

class RunLock {
 public:
  explicit RunLock(const std::string& run_dir);  // UserError naming the holder when taken
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// The source revision of this build: `git rev-parse HEAD` at build time, "-dirty" when the
// tree had uncommitted changes, "unknown" outside a git checkout.
std::string sourceRevision();

}  // namespace recipec::train
