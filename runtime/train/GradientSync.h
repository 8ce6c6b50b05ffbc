// GradientSync.h — the data-parallel gradient all-reduce, bucketed and overlapped with the
// step's last backward pass.
//
// Contract:
//  * The parameters are grouped once into flat buckets (one dtype and device each) in
//    reverse parameter order, the order in which a backward pass finishes them (the output
//    layers first). A bucket closes once it holds `bucket_bytes` or more (so it passes that
//    by at most one parameter); the first closes at 1 MiB, so that communication starts
//    early. The layout is the same on every rank.
//  * `armForLastBackward()` before this rank's last backward of the step: from then on a
//    hook on each parameter's gradient accumulator copies the finished gradient into its
//    bucket, and a full bucket is launched (Comm::allreduceAsync) while the backward goes
//    on. Buckets are launched strictly in bucket order, so every rank issues the same
//    collectives in the same order whatever the timing of its hooks.
//  * `finish(extra)` after it: the buckets not yet launched (a rank that was not armed, a
//    parameter the step's graph did not reach, e.g. a layer an EST subnet skipped) are
//    filled and launched, then `extra` (per-sample losses, stop flags) in one more launch;
//    all are waited on and the sums copied back. A parameter without a gradient stays
//    without one (its bucket slot carries zeros); which ones have one depends on the step's
//    graph alone, the same on every rank.
//  * The caller arms only where no other collective follows on any rank before `finish`
//    (TrainStep.cpp: not when pools of micro-batches gather their losses across ranks
//    after this rank's last backward).
//  * The result is the sum over ranks, element by element, the same as an all-reduce after
//    the backward (with 2 ranks bit for bit, a + b = b + a). A hook that fires twice for a
//    parameter in one armed backward (a graph that reuses a leaf's accumulator) makes the
//    step fall back to reducing every bucket again after the backward: still correct.
//  * With `overlap` false, nothing is launched during the backward (the all-reduce after it).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/ATen.h>

namespace recipec::train {

class Comm;

class GradientSync {
 public:
  GradientSync(Comm& comm, std::vector<at::Tensor> params, int64_t bucket_bytes, bool overlap);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  void armForLastBackward();
  void finish(std::vector<at::Tensor>& extra);

  size_t buckets() const;
  int64_t bucketBytes(size_t b) const;
  bool overlapping() const;
  // Of the last step: buckets launched while the backward ran, and the seconds `finish`
  // spent waiting for the collectives (communication the backward did not hide).
  int64_t launchedDuringBackward() const;
  double waitSeconds() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace recipec::train
