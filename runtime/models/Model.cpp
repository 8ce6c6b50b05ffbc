// Model.cpp — the arch-independent parts of Model.h: config validation, the model
// factory, EST subnet resolution and the per-sample loss.
#include "runtime/models/Model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

#include "runtime/models/GPT2.h"
#include "runtime/models/Layers.h"
#include "runtime/models/Llama.h"

namespace recipec::models {

int64_t LanguageModelImpl::numParams() const {
  std::unordered_set<const void*> seen;  // a tied weight is one tensor, counted once
  int64_t n = 0;
  for (const auto& p : parameters())
    if (seen.insert(p.unsafeGetTensorImpl()).second) n += p.numel();
  return n;
}

void LanguageModelImpl::setSubnet(std::optional<Subnet> s) { subnet_ = std::move(s); }

namespace detail {

int64_t kvHeads(const plan::Model& cfg) {
  return cfg.arch == "gpt2" || cfg.n_kv_head == 0 ? cfg.n_head : cfg.n_kv_head;
}

void validateConfig(const plan::Model& cfg) {
  if (cfg.arch != "gpt2" && cfg.arch != "llama")
    throw std::invalid_argument("model `" + cfg.name + "`: unknown arch `" + cfg.arch +
                                "` (expected `gpt2` or `llama`)");
  require(cfg.n_layer >= 1, cfg, "n_layer", cfg.n_layer, "need at least 1 layer");
  require(cfg.n_head >= 1, cfg, "n_head", cfg.n_head, "need at least 1 head");
  require(cfg.d_model >= 1, cfg, "d_model", cfg.d_model, "must be positive");
  require(cfg.d_model % cfg.n_head == 0, cfg, "d_model", cfg.d_model,
          "not divisible by n_head = " + std::to_string(cfg.n_head));
  require(cfg.d_ff >= 1, cfg, "d_ff", cfg.d_ff, "must be positive");
  require(cfg.vocab_size >= 1, cfg, "vocab_size", cfg.vocab_size, "must be positive");
  require(cfg.max_seq_len >= 1, cfg, "max_seq_len", cfg.max_seq_len, "must be positive");
  require(cfg.norm_eps > 0, cfg, "norm_eps", cfg.norm_eps, "must be positive");
  require(cfg.init_std >= 0, cfg, "init_std", cfg.init_std, "must not be negative");
  require(cfg.dropout >= 0 && cfg.dropout < 1, cfg, "dropout", cfg.dropout,
          "must be in [0, 1)");
  if (cfg.arch == "gpt2") {
    require(cfg.n_kv_head == 0 || cfg.n_kv_head == cfg.n_head, cfg, "n_kv_head",
            cfg.n_kv_head, "gpt2 has no grouped-query attention (use 0 or n_head)");
  } else {
    const int64_t kv = kvHeads(cfg);
    require(kv >= 1 && kv <= cfg.n_head && cfg.n_head % kv == 0, cfg, "n_kv_head", kv,
            "must divide n_head = " + std::to_string(cfg.n_head));
    require((cfg.d_model / cfg.n_head) % 2 == 0, cfg, "head_dim (d_model / n_head)",
            cfg.d_model / cfg.n_head, "rotary embeddings need an even head size");
    require(cfg.rope_theta > 0, cfg, "rope_theta", cfg.rope_theta, "must be positive");
  }
}

}  // namespace detail

LanguageModel buildModel(const plan::Model& cfg, bool random_init) {
  detail::validateConfig(cfg);
  if (cfg.arch == "gpt2") return std::make_shared<GPT2Impl>(cfg, random_init);
  return std::make_shared<LlamaImpl>(cfg, random_init);
}

namespace {
// splitmix64: a fixed, platform-independent generator (std:: distributions and shuffles
// differ between standard libraries, and a subnet must be the same on every machine).
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Sorted `k` of 0..n-1 by a partial Fisher-Yates shuffle.
std::vector<int64_t> chooseSorted(int64_t n, int64_t k, uint64_t& state) {
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i) all[i] = i;
  if (k < n) {
    for (int64_t i = 0; i < k; ++i) {
      int64_t j = i + static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(n - i));
      std::swap(all[i], all[j]);
    }
    all.resize(k);
    std::sort(all.begin(), all.end());
  }
  return all;
}

int64_t keptCount(double frac, int64_t n) {
  return std::clamp<int64_t>(std::llround(frac * static_cast<double>(n)), 1, n);
}
}  // namespace

std::vector<LayerChoice> resolveSubnet(const plan::Model& cfg, const Subnet& s) {
  const auto L = static_cast<size_t>(cfg.n_layer);
  if (!s.layers.empty() && s.layers.size() != L)
    throw std::invalid_argument("subnet: " + std::to_string(s.layers.size()) +
                                " layer flags for a model with n_layer = " + std::to_string(L));
  for (auto [name, f] : {std::pair{"head_frac", s.head_frac}, {"mlp_frac", s.mlp_frac}})
    if (!(f > 0 && f <= 1))
      throw std::invalid_argument(std::string("subnet: ") + name + " = " +
                                  std::to_string(f) + " is outside (0, 1]");
  const int64_t kh = keptCount(s.head_frac, cfg.n_head), ku = keptCount(s.mlp_frac, cfg.d_ff);
  std::vector<LayerChoice> out(L);
  for (size_t i = 0; i < L; ++i) {
    uint64_t state = s.seed ^ (0xD1B54A32D192ED03ull * (i + 1));  // per-layer stream
    out[i].run = s.layers.empty() || s.layers[i];
    out[i].heads = chooseSorted(cfg.n_head, kh, state);
    out[i].units = chooseSorted(cfg.d_ff, ku, state);
  }
  return out;
}

int64_t LanguageModelImpl::paddedVocab() const {
  const int64_t V = config().vocab_size;
  return (V + pad_multiple_ - 1) / pad_multiple_ * pad_multiple_;
}

at::Tensor LanguageModelImpl::outputLogits(const at::Tensor& x, const at::Tensor& w, bool linear) const {
  const int64_t V = w.size(0), pad = paddedVocab() - V;
  const at::Tensor m = pad > 0 ? at::constant_pad_nd(w, {0, 0, 0, pad}) : w;  // (V + pad, C)
  const at::Tensor logits = linear ? at::linear(x, m) : at::matmul(x, m.t());
  return pad > 0 ? logits.narrow(-1, 0, V) : logits;
}

torch::Tensor perSampleLoss(const torch::Tensor& logits, const torch::Tensor& targets,
                            int64_t ignore_index) {
  if (logits.dim() != 3 || targets.dim() != 2 || logits.size(0) != targets.size(0) ||
      logits.size(1) != targets.size(1))
    throw std::invalid_argument("perSampleLoss: need logits (B, T, V) and targets (B, T)");
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  // float32 log-softmax whatever the compute dtype: bf16 cross-entropy over 50k classes
  // loses the digits that per-block perplexity rankings compare.
  at::Tensor lf = logits.scalar_type() == at::kFloat ? logits : logits.to(at::kFloat);
  at::Tensor tok = at::cross_entropy_loss(lf.reshape({B * T, V}), targets.reshape({B * T}),
                                          {}, at::Reduction::None, ignore_index)
                       .view({B, T});  // (B, T), 0 where ignored
  at::Tensor count = targets.ne(ignore_index).sum(1).to(at::kFloat).clamp_min(1);  // (B)
  return tok.sum(1) / count;  // (B)
}

}  // namespace recipec::models
