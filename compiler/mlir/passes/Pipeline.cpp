// Pipeline.cpp — the pass order (Passes.h explains it) and its registration for recipe-opt.
#include "compiler/mlir/Passes.h"
#include "mlir/Pass/PassRegistry.h"

namespace recipec::ir {

void buildRecipePipeline(mlir::OpPassManager& pm) {
  pm.addPass(createResolveImportsPass());
  pm.addPass(createApplyOverridesPass());
  pm.addPass(createInlineConstantsPass());
  pm.addPass(createExpandPresetsPass());
  pm.addPass(createResolveTrainPass());
  pm.addPass(createNormaliseMixturesPass());
  pm.addPass(createResolveDurationsPass());
  pm.addPass(createValidateRulesPass());
  pm.addPass(createAssignPhaseRangesPass());
  pm.addPass(createPruneUnusedPass());
}

void registerRecipePipeline() {
  mlir::PassPipelineRegistration<>("recipe-pipeline", "The whole recipe pipeline, resolve-imports to prune-unused",
                                   [](mlir::OpPassManager& pm) { buildRecipePipeline(pm); });
}

}  // namespace recipec::ir
