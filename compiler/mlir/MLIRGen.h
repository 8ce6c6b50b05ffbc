// MLIRGen.h — AST -> `recipe` dialect, one `recipe.file` per loaded source file.
//
// Contract: takes a loaded (and checked) sema::Program and emits IR "as written": every file
// the recipe reads becomes a `recipe.file` with its own declarations, `--set` values become
// module-level `recipe.override`s, and nothing is merged or resolved (that is the passes'
// job). Every op carries a FileLineColLoc into its recipe file, so a pass's error points at
// the user's line. Never fails on a program that passed the checks; on anything it cannot
// express it emits an error diagnostic and returns null.
#pragma once

#include "compiler/sema/Loader.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace recipec::ir {

mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext& context, const sema::Program& program);

// Named positional arguments of the callees the language knows (`cosine(200 steps)` is
// `cosine(warmup = 200 steps)`). Empty for unknown callees: their arguments become _0, _1 ...
const std::vector<std::string>& positionalNames(const std::string& callee);

}  // namespace recipec::ir
