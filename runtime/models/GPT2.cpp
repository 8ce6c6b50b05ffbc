// GPT2.cpp — see GPT2.h. Shapes: B batch, T time, C d_model, H heads, D = C / H, F d_ff,
// V vocab; under a subnet h <= H heads and f <= F units are sliced out of the weights.
#include "runtime/models/GPT2.h"

#include <cmath>
#include <stdexcept>

#include <torch/nn/modules/container/modulelist.h>

namespace recipec::models {

GPT2Impl::Block::Block(int64_t C, int64_t F) {
  ln_1_w = register_parameter("ln_1_w", at::ones({C}));
  ln_1_b = register_parameter("ln_1_b", at::zeros({C}));
  c_attn_w = register_parameter("c_attn_w", at::empty({C, 3 * C}));
  c_attn_b = register_parameter("c_attn_b", at::zeros({3 * C}));
  attn_proj_w = register_parameter("attn_proj_w", at::empty({C, C}));
  attn_proj_b = register_parameter("attn_proj_b", at::zeros({C}));
  ln_2_w = register_parameter("ln_2_w", at::ones({C}));
  ln_2_b = register_parameter("ln_2_b", at::zeros({C}));
  c_fc_w = register_parameter("c_fc_w", at::empty({C, F}));
  c_fc_b = register_parameter("c_fc_b", at::zeros({F}));
  mlp_proj_w = register_parameter("mlp_proj_w", at::empty({F, C}));
  mlp_proj_b = register_parameter("mlp_proj_b", at::zeros({C}));
}

GPT2Impl::GPT2Impl(const plan::Model& cfg, bool random_init) : cfg_(cfg) {
  detail::validateConfig(cfg_);
  const int64_t C = cfg.d_model, V = cfg.vocab_size, L = cfg.n_layer;
  head_dim_ = C / cfg.n_head;
  wte_ = register_parameter("wte", at::empty({V, C}));
  wpe_ = register_parameter("wpe", at::empty({cfg.max_seq_len, C}));
  auto h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < L; ++i) {
    blocks_.push_back(std::make_shared<Block>(C, cfg.d_ff));
    h->push_back(blocks_.back());
  }
  ln_f_w_ = register_parameter("ln_f_w", at::ones({C}));
  ln_f_b_ = register_parameter("ln_f_b", at::zeros({C}));
  if (!cfg.tie_embeddings) lm_head_ = register_parameter("lm_head", at::empty({V, C}));

  // GPT-2 init: N(0, std) everywhere, residual projections N(0, std / sqrt(2L)) so the
  // residual stream's variance does not grow with depth; biases 0, LayerNorm gains 1.
  if (!random_init) return;
  at::NoGradGuard no_grad;
  const double std = cfg.init_std, res_std = cfg.init_std / std::sqrt(2.0 * L);
  wte_.normal_(0, std);
  wpe_.normal_(0, std);
  if (lm_head_.defined()) lm_head_.normal_(0, std);
  for (auto& b : blocks_) {
    b->c_attn_w.normal_(0, std);
    b->attn_proj_w.normal_(0, res_std);
    b->c_fc_w.normal_(0, std);
    b->mlp_proj_w.normal_(0, res_std);
  }
}

torch::Tensor GPT2Impl::block(Block& b, LayerSlice* s, const torch::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = cfg_.d_model, D = head_dim_;
  const bool all_heads = !s || s->heads == cfg_.n_head;
  const bool all_units = !s || s->units == cfg_.d_ff;
  const int64_t nh = all_heads ? cfg_.n_head : s->heads;
  const auto dev = x.device();

  at::Tensor h = at::layer_norm(x, {C}, b.ln_1_w, b.ln_1_b, cfg_.norm_eps)
                     .view({B * T, C});  // (B*T, C)
  at::Tensor w_qkv = all_heads ? b.c_attn_w : b.c_attn_w.index_select(1, s->qkv_cols.on(dev));
  at::Tensor b_qkv = all_heads ? b.c_attn_b : b.c_attn_b.index_select(0, s->qkv_cols.on(dev));
  at::Tensor qkv = at::addmm(b_qkv, h, w_qkv)                 // (B*T, 3*nh*D)
                       .view({B, T, 3, nh, D})
                       .permute({2, 0, 3, 1, 4});             // (3, B, nh, T, D) view
  at::Tensor y = detail::causalAttention(qkv[0], qkv[1], qkv[2], cfg_.dropout, is_training())  // (B, nh, T, D)
                     .transpose(1, 2)
                     .reshape({B * T, nh * D});               // (B*T, nh*D)
  at::Tensor w_proj = all_heads ? b.attn_proj_w
                                : b.attn_proj_w.index_select(0, s->head_rows.on(dev));
  // EST: the kept heads' output is scaled by H / nh (alpha of the addmm: no extra pass).
  const double head_scale = static_cast<double>(cfg_.n_head) / nh;
  at::Tensor a = at::addmm(b.attn_proj_b, y, w_proj, 1.0, head_scale);  // (B*T, C)
  if (cfg_.dropout > 0) a = at::dropout(a, cfg_.dropout, is_training());
  at::Tensor x1 = x + a.view({B, T, C});                      // (B, T, C)

  h = at::layer_norm(x1, {C}, b.ln_2_w, b.ln_2_b, cfg_.norm_eps).view({B * T, C});
  const int64_t nf = all_units ? cfg_.d_ff : s->units;
  at::Tensor w_fc = all_units ? b.c_fc_w : b.c_fc_w.index_select(1, s->unit_idx.on(dev));
  at::Tensor b_fc = all_units ? b.c_fc_b : b.c_fc_b.index_select(0, s->unit_idx.on(dev));
  at::Tensor w_out =
      all_units ? b.mlp_proj_w : b.mlp_proj_w.index_select(0, s->unit_idx.on(dev));
  at::Tensor u = detail::geluTanh(at::addmm(b_fc, h, w_fc));  // (B*T, nf)
  at::Tensor m = at::addmm(b.mlp_proj_b, u, w_out, 1.0,
                           static_cast<double>(cfg_.d_ff) / nf);  // (B*T, C)
  if (cfg_.dropout > 0) m = at::dropout(m, cfg_.dropout, is_training());
  return x1 + m.view({B, T, C});
}

