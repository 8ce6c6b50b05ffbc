// Loss.h — the training loss: per-token and per-sample cross-entropy, fused on the CPU.
//
// Contract: `perSampleLoss(logits (B, T, V), targets (B, T) int64)` -> (B) fp32, the mean
// token cross-entropy of each sequence, differentiable, no host sync (the same values as
// models::perSampleLoss with no ignored positions: packed blocks have none).
// On the CPU it runs a fused kernel: the forward keeps only log-sum-exp per row (no
// (B, T, V) log-softmax is written) and the backward writes softmax - onehot once, instead
// of log_softmax + nll_loss's three full-size passes and a zero-fill. Elsewhere (CUDA) it is
// chunked over rows: each chunk of rows is cast to fp32 for its log-sum-exp and thrown away,
// the backward recomputes softmax - onehot chunk by chunk into a gradient of the logits'
// own dtype, so no (N, V) fp32 tensor (log-softmax, its gradient or an fp32 copy of bf16
// logits) is ever whole in memory; only the logits (bf16 under autocast) are kept for the
// backward. Logits may be a view with a row stride (the vocabulary-padded output layer's,
// models::LanguageModelImpl::setVocabPadding).
#pragma once

#include <ATen/ATen.h>

namespace recipec::train {

at::Tensor perTokenLoss(const at::Tensor& logits, const at::Tensor& targets);   // (N,V),(N) -> (N)
// The chunked form on any device (what perTokenLoss runs on CUDA), `rows` rows a chunk
// (0: about 64M logits a chunk).
at::Tensor perTokenLossChunked(const at::Tensor& logits, const at::Tensor& targets, int64_t rows = 0);
at::Tensor perSampleLoss(const at::Tensor& logits, const at::Tensor& targets);  // (B,T,V),(B,T) -> (B)

}  // namespace recipec::train
