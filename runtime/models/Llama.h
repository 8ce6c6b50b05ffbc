// Llama.h — Llama / TinyLlama as Hugging Face `LlamaForCausalLM` lays it out.
//
// Pre-norm blocks with RMSNorm (computed in float32 as HF does), rotary position
// embeddings in HF's rotate_half convention (the two halves of each head are the pairs),
// grouped-query attention (n_kv_head key/value heads shared by n_head / n_kv_head query
// heads each), SwiGLU MLP, no biases, lm_head untied unless cfg.tie_embeddings.
// q|k|v and gate|up are each stored as one fused (out, in) weight so a block runs one
// matmul for each; `hfStateDict` returns row slices named q_proj/k_proj/v_proj and
// gate_proj/up_proj. Internal header: use buildModel() from Model.h.
#pragma once

#include <memory>
#include <vector>

#include "runtime/models/Layers.h"
#include "runtime/models/Model.h"

namespace recipec::models {

class LlamaImpl : public LanguageModelImpl {
 public:
  // random_init false: the weights are left uninitialised, for loadHfStateDict to fill.
  explicit LlamaImpl(const plan::Model& cfg, bool random_init = true);

  torch::Tensor forward(const torch::Tensor& idx) override;
  const plan::Model& config() const override { return cfg_; }
  std::vector<std::pair<std::string, torch::Tensor>> hfStateDict() override;
  std::vector<std::pair<std::string, torch::Tensor>> hfGradDict() override;
  void loadHfStateDict(const std::map<std::string, torch::Tensor>& tensors) override;
  double flopsPerToken(int64_t seq_len) const override;
  double flopsPerToken(int64_t seq_len, const Subnet& subnet) const override;
  void setSubnet(std::optional<Subnet> s) override;

  // One decoder layer's parameters, registered under "layers.<i>".
  struct Block : torch::nn::Module {
    Block(int64_t C, int64_t H, int64_t KV, int64_t D, int64_t F);
    torch::Tensor input_norm_w;  // (C)
    torch::Tensor qkv_w;         // ((H + 2 KV) D, C) rows: q heads | k heads | v heads
    torch::Tensor o_w;           // (C, H D)
    torch::Tensor post_norm_w;   // (C)
    torch::Tensor gate_up_w;     // (2F, C) rows: gate | up
    torch::Tensor down_w;        // (C, F)
  };

 private:
  struct LayerSlice {
    bool run = true;
    int64_t heads = 0;             // kept query heads; == n_head means full weights
    int64_t kv_heads = 0;          // key/value heads those query heads read
    int64_t units = 0;             // kept MLP units; == d_ff means full
    detail::DeviceIndex qkv_rows;  // ((heads + 2 kv_heads) D) rows of qkv_w
    detail::DeviceIndex o_cols;    // (heads D) columns of o_w
    detail::DeviceIndex kv_of_q;   // (heads) which kept kv head each kept q head reads
    detail::DeviceIndex gate_up_rows;  // (2 units) rows of gate_up_w
    detail::DeviceIndex unit_idx;  // (units) columns of down_w
  };

  torch::Tensor block(Block& b, LayerSlice* s, const torch::Tensor& x);  // (B,T,C)->(B,T,C)
  torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& w) const;
  torch::Tensor rope(const torch::Tensor& x) const;  // (B, h, T, D) -> same
  std::vector<std::pair<std::string, torch::Tensor>> hfViews(bool grads);

  plan::Model cfg_;
  int64_t head_dim_, kv_heads_;
  torch::Tensor embed_;      // (V, C), also the lm_head when tied
  torch::Tensor norm_w_;     // (C)
  torch::Tensor lm_head_;    // (V, C), undefined when tied
  std::vector<std::shared_ptr<Block>> blocks_;
  std::vector<LayerSlice> slices_;  // empty = full model
  detail::DeviceIndex kv_of_q_full_;  // (H) h / (H / KV); undefined when KV == H
  torch::Tensor rope_cos_, rope_sin_;  // (max_seq_len, D) float32 on the last device used
  torch::Tensor cos_, sin_;            // (T, D) rows of those for the current forward
};

}  // namespace recipec::models
