// TrainRules.cpp — the recipe machinery of a run: the policy context, one armed rule per
// plan rule (runtime/train/methods/), the events, the phases entered and left, and the
// step boundaries where rules fire, evaluations run and checkpoints are taken.
#include <algorithm>
#include <set>

#include "runtime/train/TrainerImpl.h"

namespace recipec::train {

void Run::setupRules(const std::vector<int64_t>& per_dataset) {
  const auto& tr = plan_.train;
  ctx_.plan = &plan_;
  ctx_.datasets = feed_->datasets();
  ctx_.model = model_.get();
  ctx_.seq_len = tr.seq_len;
  ctx_.seed = tr.seed;
  ctx_.base_lr = tr.optimizer.lr;
  ctx_.weight_decay = tr.optimizer.weight_decay;
  ctx_.grad_clip = tr.optimizer.grad_clip;
  ctx_.flops_per_token = full_flops_per_token_;
  ctx_.table.init(per_dataset, device_);
  ctx_.event = [this](const std::string& what, nlohmann::json d) { event(what, std::move(d)); };
  int64_t total_blocks = 0;
  for (int64_t n : per_dataset) total_blocks += n;
  for (size_t d = 0; d < per_dataset.size(); ++d)  // no `mix` yet: every block equally likely
    ctx_.selection.mixture.push_back({ctx_.datasets[d], double(per_dataset[d]) / double(std::max<int64_t>(1, total_blocks)), std::nullopt});
  ctx_.selection.allowed.assign(per_dataset.size(), std::nullopt);
  ctx_.score_blocks = [this](const std::vector<size_t>& datasets, int64_t max_blocks) {
    return scoreBlocks(datasets, max_blocks);
  };
  ctx_.data_usage = [this] { return feed_->usage(); };
  bool remix = false, recorded = false;
  for (const auto& ph : plan_.phases)
    for (const auto& rule : ph.rules) {
      remix = remix || rule.action.kind == "remix";
      if (rule.action.kind != "record") continue;
      if (recorded && rule.action.form != ctx_.table_form)
        throw plan::PlanError("rule " + rule.source + ": `record ... " + (rule.action.form.empty() ? "visited" : rule.action.form) +
                              "` in a run whose table is `" + ctx_.table_form + "`: one table, one form");
      ctx_.table_form = rule.action.form;
      recorded = true;
    }
  if (remix) ctx_.sources.init(per_dataset.size(), device_);  // only `remix` reads it
  // `fresh` rounds that need more blocks than the datasets hold fail when the data runs out:
  // say so now, with the step it will be near.
  // The blocks available: those of the datasets the fresh phases' own `mix` rules name (all
  // datasets when they name none).
  std::set<std::string> fresh_sets;
  for (const auto& ph : plan_.phases) {
    bool fresh = false;
    for (const auto& rule : ph.rules) fresh = fresh || rule.action.kind == "fresh";
    for (const auto& rule : ph.rules)
      if (fresh && rule.action.kind == "mix")
        for (const auto& e : rule.action.mixture)
          if (e.weight > 0 || e.weight_end.value_or(0) > 0) fresh_sets.insert(e.dataset);
  }
  int64_t fresh_draws = 0, all_blocks = 0, runs_out = -1;
  for (size_t d = 0; d < per_dataset.size(); ++d)
    if (fresh_sets.empty() || fresh_sets.count(ctx_.datasets[d])) all_blocks += per_dataset[d];
  for (size_t i = 0; i < plan_.phases.size(); ++i)
    for (const auto& rule : plan_.phases[i].rules)
      if (rule.action.kind == "fresh") {
        const auto& ph = timeline_.phases.at(i);
        const int64_t draws = (ph.end - ph.start) * tr.batch_seqs;
        if (runs_out < 0 && fresh_draws + draws > all_blocks)
          runs_out = ph.start + (all_blocks - fresh_draws) / std::max<int64_t>(1, tr.batch_seqs);
        fresh_draws += draws;
      }
  if (runs_out >= 0)
    warn("the `fresh` phases draw " + std::to_string(fresh_draws) + " blocks, but their datasets hold " +
         std::to_string(all_blocks) + " (earlier phases' draws count too): the run will stop out of data near step " +
         std::to_string(runs_out) + "; shorten the rounds or add data");
  rules_.clear();
  for (const auto& ph : plan_.phases) {
    rules_.emplace_back();
    for (const auto& rule : ph.rules) {
      auto policy = PolicyRegistry::instance().make(rule, ctx_);
      if (rule.when && !policy->conditionFiltersBlocks())
        validateTrigger(*rule.when, "rule " + rule.source);
      rules_.back().emplace_back(std::move(policy));
    }
  }
  for (const auto& ev : plan_.events) {
    const auto& actions = plan::methods::eventActions();
    if (std::find(actions.begin(), actions.end(), ev.action) == actions.end())
      throw plan::PlanError("event `on " + ev.on + "`: unknown action `" + ev.action + "`");
    const plan::methods::Event* spec = nullptr;
    std::string known;
    for (const auto& e : plan::methods::events()) {
      if (e.on == ev.on) spec = &e;
      known += (known.empty() ? "" : ", ") + e.on;
    }
    if (!spec) throw plan::PlanError("unknown event `on " + ev.on + "` (expected " + known + ")");
    if (spec->metrics.empty()) {
      on_nan_ = ev.action;
    } else {
      if (!ev.when) throw plan::PlanError("event `on " + ev.on + "` needs a condition");
      validateTrigger(*ev.when, "event `on " + ev.on + "`");
      step_events_.push_back({ev, MetricWindow(ev.when->threshold.window)});
    }
  }
  for (const auto& e : plan_.evaluations) {
    if (e.metric != "ppl" && e.metric != "loss")
      throw plan::PlanError("evaluate `" + e.metric + "`: only ppl and loss are supported");
    if (e.split != "val") throw plan::PlanError("evaluate on `" + e.dataset + "." + e.split + "`: only val splits are evaluated");
    auto it = std::find(ctx_.datasets.begin(), ctx_.datasets.end(), e.dataset);
    if (it == ctx_.datasets.end()) throw plan::PlanError("evaluate on unknown dataset `" + e.dataset + "`");
    if (feed_->valBlocks(size_t(it - ctx_.datasets.begin())) == 0)
      throw plan::PlanError("evaluate on `" + e.dataset + ".val`, but `" + e.dataset +
                            "` has no validation blocks (give it `split val N%`)");
  }

}

size_t Run::phaseAt(int64_t s) const {
  for (size_t i = 0; i < timeline_.phases.size(); ++i)
    if (s < timeline_.phases[i].end) return i;
  return timeline_.phases.size() - 1;
}

std::vector<std::string> Run::activePolicies() const {
  std::vector<std::string> out;
  if (phase_ < rules_.size())
    for (const auto& r : rules_[phase_]) out.push_back(r.policy().describe());
  return out;
}

void Run::enterPhase(size_t index) {
  phase_ = index;
  phase_entered_ = true;
  const auto& p = timeline_.phases[index];
  ctx_.phase_index = int64_t(index);
  ctx_.phase_start = p.start;
  ctx_.phase_end = p.end;
  ctx_.keep_masks.clear();  // focus/drop belong to their phase
  ctx_.rebuildAllowed();
  ctx_.sources.startPhase(p.start, p.end);
  event("phase", {{"phase", p.name}, {"start", p.start}, {"end", p.end}, {"policies", activePolicies()}});
}

void Run::leavePhase() {
  if (!phase_entered_) return;
  for (auto& r : rules_[phase_]) r.policy().endPhase(ctx_);
  ctx_.sources.endPhase();
  phase_entered_ = false;
}

void Run::boundary(int64_t s) {
  ctx_.metrics.step = s;
  if (phase_entered_ && s >= timeline_.phases[phase_].end) {
    leavePhase();
    ++phase_;
  }
  if (!phase_entered_ && phase_ < timeline_.phases.size() && s == timeline_.phases[phase_].start)
    enterPhase(phase_);
  if (s > 0) {
    bool due = false;
    for (const auto& e : plan_.evaluations) due = due || s % e.every.steps == 0;
    if (due) evaluate(s, /*all=*/false);
  } else if (starts_from_weights_ && !plan_.evaluations.empty()) {
    evaluate(0, /*all=*/true);  // the baseline a continued run is measured against
  }
  for (auto& r : rules_[phase_])
    if (r.due(s, timeline_.phases[phase_].start, ctx_.metrics)) r.policy().fire(ctx_);
  for (auto& r : rules_[phase_]) r.policy().atBoundary(ctx_, s);
  if (ctx_.selection.changed) {
    feed_->select(ctx_.selection);
    ctx_.selection.changed = false;
  }
  const bool scheduled = plan_.checkpoint.every && s > 0 && s % plan_.checkpoint.every->steps == 0;
  const bool first_for_rollback = on_nan_ == "rollback" && !ckpt_->latest();
  if (scheduled || ctx_.checkpoint_requested || first_for_rollback) saveCheckpoint(s);
  ctx_.checkpoint_requested = false;
}

}  // namespace recipec::train
