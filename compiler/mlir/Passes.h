// Passes.h — the passes over the `recipe` dialect and the pipeline that runs them.
//
// Contract: every pass is an OperationPass<ModuleOp>, registered under the name in its
// comment (for recipe-opt and --pass-pipeline), and fails with a diagnostic at the recipe
// location that caused the failure. The pipeline order is fixed (each pass states what it
// needs from the ones before it):
//
//   resolve-imports      recipe.file ops -> one merged module (use, extends, precedence)
//   apply-overrides      recipe.override (--set) -> recipe.let values
//   inline-constants     #recipe.const<@x> -> the constant's value, everywhere
//   expand-presets       model chains -> explicit models with all twelve fields
//   resolve-train        recipe.train settings -> recipe.train_config, defaults explicit
//   normalise-mixtures   weights sum to 1 (and at a schedule's end); mixtures of mixtures
//                        flattened; `mix @m` rules get m's weights
//   resolve-durations    steps/tokens/% -> absolute steps where known; epochs stay symbolic
//   validate-rules       rules valid in their context (the IR-level safety net)
//   assign-phase-ranges  phase [start, end) and the run's total steps where known
//   prune-unused         models, mixtures and tokenizers nothing refers to
#pragma once

#include <memory>

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace recipec::ir {

std::unique_ptr<mlir::Pass> createResolveImportsPass();
std::unique_ptr<mlir::Pass> createApplyOverridesPass();
std::unique_ptr<mlir::Pass> createInlineConstantsPass();
std::unique_ptr<mlir::Pass> createExpandPresetsPass();
std::unique_ptr<mlir::Pass> createResolveTrainPass();
std::unique_ptr<mlir::Pass> createNormaliseMixturesPass();
std::unique_ptr<mlir::Pass> createResolveDurationsPass();
std::unique_ptr<mlir::Pass> createValidateRulesPass();
std::unique_ptr<mlir::Pass> createAssignPhaseRangesPass();
std::unique_ptr<mlir::Pass> createPruneUnusedPass();

// Adds the whole pipeline, in order, to `pm`.
void buildRecipePipeline(mlir::OpPassManager& pm);

// Registers every pass and the `recipe-pipeline` pipeline with MLIR's registry (recipe-opt).
void registerRecipePasses();

}  // namespace recipec::ir
