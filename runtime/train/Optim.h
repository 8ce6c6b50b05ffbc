// Optim.h — AdamW with nanoGPT's weight-decay split, sync-free gradient clipping.
//
// Contract: `makeAdamW` puts every parameter with dim >= 2 (matmul weights and the
// embeddings, as nanoGPT does) in group 0, decayed by weight_decay, and the rest (biases,
// norm gains) in group 1 with no decay. `setHyper` sets lr on both groups and the decay on
// group 0 (the schedule and `set` change them each step). `clipGradNorm` returns the global
// L2 norm of all gradients as a 0-dim device tensor and, when max_norm > 0, scales the
// gradients by min(1, max_norm / (norm + 1e-6)) on the device (PyTorch's formula) without a
// host sync. `zeroGrad` drops the gradients (set to none), so the next backward writes them
// fresh instead of adding into zeroed buffers.
#pragma once

#include <memory>
#include <vector>

#include <torch/optim/adamw.h>

#include "runtime/plan/Plan.h"

namespace recipec::train {

std::unique_ptr<torch::optim::AdamW> makeAdamW(const std::vector<at::Tensor>& params,
                                               const plan::Optimizer& cfg);
void setHyper(torch::optim::AdamW& opt, double lr, double weight_decay);
at::Tensor clipGradNorm(const std::vector<at::Tensor>& params, double max_norm);
void zeroGrad(const std::vector<at::Tensor>& params);
// Moves every AdamW state tensor to its parameter's device and dtype. torch::load restores
// state where it was saved, so without this a checkpoint written on CUDA and resumed on CPU
// (or the other way) fails in the first step with "tensors on different devices".
void placeStateWithParams(torch::optim::AdamW& opt);

}  // namespace recipec::train
