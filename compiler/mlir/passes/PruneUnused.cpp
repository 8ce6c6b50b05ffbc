// PruneUnused.cpp — `prune-unused`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include <set>

#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"

namespace recipec::ir {

#define GEN_PASS_DEF_PRUNEUNUSED
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct PruneUnusedPass : impl::PruneUnusedBase<PruneUnusedPass> {
  void runOnOperation() override;
};

void PruneUnusedPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  Block* body = module.getBody();

  if (TrainConfigOp train = trainConfig(module))
    for (ModelOp m : llvm::make_early_inc_range(body->getOps<ModelOp>()))
      if (m.getName() != train.getModel()) m.erase();

  // Mixtures: reachable from rules, then from other reachable mixtures.
  std::set<std::string> used;
  module.walk([&](RuleOp r) {
    if (auto m = r.getMixture()) used.insert(m->str());
  });
  for (bool grew = true; grew;) {
    grew = false;
    for (MixtureOp m : body->getOps<MixtureOp>()) {
      if (!used.count(m.getName().str())) continue;
      for (WeightOp w : m.getBody().getOps<WeightOp>())
        grew |= used.insert(w.getDataset().str()).second && lookup<MixtureOp>(body, w.getDataset());
    }
  }
  for (MixtureOp m : llvm::make_early_inc_range(body->getOps<MixtureOp>()))
    if (!used.count(m.getName().str())) m.erase();

  std::set<std::string> tokenizers;
  for (DatasetOp d : body->getOps<DatasetOp>())
    if (auto t = llvm::dyn_cast_or_null<FlatSymbolRefAttr>(d.getArgs().get("tokenizer")))
      tokenizers.insert(t.getValue().str());
  for (TokenizerOp t : llvm::make_early_inc_range(body->getOps<TokenizerOp>()))
    if (!tokenizers.count(t.getName().str())) t.erase();
}

}  // namespace

std::unique_ptr<Pass> createPruneUnusedPass() { return std::make_unique<PruneUnusedPass>(); }

}  // namespace recipec::ir
