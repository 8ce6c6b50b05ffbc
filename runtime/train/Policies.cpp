// Policies.cpp — the built-in policies, one small class per plan Action.kind.
//
// Each reads its parameters once at construction (a missing one is a PlanError naming the
// rule: methods.md says the runtime must not invent defaults) and acts only through
// PolicyContext. Adding a method = one class here + one `add` line in
// registerBuiltinPolicies.
#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/train/Policy.h"

namespace recipec::train {
namespace {

double param(const plan::Rule& r, const std::string& key) {
  auto it = r.action.params.find(key);
  if (it == r.action.params.end())
    throw plan::PlanError("rule " + r.source + ": `" + r.action.kind + "` needs parameter `" + key + "`");
  return it->second;
}

void onlyParams(const plan::Rule& r, std::initializer_list<const char*> allowed) {
  for (const auto& [k, v] : r.action.params) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) throw plan::PlanError("rule " + r.source + ": `" + r.action.kind + "` has no parameter `" + k + "`");
  }
}

// `mix M`: the sampling probabilities from the rule's firing to the end of the phase,
// ramping weight -> weight_end linearly over the phase.
class MixPolicy : public Policy {
 public:
  MixPolicy(const plan::Rule& r, const PolicyContext& ctx) : Policy(r) {
    if (r.action.mixture.empty()) throw plan::PlanError("rule " + r.source + ": empty mixture");
    for (const auto& e : r.action.mixture)
      if (std::find(ctx.datasets.begin(), ctx.datasets.end(), e.dataset) == ctx.datasets.end())
        throw plan::PlanError("rule " + r.source + ": unknown dataset `" + e.dataset + "`");
  }
  void fire(PolicyContext& ctx) override {
    ctx.selection.mixture = rule_.action.mixture;
    ctx.selection.ramp_start = ctx.metrics.step;
    ctx.selection.ramp_end = ctx.phase_end;
    ctx.selection.changed = true;
  }
};

// `record ppl per block`: stores each training sample's loss in the block table.
class RecordPolicy : public Policy {
 public:
  explicit RecordPolicy(const plan::Rule& r) : Policy(r) {
    // ppl and loss record the same thing (ppl = exp(loss)); the table keeps the loss.
    if ((!r.action.metric.empty() && r.action.metric != "ppl" && r.action.metric != "loss") ||
        (!r.action.granularity.empty() && r.action.granularity != "block"))
      throw plan::PlanError("rule " + r.source + ": only `record ppl|loss per block` is supported");
  }
  void fire(PolicyContext&) override { active_ = true; }
  void afterForward(PolicyContext& ctx, const MicroBatch& mb) override {
    if (active_) ctx.table.record(mb.losses, mb.dataset_ids, mb.block_ids);
  }
  void endPhase(PolicyContext&) override { active_ = false; }
  nlohmann::json state() const override { return active_; }
  void loadState(const nlohmann::json& j) override { active_ = j.get<bool>(); }

 private:
  bool active_ = false;
};

