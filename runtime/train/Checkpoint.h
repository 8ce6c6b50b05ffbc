// Checkpoint.h — atomic, checksummed checkpoint folders (no LibTorch).
//
// Layout: <dir>/step_00001000/ holds the files a writer callback puts there plus
// MANIFEST.json {"format":1,"step":1000,"files":{"model.pt":"<sha256>",...}}. A save writes
// into <dir>/.tmp-step_00001000/, hashes every file, writes the manifest last, then renames
// the folder into place (rename(2) is atomic on one filesystem), so a crash mid-save never
// leaves a folder that looks complete. `keep > 0` prunes the oldest complete checkpoints.
// `verify` recomputes every hash; a mismatch or a missing file is a UserError naming the
// file. What goes inside (model, optimizer, RNG, sampler, policies) is the trainer's
// business: see runtime/train/TrainState.h and docs/runtime.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

namespace recipec::train {

class Checkpointer {
 public:
  Checkpointer(std::string dir, int64_t keep);

  // Calls `write(folder)` to fill a fresh temporary folder, then seals and publishes it.
  // Returns the final folder path. An exception from `write` removes the temporary folder.
  std::string save(int64_t step, const std::function<void(const std::string&)>& write);

  // Complete checkpoints (with a MANIFEST.json), oldest first.
  std::vector<std::string> list() const;
  std::optional<std::string> latest() const;
  // Every step_* folder, sealed or not, newest first (what a resume tries, in order).
  std::vector<std::string> candidates() const;
  // Moves a damaged checkpoint aside to damaged-step_XXXXXXXX (kept for inspection, never
  // loaded or overwritten); returns the new path.
  std::string setAside(const std::string& folder) const;

  // Throws UserError when a file is missing or its sha256 differs from the manifest.
  static void verify(const std::string& folder);
  static int64_t stepOf(const std::string& folder);  // from MANIFEST.json

  const std::string& dir() const { return dir_; }

 private:
  void prune();
  std::string dir_;
  int64_t keep_;
};

// A checkpoint file written through a std::ostream that never fails mid-write: LibTorch's
// archive writer ends the process when a write fails inside its destructor (a full disk
// was SIGABRT), so the first error is kept here instead and `close()` reports it as a
// UserError naming the file, after an fsync. Usable for any writer that takes an ostream.
class CheckedFile {
 public:
  explicit CheckedFile(const std::string& path);
  ~CheckedFile();
  CheckedFile(const CheckedFile&) = delete;
  CheckedFile& operator=(const CheckedFile&) = delete;
  std::ostream& stream();
  void close();

 private:
  struct Buf;
  std::string path_;
  std::unique_ptr<Buf> buf_;
  std::unique_ptr<std::ostream> os_;
};

void writeFileChecked(const std::string& path, const std::string& bytes);

}  // namespace recipec::train
