// Compile.h — the compiler driver after the front end: AST -> IR -> passes -> plan.
//
// Contract: `program` is loaded and checked. Errors (MLIR verifier failures, pass errors)
// are added to program.diags() at recipe locations; the *ToText function also prints them to
// stderr with the usual summary line. Used by `recipec compile`, `diff`, `explain` and `run`.
#pragma once

#include <string>

#include "compiler/sema/Loader.h"
#include "runtime/plan/Plan.h"

namespace mlir {
class MLIRContext;
class ModuleOp;
template <typename OpTy>
class OwningOpRef;
}  // namespace mlir

namespace recipec {

// What `--emit` can ask for.
//   mlir      the IR after the whole pipeline (resolved, one module)
//   mlir-raw  the IR as MLIRGen wrote it (one recipe.file per source file), before passes
//   plan      the JSON execution plan
// Returns an exit code: 0, 1 (the recipe has an error the front end did not catch), 2
// (unknown `emit`).
int compileToText(sema::Program& program, const std::string& emit, std::string& out);

// Lowers and, unless `raw`, runs the pipeline. Null after errors (in program.diags()).
mlir::OwningOpRef<mlir::ModuleOp> compileToModule(mlir::MLIRContext& context, sema::Program& program, bool raw = false);

// The plan of a checked program; false after errors (in program.diags()).
bool compileToPlan(sema::Program& program, plan::Plan& out);

// The last of the checks, run by every command after the front end's (`check` included): a
// recipe that can run (it has a train block and phases) is resolved through the pipeline and
// plan emission, so its timeline (steps, tokens, %, `until`, `total`) and every value the
// plan holds are judged by the code that makes the plan. Errors go to program.diags() at
// their recipe lines; a library for `use` (no train block) passes untouched.
bool checkResolves(sema::Program& program);

// The IR as text; `debugInfo` adds locations (paths into the recipe files).
std::string printModule(mlir::ModuleOp module, bool debugInfo = false);

// The plan of an input of `recipec diff` / `explain`: a recipe (loaded with `sets`, checked
// without looking for data files, compiled), a run directory (its plan.json) or a plan file
// (*.json). Errors are printed to stderr; returns false after one.
bool planOfInput(const std::string& path, const std::vector<std::string>& sets, plan::Plan& out);

// Prints the diagnostics added since `from` to stderr and the "could not ..." summary.
void printNewDiagnostics(sema::Program& program, size_t from, const std::string& what);

}  // namespace recipec
