// ValidateRules.cpp — `validate-rules`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"
#include "runtime/plan/Methods.h"

namespace recipec::ir {

#define GEN_PASS_DEF_VALIDATERULES
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct ValidateRulesPass : impl::ValidateRulesBase<ValidateRulesPass> {
  void runOnOperation() override;
};

LogicalResult checkCondition(Operation* op, ConditionAttr c, bool ranksBlocks, Block* scope) {
  auto q = llvm::dyn_cast<QuantityAttr>(c.getThreshold());
  StringRef unit = q ? q.getUnit() : StringRef();
  StringRef metric = c.getMetric();
  std::string cond = quoted(conditionText(c));
  if (unit == "percentile" && !ranksBlocks)
    return op->emitError() << "percentile threshold in " << cond << " needs the per-block table; only `focus` and `drop` rank blocks";
  if (unit == "sigma" && ranksBlocks) return op->emitError() << "a sigma threshold does not rank blocks: " << cond;
  if (unit == "sigma" && metric != "loss" && metric != "grad_norm")
    return op->emitError() << "a sigma threshold needs a running series (loss or grad_norm): " << cond;
  bool count = metric == "step" || metric == "tokens";
  if (count && q && unit != "steps" && unit != "tokens")
    return op->emitError() << "`" << metric << "` is compared with a count, not " << quantityText(q);
  if (!count && (unit == "steps" || unit == "tokens" || unit == "epochs" || unit == "percent"))
    return op->emitError() << "`" << metric << "` is compared with a plain number, not " << quantityText(q);
  if (!q && !numberOf(c.getThreshold()))
    return op->emitError() << "the threshold of " << cond << " is not a number";
  if (metric == "val.ppl") {
    StringRef ds = c.getArgument().split('.').first;
    DatasetOp d = lookup<DatasetOp>(scope, ds);
    if (!d) return op->emitError() << "`val.ppl` on unknown dataset " << quoted(ds);
    if (!d.getSplit() && d.getKind() != "shards")
      return op->emitError() << "`val.ppl(" << c.getArgument() << ")`: dataset " << quoted(ds) << " has no `val` split";
  }
  return success();
}

void ValidateRulesPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  Block* scope = module.getBody();
  bool ok = true;
  PhaseOp rest;
  bool tableBefore = false;
  for (PhaseOp phase : scope->getOps<PhaseOp>()) {
    if (rest) {
      auto d = phase.emitError() << "phase " << quoted(phase.getName()) << " comes after phase "
                                 << quoted(rest.getName()) << ", which runs for the rest of the run";
      d.attachNote(rest.getLoc()) << "the `rest` phase";
      ok = false;
    }
    if (phase.getKind() == DurationKind::Rest && !rest) rest = phase;
    bool table = tableBefore;
    for (RuleOp rule : phase.getBody().getOps<RuleOp>()) {
      ActionKind a = rule.getAction();
      const auto* spec = plan::methods::find(stringifyActionKind(a).str());
      if (spec && spec->table == plan::methods::TableUse::kBuilds) table = true;
      bool ranks = spec && spec->condition == plan::methods::Condition::kSelectsBlocks;
      if (spec && spec->table == plan::methods::TableUse::kNeeds && !table) {
        rule.emitError() << "`" << stringifyActionKind(a) << "` in phase " << quoted(phase.getName())
                         << " needs a per-block table, but no earlier phase or rule records one";
        ok = false;
      }
      if (ConditionAttr c = rule.getWhenAttr())
        if (failed(checkCondition(rule, c, ranks, scope))) ok = false;
      if (a == ActionKind::Mix)
        for (WeightOp w : rule.getWeights().getOps<WeightOp>())
          if (!lookup<DatasetOp>(scope, w.getDataset())) {
            w.emitError() << "mix entry " << quoted(w.getDataset()) << " is not a dataset (run normalise-mixtures first)";
            ok = false;
          }
    }
    tableBefore = table;
  }
  for (EventOp e : scope->getOps<EventOp>())
    if (ConditionAttr c = e.getWhenAttr())
      if (failed(checkCondition(e, c, false, scope))) ok = false;
  if (!ok) signalPassFailure();
}

}  // namespace

std::unique_ptr<Pass> createValidateRulesPass() { return std::make_unique<ValidateRulesPass>(); }

}  // namespace recipec::ir
