// Est.cpp — Efficient Subnetwork Training (methods.md "EST"): `subnet { layers, heads, mlp }`
// trains a fresh random subnetwork each step. Description: runtime/plan/Methods.h.
#include <algorithm>
#include <random>

#include "runtime/train/Policy.h"

namespace recipec::train::methods {
namespace {

// A fresh random subnetwork each step, drawn from (seed, step) so a resumed run draws the
// same ones.
class SubnetPolicy : public Policy {
 public:
  SubnetPolicy(const plan::Rule& r, const PolicyContext& ctx) : Policy(r) {
    checkParamNames();
    layers_ = param("layers");
    heads_ = param("heads");
    mlp_ = param("mlp");
    n_layer_ = ctx.model ? ctx.model->config().n_layer : 0;
  }
  void fire(PolicyContext&) override { active_ = true; }
  void beforeStep(PolicyContext& ctx, int64_t step) override {
    if (!active_) return;
    models::Subnet s;
    s.seed = ctx.seed * 0x9E3779B97F4A7C15ull + uint64_t(step) + 1;
    std::mt19937_64 rng(s.seed);
    const int64_t keep = std::max<int64_t>(1, std::llround(layers_ * double(n_layer_)));
    std::vector<int64_t> order(static_cast<size_t>(n_layer_));
    for (int64_t i = 0; i < n_layer_; ++i) order[size_t(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    s.layers.assign(size_t(n_layer_), false);
    for (int64_t i = 0; i < keep; ++i) s.layers[size_t(order[size_t(i)])] = true;
    s.head_frac = heads_;
    s.mlp_frac = mlp_;
    ctx.model->setSubnet(s);
    ctx.flops_per_token = ctx.model->flopsPerToken(ctx.seq_len, s);
  }
  void endPhase(PolicyContext& ctx) override {
    active_ = false;
    ctx.model->setSubnet(std::nullopt);
    ctx.flops_per_token = ctx.model->flopsPerToken(ctx.seq_len);
  }
  nlohmann::json state() const override { return active_; }
  void loadState(const nlohmann::json& j) override { active_ = j.get<bool>(); }

 private:
  double layers_, heads_, mlp_;
  int64_t n_layer_;
  bool active_ = false;
};

}  // namespace

void registerEst(PolicyRegistry& r) {
  r.add("subnet", [](const plan::Rule& rule, const PolicyContext& ctx) { return std::make_unique<SubnetPolicy>(rule, ctx); });
}

}  // namespace recipec::train::methods
