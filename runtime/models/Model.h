// Model.h — the language-model interface the trainer codes against.
//
// Contract: `buildModel(cfg)` returns a randomly initialised GPT-2 or Llama for a
// `plan::Model` (arch "gpt2" | "llama"); `forward(idx)` maps token ids (B, T) int64 to
// logits (B, T, V) in the compute dtype. Weights move in and out by their Hugging Face
// names (`hfStateDict` / `loadHfStateDict`), so a safetensors file written by one is read
// by `transformers` and the other way round. `perSampleLoss` gives the per-sequence mean
// token cross-entropy straight from the training forward (no host sync): LFR records it
// per block, IR-DRO weights it.
//
// EST (methods.md): `setSubnet(s)` makes the following forwards run a subnetwork — skipped
// layers are the identity on the residual stream, a subset of heads (output scaled by
// n_head / kept) and of MLP hidden units (scaled by d_ff / kept) chosen deterministically
// from `s.seed`. The kept heads/units are really sliced out of the weights, so the FLOPs
// saved are FLOPs not executed; `flopsPerToken(T, s)` counts them.
//
// Config conventions (no hidden defaults beyond these): llama `n_kv_head == 0` means
// n_kv_head = n_head; gpt2 ignores `n_kv_head` unless it is set and differs from n_head
// (an error); `rope_theta` is llama-only. Shape errors throw std::invalid_argument.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>

#include "runtime/plan/Plan.h"

namespace recipec::models {

// One sampled EST subnetwork. `layers` has n_layer entries (true = run the layer; empty =
// all layers). Fractions are of the full width; the kept count is round(frac * n), at
// least 1. The same seed always selects the same heads and hidden units.
struct Subnet {
  std::vector<bool> layers;
  double head_frac = 1.0;
  double mlp_frac = 1.0;
  uint64_t seed = 0;
};

class LanguageModelImpl : public torch::nn::Module {
 public:
  ~LanguageModelImpl() override = default;

  // idx (B, T) int64 token ids, T <= max_seq_len -> logits (B, T, V).
  virtual torch::Tensor forward(const torch::Tensor& idx) = 0;

  virtual const plan::Model& config() const = 0;

  // (HF name, tensor) pairs in HF layout. The tensors are detached views sharing storage
  // with this module's parameters (GPT-2 Conv1D weights are stored (in, out) as HF stores
  // them; Llama's fused q|k|v and gate|up weights are returned as row slices). A tied
  // embedding appears once (GPT-2 "wte.weight", Llama "model.embed_tokens.weight").
  virtual std::vector<std::pair<std::string, torch::Tensor>> hfStateDict() = 0;
  // The parameters' gradients in the same names and layout (undefined where no grad yet).
  virtual std::vector<std::pair<std::string, torch::Tensor>> hfGradDict() = 0;

  // Copies HF-named tensors into the parameters (dtype converted). Accepts an optional
  // "transformer." (GPT-2) prefix and ignores HF's non-weight buffers (attn.bias,
  // rotary_emb.inv_freq) and a tied lm_head.weight. Throws std::invalid_argument naming
  // the missing / unexpected / mis-shaped tensor (with both shapes).
  virtual void loadHfStateDict(const std::map<std::string, torch::Tensor>& tensors) = 0;

  // Unique parameter elements (a tied embedding counted once).
  virtual int64_t numParams() const;

  // Training FLOPs per token (forward + backward), PaLM appendix-B formula:
  //   6 * N_matmul + 12 * L * H * Q * T
  // N_matmul = weights that take part in a matmul (all projections, MLP and lm_head; not
  // the embedding lookups, norms or biases), L layers, H heads of size Q, T = seq_len
  // (the attention score and value products; causal masking not discounted, as in PaLM
  // and nanoGPT). The subnet form counts only the layers, heads and units that run.
  virtual double flopsPerToken(int64_t seq_len) const = 0;
  virtual double flopsPerToken(int64_t seq_len, const Subnet& subnet) const = 0;

  // EST hook: the subnetwork for the following forwards; std::nullopt = full model.
  virtual void setSubnet(std::optional<Subnet> s);
  const std::optional<Subnet>& subnet() const { return subnet_; }

  // The output layer's matrix product runs over the vocabulary rounded up to a multiple of
  // `multiple` (zero rows appended for the product only: the parameters, checkpoints and
  // exports keep the true vocabulary), and forward returns the first V columns, a view. A
  // GPU's GEMM kernels tile 50304 rows far better than GPT-2's 50257. 1 = none (default).
  void setVocabPadding(int64_t multiple) { pad_multiple_ = multiple < 1 ? 1 : multiple; }
  int64_t vocabPadding() const { return pad_multiple_; }
  int64_t paddedVocab() const;

 protected:
  // logits (..., V) = x (..., C) times the output matrix w (V, C), padded as above; `linear`
  // picks at::linear (else matmul with w's transpose).
  at::Tensor outputLogits(const at::Tensor& x, const at::Tensor& w, bool linear) const;
  std::optional<Subnet> subnet_;
  int64_t pad_multiple_ = 1;
};

using LanguageModel = std::shared_ptr<LanguageModelImpl>;

// What a Subnet selects in one layer: sorted kept head and MLP-unit indices (all of them
// when the fraction is 1). Layer i's choice depends only on (seed, i), not on the others.
struct LayerChoice {
  bool run = true;
  std::vector<int64_t> heads;  // query heads, 0..n_head-1
  std::vector<int64_t> units;  // MLP hidden units, 0..d_ff-1
};
// Throws std::invalid_argument if `layers` is neither empty nor n_layer long, or a
// fraction is outside (0, 1].
std::vector<LayerChoice> resolveSubnet(const plan::Model& cfg, const Subnet& s);

// arch "gpt2" | "llama". Throws std::invalid_argument with the offending field and value.
// `random_init` false leaves the weights uninitialised (no N(0, std) draw over every
// parameter: seconds for a 1B model), for a loadHfStateDict that fills them all (it throws
// on any missing tensor) right after.
LanguageModel buildModel(const plan::Model& cfg, bool random_init = true);

// Parameter count of the model `buildModel(cfg)` would build, without allocating it.
int64_t numParamsFor(const plan::Model& cfg);

// The same formula as LanguageModelImpl::flopsPerToken, from the config alone.
double flopsPerTokenFor(const plan::Model& cfg, int64_t seq_len,
                        const std::optional<Subnet>& subnet = std::nullopt);

// Mean token cross-entropy per sample: logits (B, T, V), targets (B, T) int64 -> (B)
// float32; positions with targets == ignore_index are left out of the mean (a sample with
// none left gets 0). Differentiable; no host sync.
torch::Tensor perSampleLoss(const torch::Tensor& logits, const torch::Tensor& targets,
                            int64_t ignore_index = -1);

}  // namespace recipec::models
