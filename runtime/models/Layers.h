// Layers.h — internals shared by GPT2.cpp and Llama.cpp (not part of the public API).
//
// Causal attention (torch's fused SDPA), a cache for subnet index tensors (built on the CPU
// once per setSubnet, moved to the weights' device once), and the bookkeeping of loadHfStateDict (every tensor used exactly once,
// shapes checked, messages that name the tensor and both shapes).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "runtime/plan/Plan.h"

namespace recipec::models::detail {

// q (B, H, T, D), k (B, H, T, D), v (B, H, T, D) -> (B, H, T, D), causal, scaled by
// 1/sqrt(D): torch's scaled_dot_product_attention (flash kernels on CPU and CUDA).
at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           double dropout_p, bool training);

// GELU, tanh approximation. CPU float32 contiguous input: the fused kernel of Kernels.h
// (8x faster forward, 6x backward than LibTorch 1.13's at::gelu "tanh", single thread);
// anything else (CUDA, bf16): at::gelu(x, "tanh"). Differentiable once (no double backward).
at::Tensor geluTanh(const at::Tensor& x);

// An int64 index tensor kept on the CPU and mirrored on the device it was last asked for.
class DeviceIndex {
 public:
  DeviceIndex() = default;
  explicit DeviceIndex(const std::vector<int64_t>& v);
  const at::Tensor& on(const at::Device& d);
  bool defined() const { return cpu_.defined(); }

 private:
  at::Tensor cpu_, dev_;
};

// Indices of `count` consecutive blocks of `width` elements: {b*width + offset + j}.
std::vector<int64_t> blockIndices(const std::vector<int64_t>& blocks, int64_t width,
                                  int64_t offset = 0);

// Throws std::invalid_argument("model `name`: field = value: why") unless ok.
void require(bool ok, const plan::Model& cfg, const std::string& field, double value,
             const std::string& why);

// Checks every field the arch uses (Model.cpp); throws std::invalid_argument via require.
void validateConfig(const plan::Model& cfg);
// Key/value heads: n_head for gpt2 and for llama with n_kv_head == 0.
int64_t kvHeads(const plan::Model& cfg);

// The bookkeeping of loadHfStateDict.
class HfLoader {
 public:
  HfLoader(const std::map<std::string, at::Tensor>& tensors, std::string strip_prefix);
  // Checks tensor `name` against `dst` (a view of a parameter) and queues the copy.
  void copy(const std::string& name, const at::Tensor& dst);
  // Marks `name` as consumed when present and its shape is `shape` (tied lm_head).
  void ignoreIfShaped(const std::string& name, at::IntArrayRef shape);
  // Throws naming every tensor neither copied nor ignorable (ignorable(name) == true);
  // otherwise does the queued copies (dtype and device converted). Nothing is written
  // unless everything checked, so a failed load leaves the model as it was.
  void finish(const std::function<bool(const std::string&)>& ignorable);

 private:
  std::map<std::string, at::Tensor> tensors_;  // names with the prefix stripped
  std::set<std::string> used_;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies_;  // (dst, src)
};

}  // namespace recipec::models::detail
