// Timeline.cpp — see Timeline.h.
#include "runtime/train/Timeline.h"

#include "runtime/plan/RunLength.h"

#include <cmath>
#include <sstream>

namespace recipec::train {
namespace {

std::string where(const plan::Phase& p) {
  return "phase `" + p.name + "`" + (p.source.empty() ? "" : " (" + p.source + ")");
}

int64_t ceilDiv(double a, double b) { return int64_t(std::ceil(a / b - 1e-9)); }

// Resolves a Quantity in the units that need no run total: steps, tokens, epochs.
// Returns -1 for percent / rest.
int64_t fixedSteps(const plan::Quantity& q, int64_t epoch_steps, int64_t tokens_per_step,
                   const std::string& what) {
  if (q.steps >= 0) return q.steps;
  if (q.unit == "steps") return int64_t(std::llround(q.value));
  if (q.unit == "tokens") return ceilDiv(q.value, double(tokens_per_step));
  if (q.unit == "epochs") {
    if (epoch_steps <= 0) throw plan::PlanError(what + ": an epoch has no blocks to cover");
    return ceilDiv(q.value * double(epoch_steps), 1.0);
  }
  if (q.unit == "percent" || q.unit == "rest") return -1;
  throw plan::PlanError(what + ": unknown unit `" + q.unit + "`");
}

std::string fmtQuantity(const plan::Quantity& q) {
  std::ostringstream os;
  if (q.unit == "rest") return "rest";
  if (q.unit == "percent") { os << q.value << "%"; return os.str(); }
  os << q.value << " " << q.unit;
  return os.str();
}

}  // namespace

std::vector<plan::MixEntry> mixtureInForce(const plan::Plan& plan, size_t phase_index) {
  for (size_t i = phase_index + 1; i-- > 0;) {
    if (i >= plan.phases.size()) continue;
    for (const auto& r : plan.phases[i].rules)
      if (r.action.kind == "mix" && !r.when) return r.action.mixture;
  }
  std::vector<plan::MixEntry> all;
  for (const auto& d : plan.datasets) all.push_back({d.name, 1.0, std::nullopt});
  return all;
}

double keptFraction(const plan::Phase& phase) {
  double kept = 1.0;
  for (const auto& r : phase.rules) {
    const auto& k = r.action.kind;
    if ((k != "focus" && k != "drop") || !r.when) continue;
    const auto& c = *r.when;
    if ((c.metric != "ppl" && c.metric != "loss") || c.threshold.kind != "percentile") continue;
    const double below = c.threshold.value / 100.0;  // share of blocks under the threshold
    const bool above = c.op == ">" || c.op == ">=";
    double matches = above ? 1.0 - below : below;
    kept *= (k == "focus") ? matches : 1.0 - matches;
  }
  return kept;
}

Timeline resolveTimeline(plan::Plan& plan, const std::map<std::string, int64_t>& train_blocks) {
  auto& tr = plan.train;
  if (tr.batch_seqs <= 0 || tr.seq_len <= 0)
    throw plan::PlanError("train batch_seqs and seq_len must be > 0");
  if (plan.phases.empty()) throw plan::PlanError("the plan has no phases");
  Timeline tl;
  tl.tokens_per_step = tr.batch_seqs * tr.seq_len;

  // Epoch length of each phase.
  std::vector<int64_t> epoch_steps(plan.phases.size(), 0);
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    int64_t blocks = 0;
    for (const auto& e : mixtureInForce(plan, i)) {
      if (e.weight <= 0 && e.weight_end.value_or(0) <= 0) continue;
      auto it = train_blocks.find(e.dataset);
      if (it == train_blocks.end())
        throw plan::PlanError(where(plan.phases[i]) + " mixes unknown dataset `" + e.dataset + "`");
      blocks += it->second;
    }
    const double kept = double(blocks) * keptFraction(plan.phases[i]);
    epoch_steps[i] = std::max<int64_t>(1, ceilDiv(kept, double(tr.batch_seqs)));
  }

  // Run total, needed by percent and rest.
  int64_t run_total = plan.train.schedule.total_steps > 0 ? plan.train.schedule.total_steps : -1;
  if (run_total < 0 && plan.train.schedule.total)  // `total 3 epochs`: epochs of the first phase's mixture
    run_total = fixedSteps(*plan.train.schedule.total, epoch_steps[0], tl.tokens_per_step, "`total`");
  if (run_total < 0) {
    // Percent phases of a run whose other phases fix its length: the compiler's rule
    // (runtime/plan/RunLength.h), now that epochs are known.
    using K = plan::PhaseLength::Kind;
    std::vector<plan::PhaseLength> lengths;
    double pct = 0;
    for (size_t i = 0; i < plan.phases.size(); ++i) {
      const auto& p = plan.phases[i];
      if (p.duration.unit == "rest")
        throw plan::PlanError("a `rest` phase needs the run's length: add `total 30k steps` to the train block");
      const int64_t len = p.duration.unit == "percent" ? -1 : fixedSteps(p.duration, epoch_steps[i], tl.tokens_per_step, where(p));
      if (p.duration.unit == "percent") { pct += p.duration.value; lengths.push_back({K::Percent, p.duration.value}); }
      else if (p.until) lengths.push_back({K::Until, double(len)});
      else lengths.push_back({K::Steps, double(len)});
    }
    if (pct > 0) {
      std::optional<int64_t> total = plan::runLength(lengths);
      if (!total) throw plan::PlanError("percent phases add up to " + std::to_string(pct) + "% (need < 100% beside fixed phases)");
      run_total = *total;
    }
  }

