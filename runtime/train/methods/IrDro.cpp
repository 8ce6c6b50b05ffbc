// IrDro.cpp — instance-reweighted DRO (methods.md "IR-DRO"): `reweight irdro(lambda, pool)`
// weights each sequence's loss by softmax(loss / lambda) over a pool of micro-batches;
// `reweight rank(frac, portion)` keeps one slice of the losses sorted hardest first.
// Descriptions: runtime/plan/Methods.h.
//
// Pooling: the trainer forwards `pool` consecutive micro-batches of a step, keeping their
// graphs, hands all their per-sample losses to lossWeights at once, and back-propagates
// their weighted sum (TrainStep.cpp). With several ranks a pool may span ranks; its losses
// are gathered first, so the weights are those of a single process.
#include <algorithm>
#include <cmath>

#include "runtime/train/Policy.h"

namespace recipec::train::methods {
namespace {

class ReweightPolicy : public Policy {
 public:
  ReweightPolicy(const plan::Rule& r, const PolicyContext& ctx) : Policy(r) {
    checkParamNames();
    if (r.action.method == "irdro") {
      lambda_ = param("lambda");
      pool_ = int64_t(param("pool"));
    } else if (r.action.method == "rank") {
      frac_ = param("frac");
      portion_ = int64_t(param("portion"));
      const int64_t b = ctx.plan ? ctx.plan->train.micro_batch : 0;
      const int64_t k = std::max<int64_t>(1, std::llround(frac_ * double(b)));
      if (b > 0 && (portion_ + 1) * k > b)
        fail("rank slice [" + std::to_string(portion_ * k) + ", " + std::to_string((portion_ + 1) * k) +
             ") lies outside the micro-batch of " + std::to_string(b));
    }
  }
  void fire(PolicyContext&) override {
    active_ = true;
    reported_ = false;
  }
  void endPhase(PolicyContext&) override { active_ = false; }
  int64_t pool() const override { return active_ ? pool_ : 1; }
  std::optional<at::Tensor> lossWeights(PolicyContext& ctx, const at::Tensor& l) override {
    if (!active_) return std::nullopt;
    const auto x = l.detach();  // (n): a micro-batch, or a pool of them
    at::Tensor w;
    if (rule_.action.method == "irdro") {
      w = at::softmax(x / lambda_, 0);  // max-subtracted inside
    } else {
      const int64_t b = x.size(0);
      const int64_t k = std::max<int64_t>(1, std::llround(frac_ * double(b)));
      const auto idx = std::get<1>(x.sort(0, /*descending=*/true)).slice(0, portion_ * k, (portion_ + 1) * k);
      w = at::zeros_like(x);
      w.index_fill_(0, idx, 1.0 / double(k));
    }
    if (!reported_ && ctx.event) {  // once per activation: what the weights look like (one sync)
      reported_ = true;
      const auto wd = w.to(at::kDouble);
      const int64_t mb = ctx.plan ? std::max<int64_t>(1, ctx.plan->train.micro_batch) : x.size(0);
      ctx.event("reweight", {{"rule", describe()},
                             {"pooled_micro_batches", x.size(0) / mb},  // pool, or the whole step when fewer
                             {"samples", x.size(0)},
                             {"max_weight", wd.max().item<double>()},
                             {"min_weight", wd.min().item<double>()},
                             {"effective_samples", 1.0 / wd.pow(2).sum().item<double>()}});
    }
    return w;
  }
  nlohmann::json state() const override { return active_; }
  void loadState(const nlohmann::json& j) override {
    active_ = j.get<bool>();
    reported_ = false;
  }

 private:
  double lambda_ = 0, frac_ = 0;
  int64_t portion_ = 0, pool_ = 1;
  bool active_ = false, reported_ = false;
};

}  // namespace

void registerIrDro(PolicyRegistry& r) {
  r.add("reweight", [](const plan::Rule& rule, const PolicyContext& ctx) {
    return std::make_unique<ReweightPolicy>(rule, ctx);
  });
}

}  // namespace recipec::train::methods
