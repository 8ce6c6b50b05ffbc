// Pipeline.cpp — the pass order (Passes.h explains it) and the registration for recipe-opt.
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

void registerRecipePasses() {
  mlir::registerPass(createResolveImportsPass);
  mlir::registerPass(createApplyOverridesPass);
  mlir::registerPass(createInlineConstantsPass);
  mlir::registerPass(createExpandPresetsPass);
  mlir::registerPass(createResolveTrainPass);
  mlir::registerPass(createNormaliseMixturesPass);
  mlir::registerPass(createResolveDurationsPass);
  mlir::registerPass(createValidateRulesPass);
  mlir::registerPass(createAssignPhaseRangesPass);
  mlir::registerPass(createPruneUnusedPass);
  mlir::PassPipelineRegistration<>("recipe-pipeline", "The whole recipe pipeline, resolve-imports to prune-unused",
                                   [](mlir::OpPassManager& pm) { buildRecipePipeline(pm); });
}

}  // namespace recipec::ir
