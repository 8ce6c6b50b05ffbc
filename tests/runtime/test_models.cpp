// test_models.cpp — runtime/models behaviour: published parameter counts, the FLOP
// formula, config validation, causality, per-sample loss, HF names and loading, and the
// EST subnet semantics. Numerical parity with PyTorch is in test_parity.cpp.
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "runtime/models/Layers.h"
#include "runtime/models/Model.h"

using namespace recipec;
using namespace recipec::models;

namespace {

plan::Model gpt2_124m() {
  plan::Model c;
  c.name = "gpt2-124m";
  c.arch = "gpt2";
  c.n_layer = 12, c.n_head = 12, c.d_model = 768, c.d_ff = 3072;
  c.vocab_size = 50257, c.max_seq_len = 1024;
  c.tie_embeddings = true;
  return c;
}

plan::Model tinyllama() {
  plan::Model c;
  c.name = "tinyllama-1.1b";
  c.arch = "llama";
  c.n_layer = 22, c.n_head = 32, c.n_kv_head = 4, c.d_model = 2048, c.d_ff = 5632;
  c.vocab_size = 32000, c.max_seq_len = 2048;
  c.tie_embeddings = false;
  return c;
}

plan::Model small(const std::string& arch, bool tie = true, int64_t kv = 0) {
  plan::Model c;
  c.name = "small";
  c.arch = arch;
  c.n_layer = 2, c.n_head = 4, c.n_kv_head = kv, c.d_model = 32, c.d_ff = 48;
  c.vocab_size = 53, c.max_seq_len = 16;
  c.tie_embeddings = tie;
  return c;
}

std::string errorOf(const plan::Model& c) {
  try {
    buildModel(c);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

at::Tensor tokens(int64_t B, int64_t T, int64_t V, uint64_t seed = 0) {
  torch::manual_seed(seed);
  return at::randint(V, {B, T}, at::kLong);
}

}  // namespace

TEST(ParamCount, Gpt2_124M_IsPublishedFigure) {
  auto m = buildModel(gpt2_124m());
  EXPECT_EQ(m->numParams(), 124439808);
  EXPECT_EQ(numParamsFor(gpt2_124m()), 124439808);
}

TEST(ParamCount, TinyLlamaAnalyticIsPublishedFigure) {
  // 1,100,048,384 = the parameter count of TinyLlama-1.1B's released checkpoint.
  EXPECT_EQ(numParamsFor(tinyllama()), 1100048384);
}

TEST(ParamCount, AnalyticMatchesConstructedModels) {
  // numParamsFor carries the TinyLlama figure: check it against real modules of every
  // shape variant (tied/untied, MHA/GQA/MQA) so the formula is not just self-consistent.
  for (auto arch : {"gpt2", "llama"})
    for (bool tie : {true, false})
      for (int64_t kv : {0, 2, 1}) {
        if (std::string(arch) == "gpt2" && kv != 0) continue;
        plan::Model c = small(arch, tie, kv);
        EXPECT_EQ(buildModel(c)->numParams(), numParamsFor(c))
            << arch << " tie=" << tie << " kv=" << kv;
      }
}

TEST(Flops, Gpt2_124M_FormulaByHand) {
  // N_matmul = 12 * (768*2304 + 768*768 + 2*768*3072) + 768*50257 = 123,532,032
  // 6 N + 12 L H Q T = 741,192,192 + 12*12*768*1024 (113,246,208) = 854,438,400
  EXPECT_DOUBLE_EQ(flopsPerTokenFor(gpt2_124m(), 1024), 854438400.0);
  auto m = buildModel(small("gpt2"));
  EXPECT_DOUBLE_EQ(m->flopsPerToken(16), flopsPerTokenFor(small("gpt2"), 16));
}

TEST(Flops, SubnetCountsOnlyWhatRuns) {
  plan::Model c = small("llama", false, 2);
  const double full = flopsPerTokenFor(c, 16);
  // A subnet that keeps everything costs the same as the full model.
  EXPECT_DOUBLE_EQ(flopsPerTokenFor(c, 16, Subnet{{true, true}, 1.0, 1.0, 3}), full);
  // Skipping every layer leaves only the lm_head: 6 V C.
  EXPECT_DOUBLE_EQ(flopsPerTokenFor(c, 16, Subnet{{false, false}, 1.0, 1.0, 3}),
                   6.0 * c.vocab_size * c.d_model);
  // Half the MLP units and no layer skipped: exactly half of each layer's MLP term less.
  const double mlp_half = flopsPerTokenFor(c, 16, Subnet{{}, 1.0, 0.5, 3});
  EXPECT_DOUBLE_EQ(full - mlp_half, c.n_layer * 6.0 * 3 * c.d_model * (c.d_ff / 2));
  auto m = buildModel(c);
  Subnet s{{true, false}, 0.5, 0.5, 11};
  EXPECT_DOUBLE_EQ(m->flopsPerToken(16, s), flopsPerTokenFor(c, 16, s));
  EXPECT_LT(m->flopsPerToken(16, s), full);
}

TEST(BuildModel, RejectsBadShapesWithTheField) {
  plan::Model c = small("gpt2");
  c.arch = "bert";
  EXPECT_NE(errorOf(c).find("unknown arch `bert`"), std::string::npos) << errorOf(c);
  c = small("gpt2");
  c.d_model = 30;
  EXPECT_NE(errorOf(c).find("d_model = 30: not divisible by n_head = 4"), std::string::npos)
      << errorOf(c);
  c = small("llama", true, 3);
  EXPECT_NE(errorOf(c).find("n_kv_head = 3: must divide n_head = 4"), std::string::npos)
      << errorOf(c);
  c = small("llama");
  c.n_head = 32;  // head size 1: odd, no rotary pairs
  EXPECT_NE(errorOf(c).find("rotary"), std::string::npos) << errorOf(c);
  c = small("gpt2");
  c.n_kv_head = 2;
  EXPECT_NE(errorOf(c).find("n_kv_head = 2"), std::string::npos) << errorOf(c);
  c = small("gpt2");
  c.vocab_size = 0;
  EXPECT_NE(errorOf(c).find("vocab_size = 0"), std::string::npos) << errorOf(c);
  c = small("gpt2");
  c.dropout = 1.0;
  EXPECT_NE(errorOf(c).find("dropout = 1"), std::string::npos) << errorOf(c);
}

TEST(Forward, ShapesAndSequenceLimit) {
  for (auto arch : {"gpt2", "llama"}) {
    auto m = buildModel(small(arch));
    at::Tensor logits = m->forward(tokens(2, 16, 53));
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 16, 53})) << arch;
    EXPECT_EQ(logits.scalar_type(), at::kFloat);
    EXPECT_THROW(m->forward(tokens(1, 17, 53)), std::invalid_argument) << arch;
  }
}

