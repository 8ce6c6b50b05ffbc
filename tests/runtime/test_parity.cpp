// test_parity.cpp — runtime/models against the plain-PyTorch reference in
// parity/ref_models.py: same weights (a safetensors file written here, read there by a
// json+numpy reader), same batch, then loss, per-sample losses, logits and every
// parameter gradient compared; the max abs difference of each is printed. Two cases per
// architecture: the full model and an EST subnet (a skipped layer, half the heads, a
// quarter of the MLP units) which the reference applies by masking.
// Fails when RECIPEC_REFERENCE_PYTHON (.venv/bin/python) has no torch/numpy: the reference is required.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "runtime/models/Model.h"
#include "runtime/models/Safetensors.h"

using namespace recipec;
using namespace recipec::models;
namespace fs = std::filesystem;

namespace {

// fp32 with different op orders (fused addmm vs matmul + add, baddbmm vs masked_fill):
// differences are rounding, ~1e-7 relative; 1e-5 absolute leaves room and still catches
// any real mistake (a wrong mask, rope pairing or scale moves values by >1e-3).
constexpr double kTol = 1e-5;

bool referencePythonReady() {
  static const bool ok = std::system(RECIPEC_REFERENCE_PYTHON
                                     " -c 'import torch, numpy' >/dev/null 2>&1") == 0;
  return ok;
}

fs::path freshDir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / ("recipec_parity_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

double maxDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

struct Outcome {
  at::Tensor loss, per_sample, logits;
  std::vector<std::pair<std::string, at::Tensor>> grads;
};

Outcome runCpp(LanguageModelImpl& m, const at::Tensor& idx, const at::Tensor& targets) {
  m.zero_grad();
  Outcome o;
  o.logits = m.forward(idx);
  o.per_sample = perSampleLoss(o.logits, targets);
  o.loss = o.per_sample.mean();
  o.loss.backward();
  o.grads = m.hfGradDict();
  return o;
}

void compare(const std::string& c, const Outcome& o, const SafetensorsFile& ref) {
  auto get = [&](const std::string& n) {
    auto it = ref.tensors.find(c + "." + n);
    if (it == ref.tensors.end()) ADD_FAILURE() << "reference output lacks `" << c << "." << n << "`";
    return it == ref.tensors.end() ? at::Tensor() : it->second;
  };
  double d_loss = maxDiff(o.loss.reshape({1}), get("loss"));
  double d_per = maxDiff(o.per_sample, get("per_sample"));
  double d_logits = maxDiff(o.logits, get("logits"));
  double d_grad = 0;
  std::string worst;
  for (const auto& [name, g] : o.grads) {
    at::Tensor r = get("grad." + name);
    if (!r.defined()) continue;
    at::Tensor mine = g.defined() ? g : at::zeros_like(r);
    ASSERT_EQ(mine.sizes(), r.sizes()) << name;
    double d = maxDiff(mine, r);
    if (d >= d_grad) d_grad = d, worst = name;
    EXPECT_LE(d, kTol) << "gradient of `" << name << "` (" << c << ")";
  }
  std::cout << "[parity " << c << "] loss " << o.loss.item<double>() << " |dloss| " << d_loss
            << "  max|dper_sample| " << d_per << "  max|dlogits| " << d_logits
            << "  max|dgrad| " << d_grad << " (" << worst << ", " << o.grads.size()
            << " tensors)\n";
  EXPECT_LE(d_loss, kTol);
  EXPECT_LE(d_per, kTol);
  EXPECT_LE(d_logits, kTol);
}

void runParity(const plan::Model& cfg, const Subnet& sub) {
  if (!referencePythonReady())
    FAIL() << RECIPEC_REFERENCE_PYTHON << " cannot import torch and numpy (scripts/setup.sh makes .venv/)";
  torch::manual_seed(1234);
  LanguageModel m = buildModel(cfg);
  {  // Norm gains/biases start at 1/0: perturb them so the test sees them used correctly.
    torch::NoGradGuard no_grad;
    for (auto& p : m->parameters())
      if (p.dim() == 1) p.add_(at::randn_like(p), 0.1);
  }
  const int64_t B = 3, T = 16;
  at::Tensor idx = at::randint(cfg.vocab_size, {B, T}, at::kLong);
  at::Tensor targets = at::randint(cfg.vocab_size, {B, T}, at::kLong);
  targets.select(0, 1).narrow(0, 10, 6).fill_(-1);  // padding at the end of sample 1
  targets.select(0, 2).fill_(-1);                   // sample 2 fully ignored: loss 0

  fs::path dir = freshDir(cfg.arch);
  writeSafetensors((dir / "weights.safetensors").string(), m->hfStateDict(),
                   {{"config", nlohmann::json(cfg).dump()}});
  std::vector<std::pair<std::string, at::Tensor>> batch = {{"idx", idx}, {"targets", targets}};
  std::vector<int64_t> run;
  const auto choice = resolveSubnet(cfg, sub);
  for (size_t i = 0; i < choice.size(); ++i) {
    run.push_back(choice[i].run);
    batch.emplace_back("sub.heads." + std::to_string(i), at::tensor(choice[i].heads));
    batch.emplace_back("sub.units." + std::to_string(i), at::tensor(choice[i].units));
  }
  batch.emplace_back("sub.run", at::tensor(run));
  writeSafetensors((dir / "batch.safetensors").string(), batch);

  const std::string cmd = std::string(RECIPEC_REFERENCE_PYTHON) + " " +
                          RECIPEC_TEST_SOURCE_DIR "/parity/ref_models.py " +
                          (dir / "weights.safetensors").string() + " " +
                          (dir / "batch.safetensors").string() + " " +
                          (dir / "ref.safetensors").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "reference failed: " << cmd;
  SafetensorsFile ref = readSafetensors((dir / "ref.safetensors").string());

  compare("full", runCpp(*m, idx, targets), ref);
  m->setSubnet(sub);
  compare("sub", runCpp(*m, idx, targets), ref);
  m->setSubnet(std::nullopt);
  fs::remove_all(dir);
}

plan::Model smallCfg(const std::string& arch) {
  plan::Model c;
  c.name = "parity";
  c.arch = arch;
  c.n_layer = 3;
  c.n_head = 4;
  c.n_kv_head = arch == "llama" ? 2 : 0;  // GQA: two query heads per kv head
  c.d_model = 64;
  c.d_ff = arch == "llama" ? 96 : 256;
  c.vocab_size = 101;
  c.max_seq_len = 32;
  c.init_std = 0.1;  // larger than 0.02 so attention is far from uniform
  c.tie_embeddings = arch == "gpt2";
  return c;
}

Subnet estSubnet() { return Subnet{{true, false, true}, 0.5, 0.25, 7}; }

}  // namespace

TEST(Parity, Gpt2MatchesPyTorchReference) { runParity(smallCfg("gpt2"), estSubnet()); }

TEST(Parity, LlamaMatchesPyTorchReference) { runParity(smallCfg("llama"), estSubnet()); }