// Linear-interpolated percentile (numpy's default) of sorted values.
double percentile(const std::vector<float>& sorted, double p) {
  const double pos = p / 100.0 * double(sorted.size() - 1);
  const size_t lo = size_t(std::floor(pos)), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

// `focus when ppl > p50` keeps the blocks that match; `drop when ...` removes them.
// Blocks never recorded are kept by both: there is nothing to rank them by.
class FilterPolicy : public Policy {
 public:
  FilterPolicy(const plan::Rule& r, bool keep_matching) : Policy(r), keep_matching_(keep_matching) {
    if (!r.when || (r.when->metric != "ppl" && r.when->metric != "loss"))
      throw plan::PlanError("rule " + r.source + ": `" + r.action.kind + "` needs `when ppl|loss <op> <threshold>`");
    const auto& t = r.when->threshold;
    if (t.kind != "percentile" && t.kind != "number")
      throw plan::PlanError("rule " + r.source + ": `" + r.action.kind + "` takes a percentile or a number");
    if (t.kind == "percentile" && (t.value < 0 || t.value > 100))
      throw plan::PlanError("rule " + r.source + ": percentile p" + std::to_string(t.value) + " is outside p0..p100");
  }
  bool conditionFiltersBlocks() const override { return true; }

  void fire(PolicyContext& ctx) override {
    const auto table = ctx.table.toCpu();  // (total) float32 — the one transfer
    const float* v = table.data_ptr<float>();
    const int64_t n = table.numel();
    std::vector<float> seen;
    for (int64_t i = 0; i < n; ++i)
      if (!std::isnan(v[i])) seen.push_back(v[i]);
    const auto& c = *rule_.when;
    double threshold_loss;  // the table holds losses; ppl = exp(loss) is monotone in it
    if (c.threshold.kind == "percentile") {
      if (seen.empty()) {
        ctx.event(rule_.action.kind, {{"rule", describe()}, {"kept", n}, {"note", "no block recorded yet: all kept"}});
        ctx.keep_masks.erase(key());
        ctx.rebuildAllowed();
        return;
      }
      std::sort(seen.begin(), seen.end());
      threshold_loss = percentile(seen, c.threshold.value);
    } else {
      threshold_loss = c.metric == "ppl" ? std::log(c.threshold.value) : c.threshold.value;
    }
    auto mask = at::empty({n}, at::kBool);
    bool* m = mask.data_ptr<bool>();
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double x = v[i];
      bool match;
      if (c.op == ">") match = x > threshold_loss;
      else if (c.op == ">=") match = x >= threshold_loss;
      else if (c.op == "<") match = x < threshold_loss;
      else if (c.op == "<=") match = x <= threshold_loss;
      else throw plan::PlanError("rule " + rule_.source + ": `" + c.op + "` cannot select blocks");
      m[i] = std::isnan(v[i]) || (match == keep_matching_);
      kept += m[i];
    }
    if (kept == 0)
      throw plan::PlanError("rule " + rule_.source + ": `" + describe() + "` keeps no block");
    ctx.keep_masks[key()] = mask;
    ctx.rebuildAllowed();
    ctx.event(rule_.action.kind, {{"rule", describe()}, {"threshold_ppl", std::exp(threshold_loss)},
                                  {"kept", kept}, {"of", n}, {"recorded", int64_t(seen.size())}});
  }

 private:
  std::string key() const { return describe(); }
  bool keep_matching_;
};

// `review`: all blocks again, with a fresh table so forgotten blocks are re-measured.
class ReviewPolicy : public Policy {
 public:
  using Policy::Policy;
  void fire(PolicyContext& ctx) override {
    ctx.table.reset();
    ctx.keep_masks.clear();
    ctx.rebuildAllowed();
    ctx.event("review", {{"rule", describe()}});
  }
};

// `order by ppl|loss ascending|descending`: visit blocks in table order (curriculum; the
// two orders are the same since ppl = exp(loss)); blocks not recorded go last.
class OrderPolicy : public Policy {
 public:
  explicit OrderPolicy(const plan::Rule& r) : Policy(r) {
    if (!r.action.method.empty() && r.action.method != "ppl" && r.action.method != "loss")
      throw plan::PlanError("rule " + r.source + ": can only order by ppl or loss");
    if (r.action.direction != "ascending" && r.action.direction != "descending")
      throw plan::PlanError("rule " + r.source + ": order direction must be ascending or descending");
  }
  void fire(PolicyContext& ctx) override {
    const auto table = ctx.table.toCpu();
    const float* v = table.data_ptr<float>();
    const bool asc = rule_.action.direction == "ascending";
    ctx.selection.order.assign(ctx.datasets.size(), std::nullopt);
    for (size_t d = 0; d < ctx.datasets.size(); ++d) {
      std::vector<int64_t> ids(size_t(ctx.table.size(d)));
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = int64_t(i);
      const float* x = v + ctx.table.offset(d);
      std::stable_sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
        const bool na = std::isnan(x[a]), nb = std::isnan(x[b]);
        if (na != nb) return nb;  // recorded first
        return asc ? x[a] < x[b] : x[a] > x[b];
      });
      ctx.selection.order[d] = std::move(ids);
    }
    ctx.selection.changed = true;
    ctx.event("order", {{"rule", describe()}});
  }
  void endPhase(PolicyContext& ctx) override {
    ctx.selection.order.clear();
    ctx.selection.changed = true;
  }
};