TEST(Forward, IsCausal) {
  // Changing token t must leave the logits of positions < t untouched and change t's.
  for (auto arch : {"gpt2", "llama"}) {
    torch::manual_seed(5);
    auto m = buildModel(small(arch, false, arch == std::string("llama") ? 2 : 0));
    at::Tensor a = tokens(1, 12, 53, 9), b = a.clone();
    b[0][7] = (a[0][7].item<int64_t>() + 1) % 53;
    at::Tensor la = m->forward(a), lb = m->forward(b);
    EXPECT_TRUE(at::allclose(la.narrow(1, 0, 7), lb.narrow(1, 0, 7), 0, 0)) << arch;
    EXPECT_FALSE(at::allclose(la.narrow(1, 7, 1), lb.narrow(1, 7, 1))) << arch;
  }
}

TEST(PerSampleLoss, MeanOverKeptTokensPerSample) {
  torch::manual_seed(2);
  at::Tensor logits = torch::randn({3, 5, 7}, torch::requires_grad());
  at::Tensor targets = at::randint(7, {3, 5}, at::kLong);
  targets[1][3] = -1, targets[1][4] = -1;
  targets[2].fill_(-1);
  at::Tensor per = perSampleLoss(logits, targets);
  ASSERT_EQ(per.sizes(), (std::vector<int64_t>{3}));
  EXPECT_EQ(per.scalar_type(), at::kFloat);
  at::Tensor logp = at::log_softmax(logits, -1);
  double want0 = 0, want1 = 0;
  for (int t = 0; t < 5; ++t) want0 -= logp[0][t][targets[0][t].item<int64_t>()].item<double>();
  for (int t = 0; t < 3; ++t) want1 -= logp[1][t][targets[1][t].item<int64_t>()].item<double>();
  EXPECT_NEAR(per[0].item<double>(), want0 / 5, 1e-5);
  EXPECT_NEAR(per[1].item<double>(), want1 / 3, 1e-5);
  EXPECT_EQ(per[2].item<double>(), 0.0);  // nothing to predict: 0, not NaN
  per.sum().backward();
  EXPECT_TRUE(logits.grad()[2].eq(0).all().item<bool>());   // ignored sample: no gradient
  EXPECT_GT(logits.grad()[0].abs().sum().item<double>(), 0);
  // bf16 logits still give a float32 loss.
  EXPECT_EQ(perSampleLoss(logits.detach().to(at::kBFloat16), targets).scalar_type(), at::kFloat);
}