  int64_t at = 0;
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    auto& p = plan.phases[i];
    const std::string w = where(p);
    if (p.start_step >= 0 && p.end_step > p.start_step) {
      // Already resolved by the compiler; phases are contiguous, so it must start here.
      if (p.start_step != at)
        throw plan::PlanError(w + " starts at step " + std::to_string(p.start_step) +
                              " but the phase before it ends at " + std::to_string(at));
    } else {
      int64_t len = fixedSteps(p.duration, epoch_steps[i], tl.tokens_per_step, w);
      if (p.until) {
        if (len < 0) throw plan::PlanError(w + ": `until` needs steps or tokens");
        if (len <= at)
          throw plan::PlanError(w + ": ends at step " + std::to_string(len) +
                                " but starts at step " + std::to_string(at));
        p.start_step = at; p.end_step = len;
      } else if (p.duration.unit == "percent") {
        len = ceilDiv(p.duration.value / 100.0 * double(run_total), 1.0);
        p.start_step = at; p.end_step = at + len;
      } else if (p.duration.unit == "rest") {
        if (i + 1 != plan.phases.size()) throw plan::PlanError(w + ": `rest` must be the last phase");
        if (run_total <= at) throw plan::PlanError(w + ": nothing is left of the run's " + std::to_string(run_total) + " steps");
        p.start_step = at; p.end_step = run_total;
      } else {
        p.start_step = at; p.end_step = at + len;
      }
      p.duration.steps = p.end_step - p.start_step;
    }
    if (p.end_step <= p.start_step) throw plan::PlanError(w + " has no steps");
    at = p.end_step;
    const int64_t phase_len = p.end_step - p.start_step;
    for (auto& r : p.rules) {
      if (!r.every) continue;
      auto& q = *r.every;
      if (q.steps < 0) {
        if (q.unit == "percent") q.steps = ceilDiv(q.value / 100.0 * double(phase_len), 1.0);
        else q.steps = fixedSteps(q, epoch_steps[i], tl.tokens_per_step, w + " rule " + r.source);
      }
      if (q.steps <= 0) throw plan::PlanError(w + " rule " + r.source + ": interval resolves to 0 steps");
    }
    tl.phases.push_back({p.name, p.start_step, p.end_step, epoch_steps[i], fmtQuantity(p.duration)});
  }
  // A `total` the recipe gave (steps, tokens or epochs) bounds the phases: epochs are only
  // known here, so this is where `total 1 epoch` meets a 2-epoch phase.
  const bool totalGiven = plan.train.schedule.total.has_value() || plan.train.schedule.total_steps > 0;
  if (totalGiven && run_total > 0 && at > run_total)
    for (const auto& p : plan.phases)
      if (p.end_step > run_total)
        throw plan::PlanError(where(p) + " ends at step " + std::to_string(p.end_step) + ", past the run's total of " +
                              std::to_string(run_total) + " steps" +
                              (plan.train.schedule.total ? " (total " + fmtQuantity(*plan.train.schedule.total) + ")" : "") +
                              ": shorten the phases or raise `total`");
  tl.total_steps = at;
  auto& sched = plan.train.schedule;
  if (sched.total_steps <= 0) sched.total_steps = at;
  // `warmup = 5%` of a run whose length was symbolic at compile time.
  if (sched.warmup_steps < 0) sched.warmup_steps = ceilDiv(sched.warmup_fraction * double(sched.total_steps), 1.0);
  if (sched.decay_steps < 0) sched.decay_steps = ceilDiv(sched.decay_fraction * double(sched.total_steps), 1.0);

  auto resolveRunInterval = [&](plan::Quantity& q, const std::string& what) {
    if (q.steps >= 0) return;
    if (q.unit == "percent") q.steps = ceilDiv(q.value / 100.0 * double(tl.total_steps), 1.0);
    else q.steps = fixedSteps(q, epoch_steps[0], tl.tokens_per_step, what);
    if (q.steps <= 0) throw plan::PlanError(what + ": interval resolves to 0 steps");
  };
  for (auto& e : plan.evaluations) resolveRunInterval(e.every, "evaluate " + e.dataset);
  if (plan.checkpoint.every) resolveRunInterval(*plan.checkpoint.every, "checkpoint");
  return tl;
}

std::string Timeline::describe() const {
  std::ostringstream os;
  os << "timeline: " << total_steps << " steps x " << tokens_per_step << " tokens = "
     << double(total_steps) * double(tokens_per_step) / 1e6 << "M tokens\n";
  for (const auto& p : phases) {
    char line[256];
    std::snprintf(line, sizeof line, "  phase %-12s steps %8lld .. %-8lld (%s; 1 epoch = %lld steps)\n",
                  p.name.c_str(), (long long)p.start, (long long)p.end, p.how.c_str(),
                  (long long)p.epoch_steps);
    os << line;
  }
  return os.str();
}

}  // namespace recipec::train