torch::Tensor GPT2Impl::forward(const torch::Tensor& idx) {
  if (idx.dim() != 2 || idx.scalar_type() != at::kLong)
    throw std::invalid_argument("gpt2 forward: idx must be (B, T) int64");
  const int64_t T = idx.size(1);
  if (T > cfg_.max_seq_len)
    throw std::invalid_argument("gpt2 forward: sequence length " + std::to_string(T) +
                                " exceeds max_seq_len " + std::to_string(cfg_.max_seq_len));
  at::Tensor x = at::embedding(wte_, idx) + wpe_.narrow(0, 0, T);  // (B, T, C)
  if (cfg_.dropout > 0) x = at::dropout(x, cfg_.dropout, is_training());
  for (size_t i = 0; i < blocks_.size(); ++i) {
    LayerSlice* s = slices_.empty() ? nullptr : &slices_[i];
    if (s && !s->run) continue;  // EST: a skipped layer is the identity
    x = block(*blocks_[i], s, x);
  }
  x = at::layer_norm(x, {cfg_.d_model}, ln_f_w_, ln_f_b_, cfg_.norm_eps);
  return outputLogits(x, lm_head_.defined() ? lm_head_ : wte_, /*linear=*/false);  // (B, T, V)
}

void GPT2Impl::setSubnet(std::optional<Subnet> s) {
  slices_.clear();
  if (s) {
    const int64_t C = cfg_.d_model, D = head_dim_;
    for (const LayerChoice& c : resolveSubnet(cfg_, *s)) {
      LayerSlice sl;
      sl.run = c.run;
      sl.heads = static_cast<int64_t>(c.heads.size());
      sl.units = static_cast<int64_t>(c.units.size());
      if (sl.heads < cfg_.n_head) {
        std::vector<int64_t> cols;
        for (int64_t part = 0; part < 3; ++part) {  // q | k | v blocks of width C
          auto p = detail::blockIndices(c.heads, D, part * C);
          cols.insert(cols.end(), p.begin(), p.end());
        }
        sl.qkv_cols = detail::DeviceIndex(cols);
        sl.head_rows = detail::DeviceIndex(detail::blockIndices(c.heads, D));
      }
      if (sl.units < cfg_.d_ff) sl.unit_idx = detail::DeviceIndex(c.units);
      slices_.push_back(std::move(sl));
    }
  }
  LanguageModelImpl::setSubnet(std::move(s));
}

std::vector<std::pair<std::string, torch::Tensor>> GPT2Impl::hfViews(bool grads) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  auto add = [&](std::string name, const at::Tensor& p) {
    out.emplace_back(std::move(name), grads ? p.grad() : p.detach());
  };
  add("wte.weight", wte_);
  add("wpe.weight", wpe_);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = *blocks_[i];
    const std::string h = "h." + std::to_string(i) + ".";
    add(h + "ln_1.weight", b.ln_1_w);
    add(h + "ln_1.bias", b.ln_1_b);
    add(h + "attn.c_attn.weight", b.c_attn_w);
    add(h + "attn.c_attn.bias", b.c_attn_b);
    add(h + "attn.c_proj.weight", b.attn_proj_w);
    add(h + "attn.c_proj.bias", b.attn_proj_b);
    add(h + "ln_2.weight", b.ln_2_w);
    add(h + "ln_2.bias", b.ln_2_b);
    add(h + "mlp.c_fc.weight", b.c_fc_w);
    add(h + "mlp.c_fc.bias", b.c_fc_b);
    add(h + "mlp.c_proj.weight", b.mlp_proj_w);
    add(h + "mlp.c_proj.bias", b.mlp_proj_b);
  }
  add("ln_f.weight", ln_f_w_);
  add("ln_f.bias", ln_f_b_);
  if (lm_head_.defined()) add("lm_head.weight", lm_head_);
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> GPT2Impl::hfStateDict() {
  return hfViews(false);
}
std::vector<std::pair<std::string, torch::Tensor>> GPT2Impl::hfGradDict() {
  return hfViews(true);
}

void GPT2Impl::loadHfStateDict(const std::map<std::string, torch::Tensor>& tensors) {
  // HF checkpoints of GPT2Model prefix names with "transformer."; GPT2LMHeadModel's
  // model.safetensors on the Hub has none. Both load.
  detail::HfLoader loader(tensors, "transformer.");
  for (auto& [name, view] : hfViews(false)) loader.copy(name, view);
  if (!lm_head_.defined()) loader.ignoreIfShaped("lm_head.weight", wte_.sizes());
  loader.finish([](const std::string& n) {
    auto ends = [&](const std::string& suf) {
      return n.size() >= suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0;
    };
    return ends(".attn.bias") || ends(".attn.masked_bias");  // causal-mask buffers
  });
}

double GPT2Impl::flopsPerToken(int64_t seq_len) const {
  return flopsPerTokenFor(cfg_, seq_len);
}
double GPT2Impl::flopsPerToken(int64_t seq_len, const Subnet& subnet) const {
  return flopsPerTokenFor(cfg_, seq_len, subnet);
}

}  // namespace recipec::models
