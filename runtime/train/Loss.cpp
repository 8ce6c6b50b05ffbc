// Loss.cpp — see Loss.h.
#include "runtime/train/Loss.h"

#include <algorithm>

#include <torch/csrc/autograd/custom_function.h>

#include "runtime/train/LossKernels.h"

namespace recipec::train {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// logits (N, V) fp32 contiguous, targets (N) int64 -> per-token loss (N) fp32.
struct FusedCrossEntropy : public torch::autograd::Function<FusedCrossEntropy> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits,
                            const at::Tensor& targets) {
    const auto x = logits.to(at::kFloat).contiguous();  // a no-op for fp32 logits
    const auto t = targets.contiguous();
    const int64_t N = x.size(0), V = x.size(1);
    auto lse = at::empty({N}, x.options());
    kernels::lseRows(x.data_ptr<float>(), N, V, lse.data_ptr<float>());
    // loss = lse - x[target]  (N)
    auto loss = lse - x.gather(1, t.unsqueeze(1)).squeeze(1);
    ctx->save_for_backward({x, t, lse});
    ctx->saved_data["dtype"] = int64_t(logits.scalar_type());
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& t = saved[1];
    const auto& lse = saved[2];
    const auto g = grad_out[0].to(at::kFloat).contiguous();  // (N)
    const int64_t N = x.size(0), V = x.size(1);
    auto grad = at::empty_like(x);  // (N, V)
    kernels::gradRows(x.data_ptr<float>(), lse.data_ptr<float>(), t.data_ptr<int64_t>(),
                      g.data_ptr<float>(), N, V, grad.data_ptr<float>());
    const auto dtype = at::ScalarType(ctx->saved_data["dtype"].toInt());
    return {grad.to(dtype), at::Tensor()};
  }
};

// logits (N, V) any float dtype, any row stride; targets (N) int64 -> (N) fp32. The rows go
// in chunks: fp32 work memory is one chunk's.
struct ChunkedCrossEntropy : public torch::autograd::Function<ChunkedCrossEntropy> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits, const at::Tensor& targets,
                            int64_t rows) {
    const int64_t N = logits.size(0);
    const auto t = targets.contiguous();
    auto lse = at::empty({N}, logits.options().dtype(at::kFloat));
    auto loss = at::empty({N}, lse.options());
    for (int64_t r = 0; r < N; r += rows) {
      const int64_t n = std::min(rows, N - r);
      const auto x = logits.narrow(0, r, n).to(at::kFloat);  // (n, V) fp32
      const auto l = at::logsumexp(x, {1});
      lse.narrow(0, r, n).copy_(l);
      loss.narrow(0, r, n).copy_(l - x.gather(1, t.narrow(0, r, n).unsqueeze(1)).squeeze(1));
    }
    ctx->save_for_backward({logits, t, lse});
    ctx->saved_data["rows"] = rows;
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    const auto saved = ctx->get_saved_variables();
    const auto &logits = saved[0], &t = saved[1], &lse = saved[2];
    const int64_t rows = ctx->saved_data["rows"].toInt(), N = logits.size(0);
    const auto g = grad_out[0].to(at::kFloat);  // (N)
    auto grad = at::empty(logits.sizes(), logits.options());  // (N, V), contiguous
    const auto minus_one = at::full({std::min(rows, N), 1}, -1.0f, lse.options());  // the onehot, once
    for (int64_t r = 0; r < N; r += rows) {
      const int64_t n = std::min(rows, N - r);
      // softmax - onehot, times the incoming gradient of each row
      auto p = (logits.narrow(0, r, n).to(at::kFloat) - lse.narrow(0, r, n).unsqueeze(1)).exp_();
      p.scatter_add_(1, t.narrow(0, r, n).unsqueeze(1), minus_one.narrow(0, 0, n));
      p.mul_(g.narrow(0, r, n).unsqueeze(1));
      grad.narrow(0, r, n).copy_(p);
    }
    return {grad, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor perTokenLossChunked(const at::Tensor& logits, const at::Tensor& targets, int64_t rows) {
  if (rows <= 0) rows = std::max<int64_t>(1, (int64_t(1) << 26) / std::max<int64_t>(1, logits.size(1)));
  return ChunkedCrossEntropy::apply(logits, targets, rows);
}

at::Tensor perTokenLoss(const at::Tensor& logits, const at::Tensor& targets) {
  const bool fused = logits.device().is_cpu() &&
                     (logits.scalar_type() == at::kFloat || logits.scalar_type() == at::kBFloat16);
  if (!fused) return perTokenLossChunked(logits, targets);
  return FusedCrossEntropy::apply(logits, targets);
}

at::Tensor perSampleLoss(const at::Tensor& logits, const at::Tensor& targets) {
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  return perTokenLoss(logits.reshape({B * T, V}), targets.reshape({B * T})).view({B, T}).mean(1);
}

}  // namespace recipec::train
