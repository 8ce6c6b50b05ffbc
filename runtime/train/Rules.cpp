// Rules.cpp — see Rules.h.
#include "runtime/train/Rules.h"

#include <cmath>

#include "runtime/train/Policy.h"

namespace recipec::train {

void MetricWindow::push(double v) {
  if (capacity_ <= 0 || !std::isfinite(v)) return;
  values_.push_back(v);
  while (int64_t(values_.size()) > capacity_) values_.pop_front();
}

double MetricWindow::mean() const {
  double s = 0;
  for (double v : values_) s += v;
  return values_.empty() ? NAN : s / double(values_.size());
}

double MetricWindow::stddev() const {
  if (values_.size() < 2) return NAN;
  const double m = mean();
  double s = 0;
  for (double v : values_) s += (v - m) * (v - m);
  return std::sqrt(s / double(values_.size() - 1));
}

nlohmann::json MetricWindow::state() const { return std::vector<double>(values_.begin(), values_.end()); }
void MetricWindow::loadState(const nlohmann::json& j) {
  values_.clear();
  for (double v : j.get<std::vector<double>>()) values_.push_back(v);
}

double metricValue(const plan::Condition& c, const RunMetrics& m) {
  if (c.metric == "loss") return m.loss;
  if (c.metric == "ppl") return std::exp(m.loss);
  if (c.metric == "grad_norm") return m.grad_norm;
  if (c.metric == "step") return double(m.step);
  if (c.metric == "tokens") return double(m.tokens);
  if (c.metric == "val.ppl") {
    auto it = m.val_ppl.find(c.dataset);
    return it == m.val_ppl.end() ? NAN : it->second;
  }
  return NAN;
}

void validateTrigger(const plan::Condition& c, const std::string& where) {
  static const char* kMetrics[] = {"loss", "ppl", "grad_norm", "step", "tokens", "val.ppl"};
  bool known = false;
  for (const char* k : kMetrics) known = known || c.metric == k;
  if (!known) throw plan::PlanError(where + ": unknown metric `" + c.metric + "`");
  if (c.op != ">" && c.op != ">=" && c.op != "<" && c.op != "<=" && c.op != "==" && c.op != "!=")
    throw plan::PlanError(where + ": unknown comparison `" + c.op + "`");
  if (c.threshold.kind == "percentile")
    throw plan::PlanError(where + ": a percentile (p" + std::to_string(int(c.threshold.value)) +
                          ") ranks blocks; it only applies to focus/drop `when ppl ...`");
  if (c.threshold.kind == "sigma" && c.threshold.window <= 0)
    throw plan::PlanError(where + ": a sigma threshold needs a window of > 0 steps");
  if (c.threshold.kind != "number" && c.threshold.kind != "sigma")
    throw plan::PlanError(where + ": unknown threshold kind `" + c.threshold.kind + "`");
}

bool compare(const plan::Condition& c, double value, const MetricWindow& window) {
  if (std::isnan(value)) return false;
  double t = c.threshold.value;
  if (c.threshold.kind == "sigma") {
    if (!window.ready()) return false;
    const bool upper = c.op == ">" || c.op == ">=";
    t = window.mean() + (upper ? 1 : -1) * c.threshold.value * window.stddev();
  }
  if (c.op == ">") return value > t;
  if (c.op == ">=") return value >= t;
  if (c.op == "<") return value < t;
  if (c.op == "<=") return value <= t;
  if (c.op == "==") return value == t;
  if (c.op == "!=") return value != t;
  return false;
}

ArmedRule::ArmedRule(std::unique_ptr<Policy> p) : policy_(std::move(p)) {
  const auto& r = policy_->rule();
  trigger_ = r.when.has_value() && !policy_->conditionFiltersBlocks();
  if (trigger_) window_ = MetricWindow(r.when->threshold.window);
}
ArmedRule::~ArmedRule() = default;
ArmedRule::ArmedRule(ArmedRule&&) noexcept = default;

bool ArmedRule::due(int64_t step, int64_t phase_start, const RunMetrics& m) {
  const auto& r = policy_->rule();
  const int64_t since = step - phase_start;
  bool on_interval;
  if (r.every) on_interval = since % r.every->steps == 0 && (since > 0 || policy_->fireAtPhaseStart());
  else on_interval = since == 0;
  if (!trigger_) return on_interval;
  const double v = metricValue(*r.when, m);
  const bool holds = compare(*r.when, v, window_);
  window_.push(v);
  const bool rising = holds && !last_;
  last_ = holds;
  return r.every ? on_interval && holds : rising;
}

nlohmann::json ArmedRule::state() const {
  return {{"last", last_}, {"window", window_.state()}, {"policy", policy_->state()}};
}

void ArmedRule::loadState(const nlohmann::json& j) {
  last_ = j.at("last").get<bool>();
  window_.loadState(j.at("window"));
  policy_->loadState(j.at("policy"));
}

}  // namespace recipec::train
