// Rules.h — when a rule fires, and the conditions it reads (no tensors).
//
// Contract (docs/runtime.md "Rules"): rules are evaluated at step boundaries — before the
// batch of step s is drawn, with the metrics of step s-1. A rule of a phase [ps, pe):
//   no when, no every     fires once, at s == ps
//   every N               fires at s = ps + kN (k = 0 too unless the policy declines it)
//   when C                fires when C turns true (false at the previous boundary)
//   when C every N        fires at s = ps + kN when C holds there
// For focus/drop `when ppl > p50` is a per-block filter, not a trigger (Policy.h).
// Metrics: loss, ppl (= exp(loss) of the last step), grad_norm, step, tokens,
// val.ppl (dataset "web.val": the last evaluation). Thresholds: a number, or
// `N sigma`: value > mean + N * std (or < mean - N * std) of the last `window` values seen
// at earlier boundaries; needs a full window before it can fire.
#pragma once

#include <cstdint>
#include <algorithm>
#include <deque>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/plan/Plan.h"

namespace recipec::train {

struct RunMetrics;
class Policy;

class MetricWindow {
 public:
  explicit MetricWindow(int64_t capacity = 0) : capacity_(capacity) {}
  void push(double v);
  bool full() const { return capacity_ > 0 && int64_t(values_.size()) >= capacity_; }
  // Enough values for a sigma threshold: the whole window, or 8 when the window is longer
  // (a divergence in the first steps of a 200-step window must not go unseen).
  bool ready() const {
    return capacity_ > 0 && int64_t(values_.size()) >= std::min<int64_t>(capacity_, kMinSigmaSamples);
  }
  static constexpr int64_t kMinSigmaSamples = 8;
  double mean() const;
  double stddev() const;
  nlohmann::json state() const;
  void loadState(const nlohmann::json& j);

 private:
  int64_t capacity_;
  std::deque<double> values_;
};

// The value of a condition's metric; NaN when it has none yet (no eval has run).
double metricValue(const plan::Condition& c, const RunMetrics& m);
// Throws plan::PlanError (naming `where`) for a metric, op or threshold a trigger can't use.
void validateTrigger(const plan::Condition& c, const std::string& where);
// Compares `value` against the threshold; sigma thresholds read `window`.
bool compare(const plan::Condition& c, double value, const MetricWindow& window);

// A policy plus its trigger state.
class ArmedRule {
 public:
  explicit ArmedRule(std::unique_ptr<Policy> p);
  ~ArmedRule();
  ArmedRule(ArmedRule&&) noexcept;
  // Whether the rule fires at boundary `step` of a phase starting at `phase_start`.
  // Call once per boundary: it advances the edge and sigma state.
  bool due(int64_t step, int64_t phase_start, const RunMetrics& m);
  Policy& policy() { return *policy_; }
  const Policy& policy() const { return *policy_; }
  nlohmann::json state() const;
  void loadState(const nlohmann::json& j);

 private:
  std::unique_ptr<Policy> policy_;
  bool trigger_ = false;     // `when` is a trigger (not a block filter)
  bool last_ = false;        // condition value at the previous boundary
  MetricWindow window_;
};

}  // namespace recipec::train
