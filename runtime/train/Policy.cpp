// Policy.cpp — BlockTable, the registry, and the shared bits of Policy.
#include "runtime/train/Policy.h"

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
  if (!rule_.action.method.empty()) os << " " << rule_.action.method;
  if (!rule_.action.metric.empty()) os << " " << rule_.action.metric;
  if (!rule_.action.granularity.empty()) os << " per " << rule_.action.granularity;
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
