// Passes.h — the passes over the `recipe` dialect and the pipeline that runs them.
//
// Contract: every pass is an OperationPass<ModuleOp>, declared in Passes.td (its name for
// recipe-opt and --pass-pipeline, its summary and description; mlir-tblgen generates the
// base classes and the registration from it), and fails with a diagnostic at the recipe
// location that caused the failure. The pipeline order is fixed (each pass's description
// states what it needs from the ones before it):
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

// The constructors Passes.td names (each in its file in passes/).
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

// Generated from Passes.td: the passes' declarations, then registerRecipePasses(), which
// registers every pass with MLIR's registry (recipe-opt), and one register<Pass>() each.
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "RecipePasses.h.inc"

// Adds the whole pipeline, in order, to `pm`.
void buildRecipePipeline(mlir::OpPassManager& pm);

// Registers the `recipe-pipeline` pipeline (buildRecipePipeline) with MLIR's registry.
void registerRecipePipeline();

}  // namespace recipec::ir
