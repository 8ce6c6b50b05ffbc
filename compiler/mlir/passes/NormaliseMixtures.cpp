// NormaliseMixtures.cpp — `normalise-mixtures`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"

namespace recipec::ir {

#define GEN_PASS_DEF_NORMALISEMIXTURES
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct NormaliseMixturesPass : impl::NormaliseMixturesBase<NormaliseMixturesPass> {
  void runOnOperation() override;
};

// A probability without the float noise of the arithmetic that made it (12 significant
// digits): 2/10 is 0.2 in the plan, not 0.20000000000000004.
double tidy(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}

struct Entry {
  std::string dataset;
  double start;
  std::optional<double> end;
  Location loc;
};
using Entries = std::vector<Entry>;

class Normaliser {
 public:
  explicit Normaliser(ModuleOp module) : module_(module) {}

  // The normalised entries of a mixture declaration (memoised).
  FailureOr<Entries> mixture(MixtureOp m) {
    std::string name = m.getName().str();
    if (auto it = done_.find(name); it != done_.end()) return it->second;
    if (failed_.count(name)) return failure();  // reported where it was found
    if (!visiting_.insert(name).second)
      return m.emitError() << "mixture " << quoted(name) << " contains itself";
    auto out = normalise(m.getBody(), m, "mixture " + quoted(name));
    visiting_.erase(name);
    if (failed(out)) {
      failed_.insert(name);
      return failure();
    }
    done_[name] = *out;
    return out;
  }

  // The normalised entries of a weights region (of a mixture or a rule).
  FailureOr<Entries> normalise(Region& weights, Operation* owner, const std::string& what) {
    Entries flat;
    auto add = [&](const Entry& e) {
      for (Entry& f : flat)
        if (f.dataset == e.dataset) {
          f.start += e.start;
          if (e.end || f.end) f.end = f.end.value_or(f.start - e.start) + e.end.value_or(e.start);
          return;
        }
      flat.push_back(e);
    };
    for (WeightOp w : weights.getOps<WeightOp>()) {
      auto start = numberOf(w.getWeight());
      std::optional<double> end;
      if (w.getWeightEnd()) end = numberOf(*w.getWeightEnd());
      if (!start || (w.getWeightEnd() && !end))
        return w.emitError() << "weight of " << quoted(w.getDataset()) << " is not a number (run inline-constants first)";
      // A name that is both a mixture and a dataset (an imported `dataset web` beside a
      // local `mixture web = { web: 1, ... }`) is the mixture, unless that is the mixture
      // being defined: there it can only mean the dataset.
      MixtureOp sub = lookup<MixtureOp>(module_.getBody(), w.getDataset());
      if (sub && visiting_.count(w.getDataset().str()) && lookup<DatasetOp>(module_.getBody(), w.getDataset()))
        sub = nullptr;
      if (sub) {
        auto inner = mixture(sub);
        if (failed(inner)) return failure();
        for (const Entry& e : *inner) {
          std::optional<double> scaledEnd;
          if (end || e.end) scaledEnd = e.end.value_or(e.start) * end.value_or(*start);
          add(Entry{e.dataset, e.start * *start, scaledEnd, e.loc});
        }
      } else {
        add(Entry{w.getDataset().str(), *start, end, w.getLoc()});
      }
    }
    double sumStart = 0, sumEnd = 0;
    bool scheduled = false;
    for (const Entry& e : flat) {
      sumStart += e.start;
      sumEnd += e.end.value_or(e.start);
      scheduled |= e.end.has_value();
    }
    if (sumStart <= 0) return owner->emitError() << what << " weights sum to " << formatNumber(sumStart) << " (need > 0)";
    if (scheduled && sumEnd <= 0)
      return owner->emitError() << what << " weights at the end of the schedule sum to " << formatNumber(sumEnd)
                                << " (need > 0)";
    for (Entry& e : flat) {
      double end = e.end.value_or(e.start);
      e.start /= sumStart;
      if (scheduled) e.end = end / sumEnd;
    }
    return flat;
  }

  static void write(Region& weights, const Entries& entries) {
    Block& block = bodyBlock(weights);
    for (Operation& op : llvm::make_early_inc_range(block)) op.erase();
    OpBuilder b = OpBuilder::atBlockEnd(&block);
    MLIRContext* ctx = b.getContext();
    for (const Entry& e : entries)
      b.create<WeightOp>(e.loc, FlatSymbolRefAttr::get(ctx, e.dataset), f64(ctx, tidy(e.start)),
                         e.end ? Attribute(f64(ctx, tidy(*e.end))) : Attribute());
  }

 private:
  ModuleOp module_;
  std::map<std::string, Entries> done_;
  std::set<std::string> visiting_;
  std::set<std::string> failed_;
};

void NormaliseMixturesPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  Normaliser n(module);
  bool ok = true;
  // Compute everything first: rewriting a mixture while another reads it as written would
  // scale twice.
  std::vector<std::pair<Region*, Entries>> writes;
  for (MixtureOp m : module.getBody()->getOps<MixtureOp>()) {
    auto e = n.mixture(m);
    if (failed(e)) { ok = false; continue; }
    writes.emplace_back(&m.getBody(), *e);
  }
  module.walk([&](RuleOp rule) {
    if (rule.getAction() != ActionKind::Mix) return;
    bool own = !rule.getWeights().empty() && !rule.getWeights().front().empty();
    FailureOr<Entries> e = failure();
    if (own) {
      e = n.normalise(rule.getWeights(), rule, "the mix");
    } else if (auto name = rule.getMixture()) {
      if (MixtureOp m = lookup<MixtureOp>(module.getBody(), *name)) e = n.mixture(m);
      else if (lookup<DatasetOp>(module.getBody(), *name)) e = Entries{Entry{name->str(), 1.0, std::nullopt, rule.getLoc()}};
      else e = rule.emitError() << "`mix` names unknown mixture " << quoted(*name);
    }
    if (failed(e)) { ok = false; return; }
    writes.emplace_back(&rule.getWeights(), *e);
  });
  if (!ok) return signalPassFailure();
  for (auto& [region, entries] : writes) Normaliser::write(*region, entries);
}

}  // namespace

std::unique_ptr<Pass> createNormaliseMixturesPass() { return std::make_unique<NormaliseMixturesPass>(); }

}  // namespace recipec::ir
