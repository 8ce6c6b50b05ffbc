// AssignPhaseRanges.cpp — `assign-phase-ranges`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"
#include "compiler/mlir/passes/Timeline.h"

namespace recipec::ir {

#define GEN_PASS_DEF_ASSIGNPHASERANGES
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct AssignPhaseRangesPass : impl::AssignPhaseRangesBase<AssignPhaseRangesPass> {
  void runOnOperation() override;
};

void AssignPhaseRangesPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  Timeline t = computeTimeline(module);
  OpBuilder b(module.getContext());
  bool ok = true, reportedPastTotal = false;
  std::optional<PhaseOp> previous;
  for (const PhaseSpan& span : t.phases) {
    PhaseOp p = span.op;
    p.removeStartStepAttr();
    p.removeEndStepAttr();
    // A `rest` phase after one past `total` has nothing left: that error already says why.
    if (span.start && span.end && *span.end <= *span.start && !(reportedPastTotal && p.getKind() == DurationKind::Rest)) {
      const std::string length = quantityText(p.getLengthAttr());
      const std::string how = length.empty() ? std::string(p.getKind() == DurationKind::Until ? "" : " (the rest of `total`)")
                                             : std::string(" (") + (p.getKind() == DurationKind::Until ? "until " : "for ") +
                                                   length + ")";
      auto d = p.emitError() << "[E0382] phase " << quoted(p.getName()) << " ends at step " << *span.end << how
                             << " but starts at step " << *span.start;
      if (previous) d.attachNote(previous->getLoc()) << "the phases up to here end at step " << *span.start;
      if (p.getKind() == DurationKind::Until)
        d.attachNote() << "help: `until N` counts from the start of the run; write `for N` to count from the phase's start";
      ok = false;
      previous = p;
      continue;
    }
    if (TrainConfigOp train = trainConfig(module); train && train.getTotalAttr() && t.total && span.end &&
                                                    *span.end > *t.total && !reportedPastTotal) {
      // The phases after it are past it too: one error says it.
      auto d = p.emitError() << "[E0383] phase " << quoted(p.getName()) << " ends at step " << *span.end
                             << ", past the run's total of " << *t.total << " steps (total "
                             << quantityText(train.getTotalAttr()) << ")";
      d.attachNote(train.getLoc()) << "the run's length is set in this train block";
      d.attachNote() << "help: shorten the phases, or raise `total` to " << *span.end << " steps";
      ok = false;
      reportedPastTotal = true;
      previous = p;
      continue;
    }
    if (span.start) p.setStartStepAttr(b.getI64IntegerAttr(*span.start));
    if (span.end) p.setEndStepAttr(b.getI64IntegerAttr(*span.end));
    previous = p;
  }
  if (!ok) return signalPassFailure();
  TrainConfigOp train = trainConfig(module);
  if (!train) return;
  train.setTotalSteps(t.total.value_or(-1));
  // `total N epochs` counts epochs of the first phase's mixture. Where every phase counts in
  // epochs of that same mixture (no later phase mixes its own), the epochs add up here; the
  // runtime checks every other case once it knows the epochs' lengths (train/Timeline.cpp).
  if (QuantityAttr total = train.getTotalAttr(); total && total.getUnit() == "epochs") {
    double epochs = 0;
    bool sameEpoch = true;
    PhaseOp past;
    for (auto [i, span] : llvm::enumerate(t.phases)) {
      PhaseOp p = span.op;
      QuantityAttr len = p.getLengthAttr();
      sameEpoch = sameEpoch && p.getKind() == DurationKind::For && len && len.getUnit() == "epochs";
      if (i > 0)
        for (RuleOp r : p.getBody().getOps<RuleOp>()) sameEpoch = sameEpoch && r.getAction() != ActionKind::Mix;
      if (!sameEpoch) break;
      epochs += len.getNumber();
      if (!past && epochs > total.getNumber() + 1e-9) past = p;
    }
    if (sameEpoch && past) {
      auto d = past.emitError() << "[E0383] phase " << quoted(past.getName()) << " ends past the run's total of "
                                << quantityText(total) << ": its phases add up to " << formatNumber(epochs) << " epochs";
      d.attachNote(train.getLoc()) << "the run's length is set in this train block";
      d.attachNote() << "help: shorten the phases, or raise `total` to " << formatNumber(epochs) << " epochs";
      return signalPassFailure();
    }
  }
  // The schedule against the run, where its length is known here (else the runtime checks).
  QuantityAttr warmup = train.getWarmupAttr(), decay = train.getDecayAttr();
  auto steps = [](QuantityAttr q) -> int64_t { return q && q.isResolved() ? q.getSteps() : 0; };
  auto written = [&](QuantityAttr q) {  // `50 steps`, `600k tokens = 40 steps`
    return q.getUnit() == "steps" ? std::to_string(q.getSteps()) + " steps" : quantityText(q);
  };
  if (t.total && steps(warmup) + steps(decay) > *t.total) {
    auto d = train.emitError() << "[E0312] the schedule's "
                               << (decay ? "warmup and decay (" + written(warmup) + " + " + written(decay) + ")"
                                         : "warmup (" + written(warmup) + ")")
                               << " is longer than the run (" << *t.total << " steps)";
    d.attachNote() << "help: shorten `warmup`" << (decay ? " or `decay`" : "") << ", or give it as a share of the run (`warmup = 5%`)";
    return signalPassFailure();
  }
}

}  // namespace

std::unique_ptr<Pass> createAssignPhaseRangesPass() { return std::make_unique<AssignPhaseRangesPass>(); }

}  // namespace recipec::ir
