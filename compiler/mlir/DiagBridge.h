// DiagBridge.h — MLIR diagnostics -> the recipe's own diagnostics (rustc style).
//
// Contract: while a DiagBridge lives, every diagnostic MLIR emits in `context` (verifier
// failures, pass errors) becomes a diag::Diagnostic in the program's DiagnosticEngine,
// pointing into the recipe file its FileLineColLoc names, with the source line and a caret
// under the token there; attached notes become secondary labels, and a note that starts with
// `help: ` the diagnostic's help line. The handler never throws (MLIR reports from a noexcept
// destructor). Codes: a message may start with its code, `[E0382] `: a check that only the
// resolved recipe can make, which `check` runs too (Compile.h, checkResolves). Otherwise the
// code is E0500, an IR-level check a recipe should never reach (docs/plan.md lists them).
#pragma once

#include "compiler/sema/Loader.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

namespace recipec::ir {

class DiagBridge {
 public:
  DiagBridge(mlir::MLIRContext& context, diag::SourceManager& sources, diag::DiagnosticEngine& diags);
  ~DiagBridge();
  DiagBridge(const DiagBridge&) = delete;
  DiagBridge& operator=(const DiagBridge&) = delete;

 private:
  mlir::MLIRContext& context_;
  mlir::DiagnosticEngine::HandlerID id_;
};

// The source range an MLIR location points at: its first FileLineColLoc, widened to the
// token that starts there. Invalid when the file is not one the program loaded.
diag::SourceRange rangeOf(mlir::Location loc, const diag::SourceManager& sources);

}  // namespace recipec::ir