// `subnet { layers: 0.75, heads: 0.5, mlp: 0.5 }` (EST): a fresh random subnetwork each
// step, drawn from (seed, step) so a resumed run draws the same ones.
class SubnetPolicy : public Policy {
 public:
  SubnetPolicy(const plan::Rule& r, const PolicyContext& ctx) : Policy(r) {
    onlyParams(r, {"layers", "heads", "mlp"});
    layers_ = param(r, "layers");
    heads_ = param(r, "heads");
    mlp_ = param(r, "mlp");
    for (double f : {layers_, heads_, mlp_})
      if (!(f > 0 && f <= 1)) throw plan::PlanError("rule " + r.source + ": subnet fractions must be in (0, 1]");
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

// `reweight irdro(lambda)` / `reweight rank(frac, portion)` (IR-DRO, methods.md): weights
// of the micro-batch's per-sample losses, detached.
class ReweightPolicy : public Policy {
 public:
  ReweightPolicy(const plan::Rule& r, const PolicyContext& ctx) : Policy(r) {
    if (r.action.method == "irdro") {
      onlyParams(r, {"lambda"});
      lambda_ = param(r, "lambda");
      if (!(lambda_ > 0)) throw plan::PlanError("rule " + r.source + ": irdro lambda must be > 0");
    } else if (r.action.method == "rank") {
      onlyParams(r, {"frac", "portion"});
      frac_ = param(r, "frac");
      portion_ = int64_t(param(r, "portion"));
      const int64_t b = ctx.plan ? ctx.plan->train.micro_batch : 0;
      const int64_t k = std::max<int64_t>(1, std::llround(frac_ * double(b)));
      if (b > 0 && (portion_ + 1) * k > b)
        throw plan::PlanError("rule " + r.source + ": rank slice [" + std::to_string(portion_ * k) + ", " +
                              std::to_string((portion_ + 1) * k) + ") lies outside the micro-batch of " +
                              std::to_string(b));
    } else {
      throw plan::PlanError("rule " + r.source + ": unknown reweight method `" + r.action.method +
                            "` (expected irdro or rank)");
    }
  }
  void fire(PolicyContext&) override { active_ = true; }
  void endPhase(PolicyContext&) override { active_ = false; }
  std::optional<at::Tensor> lossWeights(const at::Tensor& l) override {
    if (!active_) return std::nullopt;
    const auto x = l.detach();  // (b)
    if (rule_.action.method == "irdro") return at::softmax(x / lambda_, 0);  // max-subtracted inside
    const int64_t b = x.size(0);
    const int64_t k = std::max<int64_t>(1, std::llround(frac_ * double(b)));
    const auto idx = std::get<1>(x.sort(0, /*descending=*/true)).slice(0, portion_ * k, (portion_ + 1) * k);
    auto w = at::zeros_like(x);
    w.index_fill_(0, idx, 1.0 / double(k));
    return w;
  }
  nlohmann::json state() const override { return active_; }
  void loadState(const nlohmann::json& j) override { active_ = j.get<bool>(); }

 private:
  double lambda_ = 0, frac_ = 0;
  int64_t portion_ = 0;
  bool active_ = false;
};

// `set lr = 1e-4` (also weight_decay, grad_clip): lasts for the rest of the run.
class SetPolicy : public Policy {
 public:
  explicit SetPolicy(const plan::Rule& r) : Policy(r) {
    onlyParams(r, {"lr", "weight_decay", "grad_clip"});
    if (r.action.params.empty()) throw plan::PlanError("rule " + r.source + ": `set` with nothing to set");
  }
  void fire(PolicyContext& ctx) override {
    for (const auto& [k, v] : rule_.action.params) {
      if (k == "lr") ctx.base_lr = v;
      if (k == "weight_decay") ctx.weight_decay = v;
      if (k == "grad_clip") ctx.grad_clip = v;
    }
    ctx.event("set", {{"rule", describe()}, {"params", rule_.action.params}});
  }
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

void registerBuiltinPolicies(PolicyRegistry& r) {
  r.add("mix", [](const plan::Rule& rule, const PolicyContext& ctx) { return std::make_unique<MixPolicy>(rule, ctx); });
  r.add("record", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<RecordPolicy>(rule); });
  r.add("focus", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<FilterPolicy>(rule, true); });
  r.add("drop", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<FilterPolicy>(rule, false); });
  r.add("review", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<ReviewPolicy>(rule); });
  r.add("order", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<OrderPolicy>(rule); });
  r.add("subnet", [](const plan::Rule& rule, const PolicyContext& ctx) { return std::make_unique<SubnetPolicy>(rule, ctx); });
  r.add("reweight", [](const plan::Rule& rule, const PolicyContext& ctx) { return std::make_unique<ReweightPolicy>(rule, ctx); });
  r.add("set", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<SetPolicy>(rule); });
  r.add("stop", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<StopPolicy>(rule); });
  r.add("checkpoint", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<CheckpointPolicy>(rule); });
}

}  // namespace recipec::train
