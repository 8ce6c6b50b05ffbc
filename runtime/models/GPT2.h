// GPT2.h — GPT-2 (Radford et al. 2019) as Hugging Face `GPT2LMHeadModel` lays it out.
//
// Pre-LN blocks, learned positions, LayerNorm, fused q|k|v projection (`c_attn`), GELU
// tanh approximation (HF "gelu_new"), final `ln_f`, bias-free lm_head tied to `wte` unless
// cfg.tie_embeddings is false. Weights are kept in HF's Conv1D layout (in, out), so
// `hfStateDict` returns the parameters themselves and a matmul is x @ W + b (addmm).
// Internal header: use buildModel() from Model.h.
#pragma once

#include <memory>
#include <vector>

#include "runtime/models/Layers.h"
#include "runtime/models/Model.h"

namespace recipec::models {

class GPT2Impl : public LanguageModelImpl {
 public:
  // random_init false: the weights are left uninitialised, for loadHfStateDict to fill.
  explicit GPT2Impl(const plan::Model& cfg, bool random_init = true);

  torch::Tensor forward(const torch::Tensor& idx) override;
  const plan::Model& config() const override { return cfg_; }
  std::vector<std::pair<std::string, torch::Tensor>> hfStateDict() override;
  std::vector<std::pair<std::string, torch::Tensor>> hfGradDict() override;
  void loadHfStateDict(const std::map<std::string, torch::Tensor>& tensors) override;
  double flopsPerToken(int64_t seq_len) const override;
  double flopsPerToken(int64_t seq_len, const Subnet& subnet) const override;
  void setSubnet(std::optional<Subnet> s) override;

  // One transformer block's parameters, registered under "h.<i>".
  struct Block : torch::nn::Module {
    Block(int64_t C, int64_t F);
    torch::Tensor ln_1_w, ln_1_b;        // (C), (C)
    torch::Tensor c_attn_w, c_attn_b;    // (C, 3C), (3C)   columns: q | k | v, head-major
    torch::Tensor attn_proj_w, attn_proj_b;  // (C, C), (C)
    torch::Tensor ln_2_w, ln_2_b;        // (C), (C)
    torch::Tensor c_fc_w, c_fc_b;        // (C, F), (F)
    torch::Tensor mlp_proj_w, mlp_proj_b;    // (F, C), (C)
  };

 private:
  // The slices of one layer under the current subnet (built by setSubnet).
  struct LayerSlice {
    bool run = true;
    int64_t heads = 0;              // kept heads; == n_head means use the full weights
    int64_t units = 0;              // kept MLP units; == d_ff means full
    detail::DeviceIndex qkv_cols;   // (3 * heads * D) columns of c_attn_w
    detail::DeviceIndex head_rows;  // (heads * D) rows of attn_proj_w
    detail::DeviceIndex unit_idx;   // (units) columns of c_fc_w, rows of mlp_proj_w
  };

  torch::Tensor block(Block& b, LayerSlice* s, const torch::Tensor& x);  // (B,T,C)->(B,T,C)
  std::vector<std::pair<std::string, torch::Tensor>> hfViews(bool grads);

  plan::Model cfg_;
  int64_t head_dim_;
  torch::Tensor wte_;         // (V, C), also the lm_head when tied
  torch::Tensor wpe_;         // (max_seq_len, C)
  torch::Tensor ln_f_w_, ln_f_b_;  // (C), (C)
  torch::Tensor lm_head_;     // (V, C), undefined when tied
  std::vector<std::shared_ptr<Block>> blocks_;
  std::vector<LayerSlice> slices_;  // empty = full model
};

}  // namespace recipec::models
