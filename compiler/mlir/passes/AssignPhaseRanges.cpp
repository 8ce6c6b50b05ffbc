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
  bool ok = true;
  for (const PhaseSpan& span : t.phases) {
    PhaseOp p = span.op;
    p.removeStartStepAttr();
    p.removeEndStepAttr();
    if (span.start && span.end && *span.end <= *span.start) {
      const std::string length = quantityText(p.getLengthAttr());
      const std::string how = length.empty() ? std::string(p.getKind() == DurationKind::Until ? "" : " (the rest of `total`)")
                                             : std::string(" (") + (p.getKind() == DurationKind::Until ? "until " : "for ") +
                                                   length + ")";
      p.emitError() << "phase " << quoted(p.getName()) << " ends at step " << *span.end << how
                    << " but starts at step " << *span.start;
      ok = false;
      continue;
    }
    if (TrainConfigOp train = trainConfig(module); train && train.getTotalAttr() && t.total && span.end &&
                                                    *span.end > *t.total) {
      p.emitError() << "phase " << quoted(p.getName()) << " ends at step " << *span.end
                    << ", past the run's total of " << *t.total << " steps (total "
                    << quantityText(train.getTotalAttr()) << ")";
      ok = false;
      continue;
    }
    if (span.start) p.setStartStepAttr(b.getI64IntegerAttr(*span.start));
    if (span.end) p.setEndStepAttr(b.getI64IntegerAttr(*span.end));
  }
  if (!ok) return signalPassFailure();
  if (TrainConfigOp train = trainConfig(module)) train.setTotalSteps(t.total.value_or(-1));
}

}  // namespace

std::unique_ptr<Pass> createAssignPhaseRangesPass() { return std::make_unique<AssignPhaseRangesPass>(); }

}  // namespace recipec::ir
