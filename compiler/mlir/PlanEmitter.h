// PlanEmitter.h — the resolved `recipe` module -> plan::Plan (runtime/plan/Plan.h).
//
// Contract: runs on the output of the whole pipeline (Passes.h); fails, with a diagnostic,
// only on a module that has nothing to run (no train config, no phases) or that the pipeline
// did not resolve. Every value the runtime uses is written explicitly, defaults included;
// what the compiler cannot know stays symbolic exactly as Plan.h describes (steps == -1).
// `sources` maps each entity's diff path (PlanPaths.h) to "file:line:col".
#pragma once

#include <string>

#include "mlir/IR/BuiltinOps.h"
#include "runtime/plan/Plan.h"

namespace recipec::ir {

struct EmitOptions {
  std::string baseDir;          // absolute folder relative data paths resolve against
  std::string compilerVersion;  // recorded in the plan
};

mlir::LogicalResult emitPlan(mlir::ModuleOp module, const EmitOptions& options, plan::Plan& out);

}  // namespace recipec::ir
