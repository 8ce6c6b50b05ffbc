// Continual.cpp — continual pretraining with mixtures, rounds and curricula (methods.md,
// Llama-3-SynE): `mix` (with linear ramps), `order [sources] by ppl` (a curriculum over
// blocks or whole sources, scoring them with the current model when nothing is recorded),
// `fresh` (rounds that never reuse a trained block) and `remix` (a round's mixture
// re-weighted from each source's perplexity change in the round before).
// Descriptions: runtime/plan/Methods.h.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/train/Policy.h"

namespace recipec::train::methods {
namespace {

size_t datasetIndex(const PolicyContext& ctx, const std::string& name) {
  return size_t(std::find(ctx.datasets.begin(), ctx.datasets.end(), name) - ctx.datasets.begin());
}

std::string fmt(const char* f, double v) {
  char b[32];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// `mix M`: the sampling probabilities from the rule's firing to the end of the phase,
// ramping weight -> weight_end linearly over the phase.
class MixPolicy : public Policy {
 public:
  MixPolicy(const plan::Rule& r, const PolicyContext& ctx) : Policy(r) {
    if (r.action.mixture.empty()) fail("empty mixture");
    for (const auto& e : r.action.mixture)
      if (datasetIndex(ctx, e.dataset) == ctx.datasets.size()) fail("unknown dataset `" + e.dataset + "`");
  }
  void fire(PolicyContext& ctx) override {
    ctx.selection.mixture = rule_.action.mixture;
    ctx.selection.ramp_start = ctx.metrics.step;
    ctx.selection.ramp_end = ctx.phase_end;
    ctx.selection.changed = true;
  }
};

// `order by ppl|loss ascending|descending`: visit blocks in table order (the two metrics
// give the same order since ppl = exp(loss)); blocks not recorded go last.
// `order sources by ppl ascending`: the phase's sources one after another, each for its
// share of the phase's steps (its mixture weight), in order of its mean block loss.
// Sources in the mixture with nothing recorded are scored with the current model first:
// every block for a block order, kSourceProbe evenly spread blocks for a source order.
class OrderPolicy : public Policy {
 public:
  static constexpr int64_t kSourceProbe = 256;

  explicit OrderPolicy(const plan::Rule& r) : Policy(r) {
    const auto& s = spec();
    auto allowed = [&](const char* word, const std::string& v) {
      const auto& c = s.word(word)->choices;
      return v.empty() || std::find(c.begin(), c.end(), v) != c.end();
    };
    if (!allowed("by", r.action.method)) fail("can only order by ppl or loss");
    if (r.action.direction != "ascending" && r.action.direction != "descending")
      fail("order direction must be ascending or descending");
    if (!allowed("unit", r.action.granularity)) fail("can only order blocks or sources");
    sources_ = r.action.granularity == "sources";
  }

  // The work waits for atBoundary, after every rule of the boundary fired: the phase's
  // `mix` is then in force whichever comes first in the phase.
  void fire(PolicyContext&) override { pending_ = true; }

  void atBoundary(PolicyContext& ctx, int64_t step) override {
    if (pending_) {
      pending_ = false;
      rank(ctx);
    }
    if (sources_) switchSource(ctx, step);
  }

  void rank(PolicyContext& ctx) {
    std::vector<size_t> in_play;
    for (const auto& e : ctx.selection.mixture)
      if (e.weight > 0 || e.weight_end.value_or(0) > 0) in_play.push_back(datasetIndex(ctx, e.dataset));
    if (in_play.empty())
      for (size_t d = 0; d < ctx.datasets.size(); ++d) in_play.push_back(d);
    scoreUnrecorded(ctx, in_play);
    if (sources_) planSources(ctx, in_play);
    else orderBlocks(ctx);
  }

  void switchSource(PolicyContext& ctx, int64_t step) {
    if (segments_.empty()) return;
    size_t k = 0;
    while (k + 1 < segments_.size() && step >= segments_[k + 1].start) ++k;
    if (int64_t(k) == current_) return;
    current_ = int64_t(k);
    ctx.selection.mixture = {{segments_[k].dataset, 1.0, std::nullopt}};
    ctx.selection.ramp_start = ctx.selection.ramp_end = step;
    ctx.selection.changed = true;
    ctx.event("order", {{"rule", describe()}, {"source", segments_[k].dataset}, {"from_step", segments_[k].start},
                        {"ppl", std::exp(segments_[k].loss)}});
  }

  void endPhase(PolicyContext& ctx) override {
    ctx.selection.order.clear();
    ctx.selection.changed = true;
    segments_.clear();
    current_ = -1;
  }

  nlohmann::json state() const override {
    nlohmann::json segs = nlohmann::json::array();
    for (const auto& s : segments_) segs.push_back({s.dataset, s.start, s.loss});
    return {{"segments", segs}, {"current", current_}};
  }
  void loadState(const nlohmann::json& j) override {
    segments_.clear();
    if (j.is_null()) return;
    for (const auto& s : j.at("segments")) segments_.push_back({s[0].get<std::string>(), s[1].get<int64_t>(), s[2].get<double>()});
    current_ = j.at("current").get<int64_t>();
  }

 private:
  struct Segment {
    std::string dataset;
    int64_t start;
    double loss;
  };

  void scoreUnrecorded(PolicyContext& ctx, const std::vector<size_t>& in_play) {
    const auto table = ctx.table.toCpu();
    std::vector<size_t> unscored;
    for (size_t d : in_play)
      if (!ctx.table.anyRecorded(table, d)) unscored.push_back(d);
    if (unscored.empty() || !ctx.score_blocks) return;
    auto cost = ctx.score_blocks(unscored, sources_ ? kSourceProbe : 0);
    nlohmann::json names = nlohmann::json::array();
    for (size_t d : unscored) names.push_back(ctx.datasets[d]);
    cost["rule"] = describe();
    cost["datasets"] = names;
    cost["note"] = "nothing recorded: scored with the current model";
    ctx.event("score", cost);
  }

  void orderBlocks(PolicyContext& ctx) {
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

  void planSources(PolicyContext& ctx, const std::vector<size_t>& in_play) {
    const auto table = ctx.table.toCpu();
    const float* v = table.data_ptr<float>();
    struct Source {
      size_t d;
      double weight, loss;
    };
    std::vector<Source> src;
    double total_w = 0;
    for (size_t d : in_play) {
      double w = 0;
      for (const auto& e : ctx.selection.mixture)
        if (e.dataset == ctx.datasets[d]) w = (e.weight + e.weight_end.value_or(e.weight)) / 2;
      if (ctx.selection.mixture.empty()) w = 1;
      double sum = 0;
      int64_t n = 0;
      for (int64_t i = 0; i < ctx.table.size(d); ++i)
        if (const float x = v[ctx.table.offset(d) + i]; !std::isnan(x)) sum += x, ++n;
      src.push_back({d, w, n ? sum / double(n) : NAN});
      total_w += w;
    }
    const bool asc = rule_.action.direction == "ascending";
    std::stable_sort(src.begin(), src.end(), [&](const Source& a, const Source& b) {
      if (std::isnan(a.loss) != std::isnan(b.loss)) return std::isnan(b.loss);
      return asc ? a.loss < b.loss : a.loss > b.loss;
    });
    segments_.clear();
    current_ = -1;
    const int64_t len = ctx.phase_end - ctx.phase_start;
    double cum = 0;
    nlohmann::json plan = nlohmann::json::array();
    for (const auto& s : src) {
      const int64_t start = ctx.phase_start + std::llround(double(len) * cum / total_w);
      cum += s.weight;
      const int64_t end = ctx.phase_start + std::llround(double(len) * cum / total_w);
      if (end <= start) continue;
      segments_.push_back({ctx.datasets[s.d], start, s.loss});
      plan.push_back({{"source", ctx.datasets[s.d]}, {"ppl", std::exp(s.loss)}, {"steps", {start, end}}});
    }
    ctx.event("order", {{"rule", describe()}, {"sources", plan}});
  }

  bool sources_ = false, pending_ = false;
  std::vector<Segment> segments_;
  int64_t current_ = -1;
};

// `fresh`: only blocks never drawn before in the run (rounds of data, Llama-3-SynE). At
// the phase's end it reports, per dataset, blocks drawn and distinct blocks drawn since
// the run began: equal when no block was trained twice.
class FreshPolicy : public Policy {
 public:
  using Policy::Policy;
  void fire(PolicyContext& ctx) override {
    ctx.selection.fresh = true;
    ctx.selection.changed = true;
  }
  void endPhase(PolicyContext& ctx) override {
    ctx.selection.fresh = false;
    ctx.selection.changed = true;
    if (!ctx.data_usage) return;
    const auto usage = ctx.data_usage();
    nlohmann::json per = nlohmann::json::object();
    int64_t drawn = 0, distinct = 0;
    for (size_t d = 0; d < usage.size(); ++d) {
      if (usage[d].first == 0) continue;
      per[ctx.datasets[d]] = {{"drawn", usage[d].first}, {"distinct", usage[d].second}};
      drawn += usage[d].first;
      distinct += usage[d].second;
    }
    ctx.event("fresh", {{"rule", describe()}, {"drawn", drawn}, {"distinct", distinct},
                        {"trained_twice", drawn - distinct}, {"datasets", per}});
  }
};

// `remix(rate, window)`: this phase's mixture, each source's weight multiplied by
// exp(rate x d), d = its loss drop in nats over the previous phase (mean training loss of
// the first `window` of that phase minus that of the last), then normalised. Under `fresh`
// the training losses are on unseen blocks, so d is a held-out measure.
class RemixPolicy : public Policy {
 public:
  explicit RemixPolicy(const plan::Rule& r) : Policy(r) {
    checkParamNames();
    rate_ = param("rate");
    window_ = param("window");
  }
  // Applied in atBoundary, after every rule of the boundary fired: the phase's `mix` is
  // then in force whichever comes first in the phase.
  void fire(PolicyContext&) override { pending_ = true; }
  void atBoundary(PolicyContext& ctx, int64_t) override {
    if (!pending_) return;
    pending_ = false;
    apply(ctx);
  }

 private:
  void apply(PolicyContext& ctx) {
    if (!ctx.sources.hasPrevious()) {
      ctx.event("remix", {{"rule", describe()}, {"note", "no earlier phase was measured: weights unchanged"}});
      return;
    }
    const auto change = ctx.sources.previousChange(window_);
    auto& mix = ctx.selection.mixture;
    std::vector<double> factor(mix.size(), 1.0);
    nlohmann::json sources = nlohmann::json::array();
    std::string reason;
    for (size_t i = 0; i < mix.size(); ++i) {
      const size_t d = datasetIndex(ctx, mix[i].dataset);
      const auto& c = change.at(d);
      nlohmann::json s{{"source", mix[i].dataset}, {"weight_before", mix[i].weight}};
      if (std::isfinite(c.start_loss) && std::isfinite(c.end_loss)) {
        const double drop = c.start_loss - c.end_loss;
        factor[i] = std::exp(rate_ * drop);
        s["ppl_start"] = std::exp(c.start_loss);
        s["ppl_end"] = std::exp(c.end_loss);
        s["loss_drop"] = drop;
        reason += (reason.empty() ? "" : "; ") + mix[i].dataset + " ppl " + fmt("%.2f", std::exp(c.start_loss)) +
                  " -> " + fmt("%.2f", std::exp(c.end_loss)) + " x" + fmt("%.3f", factor[i]);
      } else {
        s["note"] = "not trained on at both ends of the previous phase: unchanged";
        reason += (reason.empty() ? "" : "; ") + mix[i].dataset + " unmeasured x1";
      }
      sources.push_back(s);
    }
    auto renorm = [&](auto get) {
      double sum = 0;
      for (size_t i = 0; i < mix.size(); ++i) sum += get(mix[i]) * factor[i];
      for (size_t i = 0; i < mix.size(); ++i) get(mix[i]) = sum > 0 ? get(mix[i]) * factor[i] / sum : get(mix[i]);
    };
    renorm([](plan::MixEntry& e) -> double& { return e.weight; });
    bool ramps = false;
    for (const auto& e : mix) ramps = ramps || e.weight_end.has_value();
    if (ramps) {
      for (auto& e : mix)
        if (!e.weight_end) e.weight_end = e.weight;
      renorm([](plan::MixEntry& e) -> double& { return *e.weight_end; });
    }
    for (size_t i = 0; i < mix.size(); ++i) sources[i]["weight_after"] = mix[i].weight;
    ctx.selection.changed = true;
    ctx.event("remix", {{"rule", describe()}, {"rate", rate_}, {"window", window_}, {"reason", reason},
                        {"sources", sources}});
  }

  double rate_ = 0, window_ = 0;
  bool pending_ = false;
};

}  // namespace

void registerContinual(PolicyRegistry& r) {
  r.add("mix", [](const plan::Rule& rule, const PolicyContext& ctx) { return std::make_unique<MixPolicy>(rule, ctx); });
  r.add("order", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<OrderPolicy>(rule); });
  r.add("fresh", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<FreshPolicy>(rule); });
  r.add("remix", [](const plan::Rule& rule, const PolicyContext&) { return std::make_unique<RemixPolicy>(rule); });
}

}  // namespace recipec::train::methods
