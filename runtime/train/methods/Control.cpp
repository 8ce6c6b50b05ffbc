// Control.cpp — the rules that steer the run rather than the data or the loss: `set`,
// `stop`, `checkpoint`. Descriptions: runtime/plan/Methods.h.
#include "runtime/train/Policy.h"

namespace recipec::train::methods {
namespace {

// `set lr = 1e-4` (also weight_decay, grad_clip): lasts for the rest of the run.
class SetPolicy : public Policy {
 public:
  explicit SetPolicy(const plan::Rule& r) : Policy(r) {
    checkParamNames();
    if (r.action.params.empty()) fail("`set` with nothing to set");
    for (const auto& [k, v] : r.action.params) values_[k] = param(k);
  }
  void fire(PolicyContext& ctx) override {
    for (const auto& [k, v] : values_) {
      if (k == "lr") ctx.base_lr = v;
      if (k == "weight_decay") ctx.weight_decay = v;
      if (k == "grad_clip") ctx.grad_clip = v;
    }
    ctx.event("set", {{"rule", describe()}, {"params", rule_.action.params}});
  }

 private:
  std::map<std::string, double> values_;
};

class StopPolicy : public Policy {
 public:
  using Policy::Policy;
  void fire(PolicyContext& ctx) override {
    ctx.stop_requested = true;
    ctx.event("stop", {{"rule", describe()}});
  }
};

class CheckpointPolicy : public Policy {
 public:
  using Policy::Policy;
  bool fireAtPhaseStart() const override { return !rule_.every; }
  void fire(PolicyContext& ctx) override { ctx.checkpoint_requested = true; }
};

}  // namespace

void registerControl(PolicyRegistry& r) {
  r.add("set", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<SetPolicy>(rule); });
  r.add("stop", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<StopPolicy>(rule); });
  r.add("checkpoint", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<CheckpointPolicy>(rule); });
}

}  // namespace recipec::train::methods
