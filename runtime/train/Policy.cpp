// Policy.cpp — BlockTable, the registry, and the shared bits of Policy.
#include "runtime/train/Policy.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace recipec::train {

void BlockTable::init(const std::vector<int64_t>& blocks_per_dataset, const at::Device& device) {
  offsets_.assign(1, 0);
  for (int64_t n : blocks_per_dataset) offsets_.push_back(offsets_.back() + n);
  values_ = at::full({offsets_.back()}, NAN, at::TensorOptions().dtype(at::kFloat).device(device));
  offsets_dev_ = at::tensor(std::vector<int64_t>(offsets_.begin(), offsets_.end() - 1),
                            at::TensorOptions().dtype(at::kLong)).to(device);
}

void BlockTable::record(const at::Tensor& losses, const at::Tensor& dataset_ids,
                        const at::Tensor& block_ids) {
  // global id = offset[dataset] + block  (b); all on the device, no sync.
  const auto global = offsets_dev_.index_select(0, dataset_ids) + block_ids;
  values_.index_put_({global}, losses.detach().to(at::kFloat));
}

void BlockTable::reset() { values_.fill_(NAN); }

bool BlockTable::anyRecorded(const at::Tensor& cpu_values, size_t dataset) const {
  const float* v = cpu_values.data_ptr<float>() + offset(dataset);
  return std::any_of(v, v + size(dataset), [](float x) { return !std::isnan(x); });
}

at::Tensor BlockTable::toCpu() const { return values_.to(at::kCPU); }

void BlockTable::load(const at::Tensor& cpu_values) {
  if (cpu_values.numel() != values_.numel())
    throw std::runtime_error("block table of " + std::to_string(cpu_values.numel()) +
                             " blocks does not match the data's " + std::to_string(values_.numel()));
  values_.copy_(cpu_values);
}

void PolicyContext::rebuildAllowed() {
  selection.allowed.assign(datasets.size(), std::nullopt);
  if (!keep_masks.empty()) {
    at::Tensor keep;
    for (const auto& [key, mask] : keep_masks) keep = keep.defined() ? keep.logical_and(mask) : mask;
    const bool* k = keep.data_ptr<bool>();
    for (size_t d = 0; d < datasets.size(); ++d) {
      std::vector<int64_t> ids;
      for (int64_t i = 0; i < table.size(d); ++i)
        if (k[table.offset(d) + i]) ids.push_back(i);
      selection.allowed[d] = std::move(ids);
    }
  }
  selection.changed = true;
}

std::string Policy::describe() const {
  std::ostringstream os;
  os << rule_.action.kind;
  const bool order = rule_.action.kind == "order";
  if (order && rule_.action.granularity == "sources") os << " sources";
  if (!rule_.action.method.empty()) os << (order ? " by " : " ") << rule_.action.method;
  if (!rule_.action.metric.empty()) os << " " << rule_.action.metric;
  if (!order && !rule_.action.granularity.empty()) os << " per " << rule_.action.granularity;
  if (!rule_.action.form.empty()) os << " (" << rule_.action.form << ")";
  if (!rule_.action.mixture_name.empty()) {
    os << " " << rule_.action.mixture_name;
  } else if (!rule_.action.mixture.empty()) {
    os << " {";
    for (size_t i = 0; i < rule_.action.mixture.size(); ++i) {
      const auto& e = rule_.action.mixture[i];
      os << (i ? ", " : "") << e.dataset << ": " << e.weight;
      if (e.weight_end) os << " -> " << *e.weight_end;
    }
    os << "}";
  }
  if (!rule_.action.direction.empty()) os << " " << rule_.action.direction;
  if (rule_.when) {
    const auto& c = *rule_.when;
    os << " when " << c.metric << (c.dataset.empty() ? "" : "(" + c.dataset + ")") << " " << c.op
       << " ";
    if (c.threshold.kind == "percentile") os << "p" << c.threshold.value;
    else if (c.threshold.kind == "sigma") os << c.threshold.value << " sigma";
    else os << c.threshold.value;
  }
  if (rule_.every) os << " every " << rule_.every->steps << " steps";
  if (!rule_.source.empty()) os << " (" << rule_.source << ")";
  return os.str();
}

const plan::methods::Action& Policy::spec() const {
  const auto* a = plan::methods::find(rule_.action.kind, rule_.action.method);
  if (!a) {
    std::string known;
    for (const auto& m : plan::methods::methodsOf(rule_.action.kind)) known += (known.empty() ? "" : " or ") + m;
    if (!known.empty())
      fail("unknown " + rule_.action.kind + " method `" + rule_.action.method + "` (expected " + known + ")");
    fail("no method `" + rule_.action.kind + "`");
  }
  return *a;
}

void Policy::fail(const std::string& what) const { throw plan::PlanError("rule " + rule_.source + ": " + what); }

void Policy::checkParamNames() const {
  const auto& a = spec();
  for (const auto& [k, v] : rule_.action.params)
    if (!a.param(k)) fail("`" + a.spelled() + "` has no parameter `" + k + "`");
}

double Policy::param(const std::string& name) const {
  const auto& a = spec();
  const auto* p = a.param(name);
  if (!p) fail("`" + a.spelled() + "` has no parameter `" + name + "`");
  auto it = rule_.action.params.find(name);
  if (it == rule_.action.params.end()) {
    // A plan written before the parameter existed: the description's default is what the
    // compiler would write now.
    if (p->hasDefault()) return p->default_value;
    fail("`" + a.spelled() + "` needs parameter `" + name + "`");
  }
  if (!p->inRange(it->second)) {
    std::ostringstream v;
    v << it->second;
    fail("`" + name + "` is " + v.str() + " " + p->rangeText());
  }
  return it->second;
}

