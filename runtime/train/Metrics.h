// Metrics.h — metrics.jsonl writer and the live progress line.
//
// Contract: MetricsLog appends one JSON object per line and flushes it (a crash loses at
// most the line being written). `position()` is the byte length written so far; a
// checkpoint stores it and a resume truncates the file back to it, so the steps replayed
// after the checkpoint are logged once, identically. Progress writes a `\r`-updated line on
// a terminal and nothing on a pipe (the plain log lines go through `println`).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace recipec::train {

class MetricsLog {
 public:
  // truncate_to >= 0: cut the existing file to that many bytes first (resume).
  MetricsLog(const std::string& path, int64_t truncate_to = -1);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  void write(const nlohmann::json& record);
  int64_t position() const { return position_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  int64_t position_ = 0;
};

class Progress {
 public:
  Progress();  // tty = isatty(stderr), unless RECIPEC_PROGRESS=0|1 says otherwise
  bool tty() const { return tty_; }
  // step/total, loss, tok/s, ETA in seconds; only draws on a tty.
  void update(int64_t step, int64_t total, double loss, double tokens_per_s, double eta_s);
  // A whole line on stderr (clears a pending progress line first).
  void println(const std::string& line);
  void finish();  // ends a pending progress line

 private:
  bool tty_ = false;
  bool pending_ = false;
};

std::string formatDuration(double seconds);  // "1h02m", "3m05s", "12s"
std::string formatCount(double v);           // "12.3k", "4.5M"

}  // namespace recipec::train
