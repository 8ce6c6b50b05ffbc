// ShardedOptim.h — ZeRO stage 1: the AdamW state sharded over the data-parallel group.
//
// Contract: each parameter has one owner rank (greedy, largest first, to the rank with the
// fewest elements so far; the same on every rank). Every rank keeps the full AdamW object
// but state only for the parameters it owns: before `optimizer.step()` the trainer drops
// the (already all-reduced) gradients of the others, so AdamW updates and keeps moments for
// the owned ones only; after it, each owner broadcasts its updated parameters (one flat
// broadcast per owner). AdamW is elementwise, so the weights are bit-identical to the
// unsharded run's. Checkpoints stay in the unsharded format: before a save every owner
// broadcasts its parameters' state and rank 0 holds all of it while it writes
// optimizer.pt, then drops the foreign part again; after a load every rank drops the
// state it does not own. So a sharded run resumes unsharded, with another world size, or
// the other way round. (Gloo has no reduce-scatter, so gradients are all-reduced whole:
// the saving is the optimizer state, 2 x 4 bytes per parameter, divided by the world.)
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace torch::optim {
class AdamW;
}

namespace recipec::train {

class Comm;

class OptimizerShards {
 public:
  OptimizerShards(Comm& comm, const std::vector<at::Tensor>& params);
  int owner(size_t param) const { return owner_[param]; }
  int64_t ownedElements() const;  // this rank's
  int64_t totalElements() const { return total_; }

  void keepOwnGradients(const std::vector<at::Tensor>& params) const;
  void shareUpdatedParameters(const std::vector<at::Tensor>& params);
  // Collective: rank 0 ends up with every parameter's state (for a checkpoint).
  void gatherStateToLead(torch::optim::AdamW& optim, const std::vector<at::Tensor>& params);
  void dropForeignState(torch::optim::AdamW& optim, const std::vector<at::Tensor>& params) const;

 private:
  Comm& comm_;
  std::vector<int> owner_;
  std::vector<int64_t> numel_;
  int64_t total_ = 0;
};

}  // namespace recipec::train
