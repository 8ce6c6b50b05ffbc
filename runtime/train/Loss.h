// Loss.h — the training loss: per-token and per-sample cross-entropy, fused on the CPU.
//
// Contract: `perSampleLoss(logits (B, T, V), targets (B, T) int64)` -> (B) fp32, the mean
// token cross-entropy of each sequence, differentiable, no host sync (the same values as
// models::perSampleLoss with no ignored positions: packed blocks have none).
// On the CPU it runs a fused kernel: the forward keeps only log-sum-exp per row (no
// (B, T, V) log-softmax is written) and the backward writes softmax - onehot once, instead
// of log_softmax + nll_loss's three full-size passes and a zero-fill. Elsewhere (CUDA) it is
// at::cross_entropy(reduction = none).
#pragma once

#include <ATen/ATen.h>

namespace recipec::train {

at::Tensor perTokenLoss(const at::Tensor& logits, const at::Tensor& targets);   // (N,V),(N) -> (N)
at::Tensor perSampleLoss(const at::Tensor& logits, const at::Tensor& targets);  // (B,T,V),(B,T) -> (B)

}  // namespace recipec::train
