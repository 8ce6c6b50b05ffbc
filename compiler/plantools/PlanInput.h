// PlanInput.h — inputs of `recipec diff` / `explain` that are plans already.
//
// Contract: a run directory (its plan.json) or a file whose name ends in `.json` is a plan,
// read as it is; anything else is a recipe, which the caller compiles (compiler/mlir/Compile.h,
// planOfInput). Reading needs only the plan header: no recipe, no MLIR.
#pragma once

#include <string>

#include "runtime/plan/Plan.h"

namespace recipec::plantools {

// The plan file `path` names: DIR/plan.json for a directory, `path` itself for a *.json
// file; empty when `path` is a recipe.
std::string planFileOf(const std::string& path);

// Reads a plan file; prints why it cannot ("error: ...") to stderr and returns false.
bool readPlanInput(const std::string& file, plan::Plan& out);

}  // namespace recipec::plantools
