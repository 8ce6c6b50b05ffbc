// Flops.cpp — parameter counts and training FLOPs per token from the config alone, so the
// trainer can report MFU and EST savings, and a test can check TinyLlama's 1.1B without
// allocating 4.4 GB. The formula is the one documented on LanguageModelImpl::flopsPerToken.
#include <stdexcept>

#include "runtime/models/Layers.h"
#include "runtime/models/Model.h"

namespace recipec::models {

int64_t numParamsFor(const plan::Model& cfg) {
  detail::validateConfig(cfg);
  const int64_t C = cfg.d_model, V = cfg.vocab_size, L = cfg.n_layer, F = cfg.d_ff;
  const int64_t H = cfg.n_head, D = C / H, KV = detail::kvHeads(cfg);
  const int64_t head = cfg.tie_embeddings ? 0 : V * C;
  if (cfg.arch == "gpt2") {
    const int64_t layer = 2 * C                  // ln_1
                          + C * 3 * C + 3 * C    // c_attn
                          + C * C + C            // attn c_proj
                          + 2 * C                // ln_2
                          + C * F + F            // c_fc
                          + F * C + C;           // mlp c_proj
    return V * C + cfg.max_seq_len * C + L * layer + 2 * C + head;
  }
  const int64_t layer = C                        // input_layernorm
                        + (H + 2 * KV) * D * C   // q, k, v
                        + H * D * C              // o_proj
                        + C                      // post_attention_layernorm
                        + 3 * F * C;             // gate, up, down
  return V * C + L * layer + C + head;
}

double flopsPerTokenFor(const plan::Model& cfg, int64_t seq_len,
                        const std::optional<Subnet>& subnet) {
  detail::validateConfig(cfg);
  const double C = cfg.d_model, T = static_cast<double>(seq_len);
  const int64_t H = cfg.n_head, KV = detail::kvHeads(cfg), D = cfg.d_model / H;
  std::vector<LayerChoice> choice;
  if (subnet) choice = resolveSubnet(cfg, *subnet);
  const int64_t group = H / KV;

  double flops = 6.0 * static_cast<double>(cfg.vocab_size) * C;  // lm_head
  for (int64_t i = 0; i < cfg.n_layer; ++i) {
    int64_t h = H, kv = KV, f = cfg.d_ff;
    if (subnet) {
      const LayerChoice& c = choice[i];
      if (!c.run) continue;
      h = static_cast<int64_t>(c.heads.size());
      f = static_cast<int64_t>(c.units.size());
      if (h < H) {  // the key/value heads the kept query heads read
        kv = 0;
        for (size_t j = 0; j < c.heads.size(); ++j)
          if (j == 0 || c.heads[j] / group != c.heads[j - 1] / group) ++kv;
      }
    }
    const double hd = static_cast<double>(h * D);
    double matmul;  // weights in matmuls
    if (cfg.arch == "gpt2")
      matmul = C * 3 * hd + hd * C + 2 * C * static_cast<double>(f);
    else
      matmul = C * static_cast<double>((h + 2 * kv) * D) + hd * C + 3 * C * static_cast<double>(f);
    flops += 6.0 * matmul + 12.0 * hd * T;
  }
  return flops;
}

}  // namespace recipec::models
