// Llama.cpp — see Llama.h. Shapes: B batch, T time, C d_model, H query heads, KV key/value
// heads, D = C / H, F d_ff, V vocab; under a subnet h <= H query heads, kv <= KV key/value
// heads (those the kept query heads read) and f <= F units are sliced out of the weights.
#include "runtime/models/Llama.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <torch/nn/modules/container/modulelist.h>

namespace recipec::models {

LlamaImpl::Block::Block(int64_t C, int64_t H, int64_t KV, int64_t D, int64_t F) {
  input_norm_w = register_parameter("input_norm_w", at::ones({C}));
  qkv_w = register_parameter("qkv_w", at::empty({(H + 2 * KV) * D, C}));
  o_w = register_parameter("o_w", at::empty({C, H * D}));
  post_norm_w = register_parameter("post_norm_w", at::ones({C}));
  gate_up_w = register_parameter("gate_up_w", at::empty({2 * F, C}));
  down_w = register_parameter("down_w", at::empty({C, F}));
}

LlamaImpl::LlamaImpl(const plan::Model& cfg, bool random_init) : cfg_(cfg) {
  detail::validateConfig(cfg_);
  const int64_t C = cfg.d_model, V = cfg.vocab_size, L = cfg.n_layer, H = cfg.n_head;
  head_dim_ = C / H;
  kv_heads_ = detail::kvHeads(cfg);
  embed_ = register_parameter("embed_tokens", at::empty({V, C}));
  auto layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < L; ++i) {
    blocks_.push_back(std::make_shared<Block>(C, H, kv_heads_, head_dim_, cfg.d_ff));
    layers->push_back(blocks_.back());
  }
  norm_w_ = register_parameter("norm_w", at::ones({C}));
  if (!cfg.tie_embeddings) lm_head_ = register_parameter("lm_head", at::empty({V, C}));
  if (kv_heads_ != H) {
    std::vector<int64_t> kv(H);
    for (int64_t h = 0; h < H; ++h) kv[h] = h / (H / kv_heads_);  // HF repeat_kv order
    kv_of_q_full_ = detail::DeviceIndex(kv);
  }

  // Same init as GPT-2 (see GPT2.cpp): N(0, std), output projections std / sqrt(2L).
  if (!random_init) return;
  at::NoGradGuard no_grad;
  const double std = cfg.init_std, res_std = cfg.init_std / std::sqrt(2.0 * L);
  embed_.normal_(0, std);
  if (lm_head_.defined()) lm_head_.normal_(0, std);
  for (auto& b : blocks_) {
    b->qkv_w.normal_(0, std);
    b->o_w.normal_(0, res_std);
    b->gate_up_w.normal_(0, std);
    b->down_w.normal_(0, res_std);
  }
}

torch::Tensor LlamaImpl::rmsNorm(const torch::Tensor& x, const torch::Tensor& w) const {
  // HF LlamaRMSNorm: statistics in float32, weight applied in the input dtype.
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor inv = at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + cfg_.norm_eps);  // (B,T,1)
  return w * (xf * inv).to(x.scalar_type());
}

torch::Tensor LlamaImpl::rope(const torch::Tensor& x) const {
  // HF apply_rotary_pos_emb: x * cos + rotate_half(x) * sin, rotate_half = [-x2, x1].
  const int64_t half = head_dim_ / 2;
  at::Tensor cos = cos_, sin = sin_;  // (T, D)
  if (x.scalar_type() != cos.scalar_type()) {
    cos = cos.to(x.scalar_type());
    sin = sin.to(x.scalar_type());
  }
  at::Tensor rot = at::cat({x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)}, -1);
  return x * cos + rot * sin;
}

