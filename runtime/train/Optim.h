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
//
// `adamwStep` is one AdamW update, either LibTorch's `AdamW::step` (a loop of ~8 elementwise
// ops per parameter) or, with fused = true, torch 2.x's `_fused_adamw_` (one vectorised pass
// per parameter on CPU, one multi-tensor kernel launch per group on CUDA). Both keep their
// moments and step counts in the same `AdamWParamState`, so checkpoints are the same either
// way and a run may switch between them; the two agree within float rounding (tested in
// test_train_units: 1e-6 relative after 20 steps).
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <torch/optim/adamw.h>

#include "runtime/plan/Plan.h"

namespace recipec::train {

std::unique_ptr<torch::optim::AdamW> makeAdamW(const std::vector<at::Tensor>& params,
                                               const plan::Optimizer& cfg);
void setHyper(torch::optim::AdamW& opt, double lr, double weight_decay);
void adamwStep(torch::optim::AdamW& opt, bool fused);
// `--fused-adamw auto|on|off`: auto is on, on both devices, where it measured as fast or
// faster (docs/runtime.md, "Performance").
bool fusedAdamWFor(const std::string& option);
at::Tensor clipGradNorm(const std::vector<at::Tensor>& params, double max_norm);
void zeroGrad(const std::vector<at::Tensor>& params);
// Moves every AdamW state tensor to its parameter's device and dtype. torch::load restores
// state where it was saved, so without this a checkpoint written on CUDA and resumed on CPU
// (or the other way) fails in the first step with "tensors on different devices".
void placeStateWithParams(torch::optim::AdamW& opt);

// The optimizer's state key of a parameter: older LibTorch keys by the TensorImpl address
// printed as a string, newer (2.x) by the address itself.
template <class Map>
typename Map::key_type optimStateKey(const Map&, const at::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return typename Map::key_type(p.unsafeGetTensorImpl());
  }
}

}  // namespace recipec::train