TEST(HfStateDict, Gpt2NamesAndConv1DLayout) {
  auto m = buildModel(small("gpt2"));
  auto sd = m->hfStateDict();
  std::map<std::string, at::Tensor> byName(sd.begin(), sd.end());
  EXPECT_EQ(sd.size(), 4 + 2 * 12u);  // wte wpe ln_f.{weight,bias} + 12 per layer, tied
  EXPECT_EQ(byName.at("h.1.attn.c_attn.weight").sizes(), (std::vector<int64_t>{32, 96}));
  EXPECT_EQ(byName.at("h.0.mlp.c_fc.weight").sizes(), (std::vector<int64_t>{32, 48}));
  EXPECT_EQ(byName.at("h.0.mlp.c_proj.weight").sizes(), (std::vector<int64_t>{48, 32}));
  EXPECT_EQ(byName.count("lm_head.weight"), 0u);
  int64_t total = 0;
  for (auto& [n, t] : sd) total += t.numel();
  EXPECT_EQ(total, m->numParams());
  // The tensors alias the parameters: writing one changes the model.
  at::Tensor before = m->forward(tokens(1, 4, 53));
  byName.at("ln_f.bias").fill_(1.0);
  EXPECT_FALSE(at::allclose(before, m->forward(tokens(1, 4, 53))));
}

