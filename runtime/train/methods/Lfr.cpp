// Lfr.cpp — Learn, Focus, Review (methods.md "LFR"): `record ppl per block` fills the
// per-block table from the training forward pass, `focus` / `drop` keep the blocks a
// percentile or a number selects, `review` clears the table and returns to all blocks.
// Descriptions: runtime/plan/Methods.h.
#include <algorithm>
#include <cmath>

#include "runtime/train/Policy.h"

namespace recipec::train::methods {
namespace {

// `record ppl per block`: stores each training sample's loss in the block table.
class RecordPolicy : public Policy {
 public:
  explicit RecordPolicy(const plan::Rule& r) : Policy(r) {
    // ppl and loss record the same thing (ppl = exp(loss)); the table keeps the loss.
    const auto& s = spec();
    const auto& metrics = s.word("metric")->choices;
    const auto& per = s.word("per")->choices;
    const auto& forms = s.word("form")->choices;
    if (!r.action.form.empty() && std::find(forms.begin(), forms.end(), r.action.form) == forms.end())
      fail("unknown record form `" + r.action.form + "` (expected visited, relative or rescored)");
    if ((!r.action.metric.empty() && std::find(metrics.begin(), metrics.end(), r.action.metric) == metrics.end()) ||
        (!r.action.granularity.empty() && std::find(per.begin(), per.end(), r.action.granularity) == per.end()))
      fail("only `record ppl|loss per block` is supported");
  }
  void fire(PolicyContext&) override { active_ = true; }
  void afterForward(PolicyContext& ctx, const MicroBatch& mb) override {
    if (!active_) return;
    // `relative`: what a block costs beyond its step, so a block seen early (when every
    // loss is high) is not ranked hard for that alone.
    if (rule_.action.form == "relative") ctx.table.record(mb.losses - mb.step_mean, mb.dataset_ids, mb.block_ids);
    else ctx.table.record(mb.losses, mb.dataset_ids, mb.block_ids);
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
      fail("`" + r.action.kind + "` needs `when ppl|loss <op> <threshold>`");
    const auto& t = r.when->threshold;
    if (t.kind != "percentile" && t.kind != "number") fail("`" + r.action.kind + "` takes a percentile or a number");
    if (t.kind == "percentile" && (t.value < 0 || t.value > 100))
      fail("percentile p" + std::to_string(t.value) + " is outside p0..p100");
  }
  bool conditionFiltersBlocks() const override { return true; }

  void fire(PolicyContext& ctx) override {
    if (ctx.table_form == "relative" && rule_.when->threshold.kind == "number")
      fail("a number threshold compares perplexities, but the table is `relative` (losses beyond their step's "
           "mean): use a percentile such as p50");
    if (ctx.table_form == "rescored") rescore(ctx);
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
      else fail("`" + c.op + "` cannot select blocks");
      m[i] = std::isnan(v[i]) || (match == keep_matching_);
      kept += m[i];
    }
    if (kept == 0) fail("`" + describe() + "` keeps no block");
    ctx.keep_masks[key()] = mask;
    ctx.rebuildAllowed();
    ctx.event(rule_.action.kind, {{"rule", describe()}, {"threshold_ppl", std::exp(threshold_loss)},
                                  {"kept", kept}, {"of", n}, {"recorded", int64_t(seen.size())}});
  }

  // `record ... rescored`: every block of the datasets the table covers is measured again
  // with the current model, so the ranking says what is hard now, not what was hard when
  // the block was seen.
  void rescore(PolicyContext& ctx) {
    if (!ctx.score_blocks) return;
    const auto table = ctx.table.toCpu();
    std::vector<size_t> covered;
    for (size_t d = 0; d < ctx.table.datasets(); ++d)
      if (ctx.table.anyRecorded(table, d)) covered.push_back(d);
    if (covered.empty()) return;
    auto cost = ctx.score_blocks(covered, 0);
    cost["rule"] = describe();
    cost["note"] = "rescored with the current model before ranking";
    ctx.event("score", cost);
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

}  // namespace

void registerLfr(PolicyRegistry& r) {
  r.add("record", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<RecordPolicy>(rule); });
  r.add("focus", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<FilterPolicy>(rule, true); });
  r.add("drop", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<FilterPolicy>(rule, false); });
  r.add("review", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<ReviewPolicy>(rule); });
}

}  // namespace recipec::train::methods
