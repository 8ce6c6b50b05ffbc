// ResolveDurations.cpp — `resolve-durations`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include <cmath>

#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"
#include "compiler/mlir/passes/Timeline.h"
#include "runtime/plan/RunLength.h"

namespace recipec::ir {

#define GEN_PASS_DEF_RESOLVEDURATIONS
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct ResolveDurationsPass : impl::ResolveDurationsBase<ResolveDurationsPass> {
  void runOnOperation() override;
};

int64_t ceilSteps(double x) { return static_cast<int64_t>(std::ceil(x - 1e-9)); }

class Resolver {
 public:
  explicit Resolver(ModuleOp module) {
    if (TrainConfigOp t = trainConfig(module)) tokensPerStep_ = t.getBatchSeqs() * t.getSeqLen();
  }

  // Steps and tokens: need nothing but the batch.
  QuantityAttr fixed(QuantityAttr q) const {
    if (!q || q.isResolved()) return q;
    if (q.getUnit() == "tokens" && tokensPerStep_ > 0)
      return q.withSteps(ceilSteps(q.getNumber() / static_cast<double>(tokensPerStep_)));
    return q;
  }

  // Percent of a known length, otherwise as `fixed`.
  QuantityAttr ofLength(QuantityAttr q, std::optional<int64_t> length) const {
    if (q && !q.isResolved() && q.getUnit() == "percent" && length)
      return q.withSteps(ceilSteps(q.getNumber() * static_cast<double>(*length) / 100));
    return fixed(q);
  }

 private:
  int64_t tokensPerStep_ = 0;
};

// The phases as the run-length rule (runtime/plan/RunLength.h) reads them.
std::vector<plan::PhaseLength> phaseLengths(llvm::ArrayRef<PhaseOp> phases) {
  using K = plan::PhaseLength::Kind;
  std::vector<plan::PhaseLength> out;
  for (PhaseOp p : phases) {
    QuantityAttr len = p.getLengthAttr();
    if (p.getKind() == DurationKind::For && len && len.getUnit() == "percent") out.push_back({K::Percent, len.getNumber()});
    else if (p.getKind() == DurationKind::For && len && len.isResolved()) out.push_back({K::Steps, double(len.getSteps())});
    else if (p.getKind() == DurationKind::Until && len && len.isResolved()) out.push_back({K::Until, double(len.getSteps())});
    else out.push_back({K::Open, 0});
  }
  return out;
}

void ResolveDurationsPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  Resolver r(module);
  auto phases = llvm::to_vector(module.getBody()->getOps<PhaseOp>());

  // `total 30k steps` gives the run's length outright (not `total 3 epochs`: the runtime).
  std::optional<int64_t> given;
  if (TrainConfigOp train = trainConfig(module))
    if (QuantityAttr total = train.getTotalAttr()) {
      train.setTotalAttr(r.fixed(total));
      if (train.getTotalAttr().isResolved()) given = train.getTotalAttr().getSteps();
    }

  // Phase lengths in steps and tokens, then percentages of the run: of `total` when given,
  // else of the length the other phases fix (the same rule as the runtime's).
  bool percent = false;
  for (PhaseOp p : phases) {
    if (QuantityAttr len = p.getLengthAttr()) p.setLengthAttr(r.fixed(len));
    QuantityAttr len = p.getLengthAttr();
    percent = percent || (p.getKind() == DurationKind::For && len && len.getUnit() == "percent");
  }
  if (percent) {
    std::optional<int64_t> total = given ? given : plan::runLength(phaseLengths(phases));
    if (total)
      for (PhaseOp p : phases)
        if (QuantityAttr len = p.getLengthAttr(); len && len.getUnit() == "percent")
          p.setLengthAttr(r.ofLength(len, *total));
  }

  Timeline t = computeTimeline(module);
  for (const PhaseSpan& span : t.phases) {
    for (RuleOp rule : PhaseOp(span.op).getBody().getOps<RuleOp>()) {
      if (QuantityAttr every = rule.getEveryAttr()) rule.setEveryAttr(r.ofLength(every, span.length()));
      if (ConditionAttr c = rule.getWhenAttr())
        if (auto q = llvm::dyn_cast<QuantityAttr>(c.getThreshold()); q && (q.getUnit() == "steps" || q.getUnit() == "tokens"))
          rule.setWhenAttr(ConditionAttr::get(c.getContext(), c.getMetric(), c.getArgument(), c.getOp(), r.fixed(q),
                                              c.getWindow()));
    }
  }
  for (EvaluateOp e : module.getBody()->getOps<EvaluateOp>())
    if (QuantityAttr every = e.getEveryAttr()) e.setEveryAttr(r.ofLength(every, t.total));
  for (CheckpointOp c : module.getBody()->getOps<CheckpointOp>())
    if (QuantityAttr every = c.getEveryAttr()) c.setEveryAttr(r.ofLength(every, t.total));
  if (TrainConfigOp train = trainConfig(module)) {
    train.setWarmupAttr(r.ofLength(train.getWarmupAttr(), t.total));
    if (QuantityAttr decay = train.getDecayAttr()) train.setDecayAttr(r.ofLength(decay, t.total));
  }
}

}  // namespace

std::unique_ptr<Pass> createResolveDurationsPass() { return std::make_unique<ResolveDurationsPass>(); }

}  // namespace recipec::ir