TEST(HfStateDict, LlamaNamesSplitFusedWeights) {
  auto m = buildModel(small("llama", false, 2));
  auto sd = m->hfStateDict();
  std::map<std::string, at::Tensor> byName(sd.begin(), sd.end());
  EXPECT_EQ(sd.size(), 3 + 2 * 9u);  // embed, norm, lm_head + 9 per layer
  EXPECT_EQ(byName.at("model.layers.0.self_attn.q_proj.weight").sizes(),
            (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(byName.at("model.layers.0.self_attn.k_proj.weight").sizes(),
            (std::vector<int64_t>{16, 32}));  // 2 kv heads of size 8
  EXPECT_EQ(byName.at("model.layers.1.mlp.up_proj.weight").sizes(),
            (std::vector<int64_t>{48, 32}));
  EXPECT_EQ(byName.at("model.layers.1.mlp.down_proj.weight").sizes(),
            (std::vector<int64_t>{32, 48}));
  EXPECT_EQ(byName.at("lm_head.weight").sizes(), (std::vector<int64_t>{53, 32}));
  int64_t total = 0;
  for (auto& [n, t] : sd) total += t.numel();
  EXPECT_EQ(total, m->numParams());
  auto tied = buildModel(small("llama", true, 2))->hfStateDict();
  for (auto& [n, t] : tied) EXPECT_NE(n, "lm_head.weight");
}

TEST(LoadHfStateDict, RoundTripReproducesTheModel) {
  for (auto arch : {"gpt2", "llama"}) {
    torch::manual_seed(1);
    auto a = buildModel(small(arch, false, arch == std::string("llama") ? 2 : 0));
    torch::manual_seed(2);
    auto b = buildModel(small(arch, false, arch == std::string("llama") ? 2 : 0));
    at::Tensor idx = tokens(2, 8, 53);
    ASSERT_FALSE(at::allclose(a->forward(idx), b->forward(idx)));
    auto sd = a->hfStateDict();
    b->loadHfStateDict(std::map<std::string, at::Tensor>(sd.begin(), sd.end()));
    EXPECT_TRUE(at::equal(a->forward(idx), b->forward(idx))) << arch;
  }
}

TEST(LoadHfStateDict, ErrorsNameTheTensor) {
  auto m = buildModel(small("gpt2"));
  auto sd = m->hfStateDict();
  std::map<std::string, at::Tensor> w(sd.begin(), sd.end());
  auto message = [&](std::map<std::string, at::Tensor> t) -> std::string {
    try {
      m->loadHfStateDict(t);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  auto missing = w;
  missing.erase("h.1.ln_2.bias");
  EXPECT_NE(message(missing).find("missing tensor `h.1.ln_2.bias`"), std::string::npos)
      << message(missing);
  auto wrong = w;
  wrong["h.0.attn.c_attn.weight"] = at::zeros({96, 32});  // nn.Linear layout, not Conv1D
  EXPECT_NE(message(wrong).find("`h.0.attn.c_attn.weight` has shape (96, 32), the model "
                                "needs (32, 96)"),
            std::string::npos)
      << message(wrong);
  auto extra = w;
  extra["h.7.mlp.c_fc.weight"] = at::zeros({1});
  EXPECT_NE(message(extra).find("unexpected tensor(s) for this model: `h.7.mlp.c_fc.weight`"),
            std::string::npos)
      << message(extra);
  // What HF GPT2Model files also contain loads: the "transformer." prefix, the causal-mask
  // buffers and a tied lm_head.weight.
  std::map<std::string, at::Tensor> hf;
  for (auto& [n, t] : w) hf["transformer." + n] = t;
  hf["transformer.h.0.attn.bias"] = at::ones({1, 1, 16, 16});
  hf["lm_head.weight"] = w.at("wte.weight");
  EXPECT_EQ(message(hf), "");
}

TEST(Subnet, SelectionIsDeterministicAndSized) {
  plan::Model c = small("llama", false, 2);
  Subnet s{{true, false}, 0.5, 0.25, 42};
  auto a = resolveSubnet(c, s), b = resolveSubnet(c, s);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FALSE(a[1].run);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a[i].heads, b[i].heads);
    EXPECT_EQ(a[i].units, b[i].units);
    EXPECT_EQ(a[i].heads.size(), 2u);
    EXPECT_EQ(a[i].units.size(), 12u);
    EXPECT_TRUE(std::is_sorted(a[i].units.begin(), a[i].units.end()));
    EXPECT_EQ(std::set<int64_t>(a[i].units.begin(), a[i].units.end()).size(), 12u);
  }
  // Another seed picks other units (48 choose 12: a collision would be a bug).
  s.seed = 43;
  EXPECT_NE(resolveSubnet(c, s)[0].units, a[0].units);
  EXPECT_THROW(resolveSubnet(c, Subnet{{true}, 1, 1, 0}), std::invalid_argument);
  EXPECT_THROW(resolveSubnet(c, Subnet{{}, 0.0, 1, 0}), std::invalid_argument);
}

TEST(Subnet, FullSubnetEqualsFullModelAndResetRestores) {
  for (auto arch : {"gpt2", "llama"}) {
    auto m = buildModel(small(arch, true, arch == std::string("llama") ? 2 : 0));
    at::Tensor idx = tokens(2, 8, 53);
    at::Tensor full = m->forward(idx);
    m->setSubnet(Subnet{{}, 1.0, 1.0, 9});
    EXPECT_TRUE(at::equal(m->forward(idx), full)) << arch;
    m->setSubnet(Subnet{{true, true}, 0.5, 0.5, 9});
    EXPECT_FALSE(at::allclose(m->forward(idx), full)) << arch;
    m->setSubnet(std::nullopt);
    EXPECT_TRUE(at::equal(m->forward(idx), full)) << arch;
  }
}

TEST(Subnet, SkippingAllLayersLeavesEmbeddingToHead) {
  auto m = buildModel(small("gpt2"));
  auto sd = m->hfStateDict();
  std::map<std::string, at::Tensor> w(sd.begin(), sd.end());
  at::Tensor idx = tokens(2, 8, 53);
  m->setSubnet(Subnet{{false, false}, 1.0, 1.0, 0});
  at::Tensor x = at::embedding(w.at("wte.weight"), idx) + w.at("wpe.weight").narrow(0, 0, 8);
  x = at::layer_norm(x, {32}, w.at("ln_f.weight"), w.at("ln_f.bias"), 1e-5);
  EXPECT_TRUE(at::allclose(m->forward(idx), at::matmul(x, w.at("wte.weight").t()), 1e-5, 1e-6));
}

TEST(Subnet, DroppedHeadsAndUnitsGetNoGradient) {
  plan::Model c = small("llama", false, 2);
  auto m = buildModel(c);
  Subnet s{{true, true}, 0.5, 0.5, 5};
  m->setSubnet(s);
  m->forward(tokens(2, 8, 53)).sum().backward();
  auto grads = m->hfGradDict();
  std::map<std::string, at::Tensor> g(grads.begin(), grads.end());
  auto choice = resolveSubnet(c, s);
  const int64_t D = 8;
  for (int layer = 0; layer < 2; ++layer) {
    const std::string l = "model.layers." + std::to_string(layer) + ".";
    std::set<int64_t> kept(choice[layer].heads.begin(), choice[layer].heads.end());
    for (int64_t h = 0; h < 4; ++h) {
      double n = g.at(l + "self_attn.q_proj.weight").narrow(0, h * D, D).abs().sum().item<double>();
      if (kept.count(h)) EXPECT_GT(n, 0) << l << " head " << h;
      else EXPECT_EQ(n, 0) << l << " head " << h;
    }
    std::set<int64_t> units(choice[layer].units.begin(), choice[layer].units.end());
    at::Tensor down = g.at(l + "mlp.down_proj.weight");  // (C, F): column u = unit u
    for (int64_t u = 0; u < 48; ++u) {
      double n = down.select(1, u).abs().sum().item<double>();
      if (units.count(u)) EXPECT_GT(n, 0) << l << " unit " << u;
      else EXPECT_EQ(n, 0) << l << " unit " << u;
    }
  }
}

TEST(GeluKernel, MatchesAtenForwardAndBackward) {
  torch::manual_seed(3);
  at::Tensor x = at::cat({at::randn({4096}) * 4, at::tensor({0.f, -30.f, 30.f, -200.f, 200.f})})
                     .requires_grad_(true);
  at::Tensor xa = x.detach().clone().requires_grad_(true);
  at::Tensor y = models::detail::geluTanh(x), ya = at::gelu(xa, "tanh");
  EXPECT_TRUE(at::allclose(y, ya, 1e-5, 1e-6)) << (y - ya).abs().max().item<float>();
  at::Tensor g = at::randn_like(y);
  y.backward(g);
  ya.backward(g);
  EXPECT_TRUE(at::allclose(x.grad(), xa.grad(), 1e-5, 1e-5))
      << (x.grad() - xa.grad()).abs().max().item<float>();
  EXPECT_FALSE(y.isnan().any().item<bool>());  // no inf/inf from the fast-math division
  // A NaN stays a NaN (a diverged run must stay visible), forward and backward.
  at::Tensor n = at::tensor({1.f, NAN, -2.f}).requires_grad_(true);
  at::Tensor yn = models::detail::geluTanh(n);
  EXPECT_TRUE(std::isnan(yn[1].item<float>()));
  yn.sum().backward();
  EXPECT_TRUE(std::isnan(n.grad()[1].item<float>()));
  EXPECT_FALSE(std::isnan(n.grad()[0].item<float>()));
  // Non-contiguous or non-float input takes LibTorch's kernel.
  at::Tensor strided = at::randn({8, 6}).t();
  EXPECT_TRUE(at::equal(models::detail::geluTanh(strided), at::gelu(strided, "tanh")));
}