torch::Tensor LlamaImpl::block(Block& b, LayerSlice* s, const torch::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), D = head_dim_;
  const bool all_heads = !s || s->heads == cfg_.n_head;
  const bool all_units = !s || s->units == cfg_.d_ff;
  const int64_t nh = all_heads ? cfg_.n_head : s->heads;
  const int64_t nkv = all_heads ? kv_heads_ : s->kv_heads;
  const auto dev = x.device();

  at::Tensor h = rmsNorm(x, b.input_norm_w);  // (B, T, C)
  at::Tensor w_qkv = all_heads ? b.qkv_w : b.qkv_w.index_select(0, s->qkv_rows.on(dev));
  at::Tensor qkv = at::linear(h, w_qkv);      // (B, T, (nh + 2 nkv) D)
  at::Tensor q = qkv.narrow(-1, 0, nh * D).view({B, T, nh, D}).transpose(1, 2);
  at::Tensor k = qkv.narrow(-1, nh * D, nkv * D).view({B, T, nkv, D}).transpose(1, 2);
  at::Tensor v = qkv.narrow(-1, (nh + nkv) * D, nkv * D).view({B, T, nkv, D}).transpose(1, 2);
  q = rope(q);  // (B, nh, T, D)
  k = rope(k);  // (B, nkv, T, D): rotated before the GQA repeat, nkv < nh times cheaper
  detail::DeviceIndex* rep = all_heads ? (kv_of_q_full_.defined() ? &kv_of_q_full_ : nullptr)
                                       : &s->kv_of_q;
  if (rep && nkv != nh) {
    k = k.index_select(1, rep->on(dev));  // (B, nh, T, D)
    v = v.index_select(1, rep->on(dev));
  }
  at::Tensor y = detail::causalAttention(q, k, v, cfg_.dropout, is_training())
                     .transpose(1, 2)
                     .reshape({B, T, nh * D});  // (B, T, nh D)
  // EST: scale the sliced weight (C x nh D) by H / nh rather than the activations.
  at::Tensor w_o = all_heads ? b.o_w
                             : b.o_w.index_select(1, s->o_cols.on(dev))
                                   .mul(static_cast<double>(cfg_.n_head) / nh);
  at::Tensor a = at::linear(y, w_o);  // (B, T, C)
  if (cfg_.dropout > 0) a = at::dropout(a, cfg_.dropout, is_training());
  at::Tensor x1 = x + a;

  h = rmsNorm(x1, b.post_norm_w);
  const int64_t nf = all_units ? cfg_.d_ff : s->units;
  at::Tensor w_gu =
      all_units ? b.gate_up_w : b.gate_up_w.index_select(0, s->gate_up_rows.on(dev));
  at::Tensor gu = at::linear(h, w_gu);  // (B, T, 2 nf)
  at::Tensor act = at::silu(gu.narrow(-1, 0, nf)) * gu.narrow(-1, nf, nf);  // (B, T, nf)
  at::Tensor w_down = all_units ? b.down_w
                                : b.down_w.index_select(1, s->unit_idx.on(dev))
                                      .mul(static_cast<double>(cfg_.d_ff) / nf);
  at::Tensor m = at::linear(act, w_down);  // (B, T, C)
  if (cfg_.dropout > 0) m = at::dropout(m, cfg_.dropout, is_training());
  return x1 + m;
}

torch::Tensor LlamaImpl::forward(const torch::Tensor& idx) {
  if (idx.dim() != 2 || idx.scalar_type() != at::kLong)
    throw std::invalid_argument("llama forward: idx must be (B, T) int64");
  const int64_t T = idx.size(1);
  if (T > cfg_.max_seq_len)
    throw std::invalid_argument("llama forward: sequence length " + std::to_string(T) +
                                " exceeds max_seq_len " + std::to_string(cfg_.max_seq_len));
  if (!rope_cos_.defined() || rope_cos_.device() != idx.device()) {
    // Tables in float32 as HF builds them: inv_freq_j = theta^(-2j/D), angle = t * inv_freq,
    // each frequency used twice (first and second half of the head).
    auto opts = at::TensorOptions().dtype(at::kFloat).device(idx.device());
    at::Tensor inv_freq =
        1.0 / at::pow(cfg_.rope_theta, at::arange(0, head_dim_, 2, opts.dtype(at::kLong))
                                           .to(at::kFloat)
                                           .div(static_cast<double>(head_dim_)));
    at::Tensor t = at::arange(cfg_.max_seq_len, opts.dtype(at::kLong)).to(at::kFloat);
    at::Tensor freqs = at::outer(t, inv_freq);   // (max_seq_len, D/2)
    at::Tensor emb = at::cat({freqs, freqs}, -1);  // (max_seq_len, D)
    rope_cos_ = emb.cos();
    rope_sin_ = emb.sin();
  }
  cos_ = rope_cos_.narrow(0, 0, T);
  sin_ = rope_sin_.narrow(0, 0, T);

  at::Tensor x = at::embedding(embed_, idx);  // (B, T, C)
  if (cfg_.dropout > 0) x = at::dropout(x, cfg_.dropout, is_training());
  for (size_t i = 0; i < blocks_.size(); ++i) {
    LayerSlice* s = slices_.empty() ? nullptr : &slices_[i];
    if (s && !s->run) continue;  // EST: a skipped layer is the identity
    x = block(*blocks_[i], s, x);
  }
  x = rmsNorm(x, norm_w_);
  return outputLogits(x, lm_head_.defined() ? lm_head_ : embed_, /*linear=*/true);  // (B, T, V)
}

