// Profile.h — `--profile N`: a trace of N training steps that a user can open, and a table of
// where the time went.
//
// Contract:
//  * Steps [first, first + N) are profiled with torch's profiler (CPU operators, and CUDA
//    kernels on a CUDA device where the LibTorch has Kineto). `first` is the run's (or the
//    resume's) second step, so the first step's one-off allocations stay out; a run with a
//    single step left profiles it. A step appears in the trace as a `step K` range (K counts
//    from 1, as the log does).
//  * When the N steps are done (or the loop ends first) the profiler stops and writes, under
//    the run directory's `profile/from_step_<first + 1>/` (a resumed run's profile keeps
//    the earlier one), `trace.json` (`trace_rank<R>.json` for each rank of a data-parallel
//    run): Chrome trace format, for https://ui.perfetto.dev, chrome://tracing or
//    TensorBoard's trace viewer. With Kineto the trace is the profiler's own (with the GPU's
//    kernels); without it (Debian's LibTorch) it is written from the recorded events. Rank
//    0 also writes `summary.txt`, its operators by self time (time in an operator minus the
//    operators it called, summed over its host threads), and logs its head.
//  * Profiling changes no number of the run. A trace that cannot be written is a warning in
//    the log; the run goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace recipec::train {

class StepProfiler {
 public:
  // `log` prints a line (rank 0's log).
  StepProfiler(int64_t steps, std::string dir, int rank, int world, bool cuda, std::function<void(const std::string&)> log);
  ~StepProfiler();

  // The loop's first step is `s`: profiling starts at s + 1 (or s when it is the last).
  void plan(int64_t s, int64_t total);
  // Around each step: true while this step is profiled (the caller opens a `step` range).
  bool beforeStep(int64_t s);
  void afterStep(int64_t s);
  // The loop ended: a profile still running is stopped and written.
  void finish();

 private:
  void stopAndWrite();
  int64_t steps_, first_ = -1, done_ = 0;
  bool running_ = false, written_ = false;
  std::string dir_;
  int rank_, world_;
  bool cuda_;
  std::function<void(const std::string&)> log_;
};

}  // namespace recipec::train
