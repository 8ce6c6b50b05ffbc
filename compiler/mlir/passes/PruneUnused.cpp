// PruneUnused.cpp — `prune-unused`: drops declarations the run never uses.
//
// `use "stdlib/models.recipe"` brings in every preset; the plan should list the model that
// trains, not the library. Removed: models the train config does not name (kept when there is
// no train config: a preset library compiled on its own keeps its models), mixtures no rule
// or kept mixture names, tokenizers no dataset uses. Datasets and constants stay: a phase
// without a `mix` trains on every dataset, and the plan records every constant.
#include <set>

#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"

namespace recipec::ir {

using namespace mlir;

namespace {

RECIPE_MODULE_PASS(PruneUnusedPass, "prune-unused", "Drop models, mixtures and tokenizers nothing refers to")

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