void SourceMeter::init(size_t datasets, const at::Device& device) {
  const auto opts = at::TensorOptions().dtype(at::kDouble).device(device);
  sum_ = at::zeros({int64_t(datasets), kBuckets}, opts);
  count_ = at::zeros_like(sum_);
  prev_sum_ = at::zeros_like(sum_);
  prev_count_ = at::zeros_like(sum_);
}

void SourceMeter::startPhase(int64_t start, int64_t end) {
  if (!enabled()) return;
  start_ = start;
  end_ = end;
  sum_.zero_();
  count_.zero_();
}

void SourceMeter::add(int64_t step, const at::Tensor& losses, const at::Tensor& dataset_ids) {
  if (!enabled() || end_ <= start_) return;
  const int64_t b = std::clamp<int64_t>((step - start_) * kBuckets / (end_ - start_), 0, kBuckets - 1);
  const auto idx = dataset_ids * kBuckets + b;
  sum_.view({-1}).index_add_(0, idx, losses.detach().to(at::kDouble));
  count_.view({-1}).index_add_(0, idx, at::ones_like(losses, losses.options().dtype(at::kDouble)));
}

void SourceMeter::endPhase() {
  if (!enabled()) return;
  prev_sum_.copy_(sum_);
  prev_count_.copy_(count_);
  prev_len_ = end_ - start_;
  has_prev_ = true;
}

std::vector<SourceMeter::Change> SourceMeter::previousChange(double window) const {
  // The window in whole steps (at least one), then the slices those steps fell in: a short
  // phase has fewer steps than slices.
  const int64_t len = std::max<int64_t>(1, prev_len_);
  const int64_t steps = std::clamp<int64_t>(int64_t(std::ceil(window * double(len))), 1, std::max<int64_t>(1, len / 2));
  auto bucket = [&](int64_t k) { return std::clamp<int64_t>(k * kBuckets / len, 0, kBuckets - 1); };
  const int64_t first_end = bucket(steps - 1) + 1, last_begin = bucket(len - steps);
  const auto s = prev_sum_.to(at::kCPU), c = prev_count_.to(at::kCPU);
  std::vector<Change> out(size_t(s.size(0)));
  for (int64_t d = 0; d < s.size(0); ++d) {
    auto& o = out[size_t(d)];
    const double s0 = s[d].narrow(0, 0, first_end).sum().item<double>();
    const double c0 = c[d].narrow(0, 0, first_end).sum().item<double>();
    const double s1 = s[d].narrow(0, last_begin, kBuckets - last_begin).sum().item<double>();
    const double c1 = c[d].narrow(0, last_begin, kBuckets - last_begin).sum().item<double>();
    o.start_samples = int64_t(c0);
    o.end_samples = int64_t(c1);
    if (c0 > 0) o.start_loss = s0 / c0;
    if (c1 > 0) o.end_loss = s1 / c1;
  }
  return out;
}

nlohmann::json SourceMeter::state() const {
  if (!enabled()) return nullptr;
  auto vec = [](const at::Tensor& t) {
    const auto c = t.to(at::kCPU).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  };
  return {{"start", start_}, {"end", end_}, {"has_previous", has_prev_}, {"previous_length", prev_len_},
          {"sum", vec(sum_)}, {"count", vec(count_)},
          {"previous_sum", vec(prev_sum_)}, {"previous_count", vec(prev_count_)}};
}

void SourceMeter::loadState(const nlohmann::json& j) {
  if (!enabled() || j.is_null()) return;
  start_ = j.at("start").get<int64_t>();
  end_ = j.at("end").get<int64_t>();
  has_prev_ = j.at("has_previous").get<bool>();
  prev_len_ = j.at("previous_length").get<int64_t>();
  auto load = [&](at::Tensor& t, const char* key) {
    const auto v = j.at(key).get<std::vector<double>>();
    if (int64_t(v.size()) != t.numel()) throw std::runtime_error(std::string("`sources.") + key + "` has the wrong size");
    t.copy_(at::tensor(v, at::kDouble).view(t.sizes()));
  };
  load(sum_, "sum");
  load(count_, "count");
  load(prev_sum_, "previous_sum");
  load(prev_count_, "previous_count");
}

void registerBuiltinPolicies(PolicyRegistry& r) {
  methods::registerLfr(r);
  methods::registerEst(r);
  methods::registerIrDro(r);
  methods::registerContinual(r);
  methods::registerControl(r);
}

PolicyRegistry& PolicyRegistry::instance() {
  // Registered on first use, not by static constructors: a static library drops object
  // files nothing references, and their registrars with them.
  static PolicyRegistry* r = [] {
    auto* reg = new PolicyRegistry;
    registerBuiltinPolicies(*reg);
    return reg;
  }();
  return *r;
}

void PolicyRegistry::add(const std::string& kind, PolicyFactory f) { factories_[kind] = std::move(f); }

std::unique_ptr<Policy> PolicyRegistry::make(const plan::Rule& rule, const PolicyContext& ctx) const {
  auto it = factories_.find(rule.action.kind);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& k : kinds()) known += (known.empty() ? "" : ", ") + k;
    throw plan::PlanError("rule " + rule.source + ": this runtime has no policy for action `" +
                          rule.action.kind + "` (it knows " + known + ")");
  }
  return it->second(rule, ctx);
}

std::vector<std::string> PolicyRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, f] : factories_) out.push_back(k);
  return out;
}

}  // namespace recipec::train
