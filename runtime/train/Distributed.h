// Distributed.h — the trainer's view of data-parallel training: who am I, how many are we,
// and the few collectives a step needs (the gradients' bucketed all-reduce is GradientSync.h).
// Built on torch's c10d (DistributedC10d.cpp: Gloo on CPU, NCCL on CUDA where the LibTorch has
// it); this header includes nothing of c10d.
//
// Contract:
//  * `joinGroup(device, timeout_s, always)` reads the launcher's environment (RANK,
//    WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT: torchrun's, or `recipec run --nproc
//    N`'s). With none set, or WORLD_SIZE=1, it returns the single-process group (every
//    collective is the identity, nothing is started), unless `always`: then a world of one
//    is a real c10d group too (on 127.0.0.1 and a free port unless the variables say
//    otherwise), so that the group's own cost can be measured against no group. Otherwise it rendezvouses over a TCPStore hosted by
//    rank 0 and builds the process group. A peer that never arrives is an error naming the
//    missing ranks after `timeout_s`; a malformed variable is an error naming it.
//  * Every collective is called by every rank in the same order (the trainer guarantees it:
//    all its decisions read all-reduced values). Collectives wait at most `timeout_s`.
//  * A collective that fails (a peer died, or hung past the timeout) throws PeerError
//    naming the rank(s) that are gone, found from heartbeats every rank keeps in the store;
//    after that the group is unusable and is abandoned, never joined (no hang at exit).
//  * A rank that fails on its own (a UserError in this rank) calls `reportFailure(msg)`
//    before exiting, so its peers name it and quote the message.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "runtime/train/Errors.h"

namespace recipec::train {

// A peer is gone or a collective timed out: exit 1 with the message (names the rank).
struct PeerError : UserError {
  using UserError::UserError;
};

enum class ReduceOp { kSum, kMax };

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  virtual int localRank() const = 0;
  virtual std::string backend() const = 0;  // "none" | "gloo" | "nccl"
  bool lead() const { return rank() == 0; }
  // In a process group (c10d), even one of a single rank: the collectives run for real.
  bool distributed() const { return backend() != "none"; }

  // In place, on every rank. Tensors are contiguous, on the training device.
  virtual void allreduce(std::vector<at::Tensor>& tensors, ReduceOp op) = 0;  // launched together
  // Launches an in-place all-reduce and returns at once; `wait()` puts the results in place
  // (and throws PeerError as `allreduce` would). Ranks match launches by their order. The
  // tensors must stay alive and untouched until the wait. By default: synchronous.
  struct Pending {
    virtual ~Pending() = default;
    virtual void wait() = 0;
  };
  virtual std::unique_ptr<Pending> allreduceAsync(std::vector<at::Tensor>& tensors, ReduceOp op);
  virtual void broadcast(at::Tensor& t, int root) = 0;
  // Every rank's `t` (same shape and dtype on all ranks), stacked: (world, ...t.shape).
  virtual at::Tensor allgather(const at::Tensor& t) = 0;
  virtual void barrier() = 0;
  // A barrier through the store with its own (long) timeout, for setup work of unknown
  // length (tokenizing a corpus) that must not count against the collective timeout.
  virtual void storeBarrier(const std::string& name, double timeout_s) = 0;
  virtual void reportFailure(const std::string& message) = 0;

  // Conveniences over the above.
  std::vector<double> sum(const std::vector<double>& v);
  std::vector<double> max(const std::vector<double>& v);
  std::string broadcastString(const std::string& s, int root = 0);
};

std::unique_ptr<Comm> makeSingleProcessComm();
std::unique_ptr<Comm> joinGroup(const at::Device& device, double timeout_s, bool always = false);

// Rank 0's parameter values on every rank (in place).
void broadcastParameters(Comm& comm, const std::vector<at::Tensor>& params);

// The launcher's variables, parsed (world = 1 when absent). Throws UserError naming a
// malformed or inconsistent variable.
struct DistEnv {
  int rank = 0, world = 1, local_rank = 0;
  std::string master_addr;
  int master_port = 0;
};
DistEnv readDistEnv();

}  // namespace recipec::train