void LlamaImpl::setSubnet(std::optional<Subnet> s) {
  slices_.clear();
  if (s) {
    const int64_t H = cfg_.n_head, D = head_dim_, F = cfg_.d_ff, group = H / kv_heads_;
    for (const LayerChoice& c : resolveSubnet(cfg_, *s)) {
      LayerSlice sl;
      sl.run = c.run;
      sl.heads = static_cast<int64_t>(c.heads.size());
      sl.units = static_cast<int64_t>(c.units.size());
      if (sl.heads < H) {
        std::vector<int64_t> kv;  // sorted unique kv heads of the kept q heads
        for (int64_t h : c.heads)
          if (kv.empty() || kv.back() != h / group) kv.push_back(h / group);
        sl.kv_heads = static_cast<int64_t>(kv.size());
        std::vector<int64_t> rows = detail::blockIndices(c.heads, D);
        auto kr = detail::blockIndices(kv, D, H * D);
        auto vr = detail::blockIndices(kv, D, (H + kv_heads_) * D);
        rows.insert(rows.end(), kr.begin(), kr.end());
        rows.insert(rows.end(), vr.begin(), vr.end());
        sl.qkv_rows = detail::DeviceIndex(rows);
        sl.o_cols = detail::DeviceIndex(detail::blockIndices(c.heads, D));
        std::vector<int64_t> kv_of_q;
        for (int64_t h : c.heads)
          kv_of_q.push_back(std::lower_bound(kv.begin(), kv.end(), h / group) - kv.begin());
        sl.kv_of_q = detail::DeviceIndex(kv_of_q);
      }
      if (sl.units < F) {
        std::vector<int64_t> rows = c.units;
        for (int64_t u : c.units) rows.push_back(F + u);
        sl.gate_up_rows = detail::DeviceIndex(rows);
        sl.unit_idx = detail::DeviceIndex(c.units);
      }
      slices_.push_back(std::move(sl));
    }
  }
  LanguageModelImpl::setSubnet(std::move(s));
}

std::vector<std::pair<std::string, torch::Tensor>> LlamaImpl::hfViews(bool grads) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  auto add = [&](std::string name, const at::Tensor& p, int64_t row0 = 0, int64_t rows = -1) {
    at::Tensor t = grads ? p.grad() : p.detach();
    if (t.defined() && rows >= 0) t = t.narrow(0, row0, rows);
    out.emplace_back(std::move(name), t);
  };
  const int64_t H = cfg_.n_head, KV = kv_heads_, D = head_dim_, F = cfg_.d_ff;
  add("model.embed_tokens.weight", embed_);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = *blocks_[i];
    const std::string l = "model.layers." + std::to_string(i) + ".";
    add(l + "input_layernorm.weight", b.input_norm_w);
    add(l + "self_attn.q_proj.weight", b.qkv_w, 0, H * D);
    add(l + "self_attn.k_proj.weight", b.qkv_w, H * D, KV * D);
    add(l + "self_attn.v_proj.weight", b.qkv_w, (H + KV) * D, KV * D);
    add(l + "self_attn.o_proj.weight", b.o_w);
    add(l + "post_attention_layernorm.weight", b.post_norm_w);
    add(l + "mlp.gate_proj.weight", b.gate_up_w, 0, F);
    add(l + "mlp.up_proj.weight", b.gate_up_w, F, F);
    add(l + "mlp.down_proj.weight", b.down_w);
  }
  add("model.norm.weight", norm_w_);
  if (lm_head_.defined()) add("lm_head.weight", lm_head_);
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> LlamaImpl::hfStateDict() {
  return hfViews(false);
}
std::vector<std::pair<std::string, torch::Tensor>> LlamaImpl::hfGradDict() {
  return hfViews(true);
}

void LlamaImpl::loadHfStateDict(const std::map<std::string, torch::Tensor>& tensors) {
  detail::HfLoader loader(tensors, "");
  for (auto& [name, view] : hfViews(false)) loader.copy(name, view);
  if (!lm_head_.defined()) loader.ignoreIfShaped("lm_head.weight", embed_.sizes());
  loader.finish([](const std::string& n) {
    const std::string suf = "rotary_emb.inv_freq";  // a buffer older HF versions saved
    return n.size() >= suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0;
  });
}

double LlamaImpl::flopsPerToken(int64_t seq_len) const {
  return flopsPerTokenFor(cfg_, seq_len);
}
double LlamaImpl::flopsPerToken(int64_t seq_len, const Subnet& subnet) const {
  return flopsPerTokenFor(cfg_, seq_len, subnet);
}

}  // namespace recipec::models
