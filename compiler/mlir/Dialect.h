// Dialect.h — the `recipe` dialect's C++ side: generated classes and the helpers that the
// lowering, the passes and the plan emitter share.
//
// Contract: include this (never the .inc files) to use the dialect. Helpers here never emit
// diagnostics; they return std::nullopt / null when a value is not (yet) what they read, and
// the caller says why in its own words.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

#include "RecipeDialect.h.inc"
#include "RecipeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "RecipeAttrs.h.inc"

#define GET_OP_CLASSES
#include "RecipeOps.h.inc"

namespace recipec::ir {

// ---- numbers and values -------------------------------------------------------------------

// The shortest text that reads back to the same double, always a valid MLIR literal:
// 200 -> "200", 0.8 -> "0.8", 1e-5 -> "1.0e-05".
std::string formatNumber(double v);
// For people (explain, diff): 200 -> "200", 6e-4 -> "0.0006", 65536 -> "65536".
std::string humanNumber(double v);
// A FloatAttr or IntegerAttr as a double; nullopt for anything else (a constant not yet
// inlined, a string ...).
std::optional<double> numberOf(mlir::Attribute a);
mlir::FloatAttr f64(mlir::MLIRContext* ctx, double v);

// `200 steps`, `64000 tokens`, `p90`, `4 sigma`, `10%`: a quantity as the recipe wrote it.
std::string quantityText(QuantityAttr q);
// A threshold as written: `p90`, `4 sigma`, `20`.
std::string thresholdText(mlir::Attribute threshold);
// `ppl > p90`, `val.ppl(web.val) < 20`, `loss > 4 sigma over 100 steps`.
std::string conditionText(ConditionAttr c);
// Any value attribute in recipe syntax (for constants and messages).
std::string valueText(mlir::Attribute a);

// Comparison spelling in the attribute syntax (`gt`) <-> the language's (`>`).
llvm::StringRef comparisonWord(llvm::StringRef op);
llvm::StringRef comparisonSymbol(llvm::StringRef word);

// ---- declarations -------------------------------------------------------------------------

// The name of a named declaration (let, tokenizer, dataset, mixture, model, phase), or "".
llvm::StringRef declName(mlir::Operation* op);

// The block that references inside `op` resolve in: the module body once `resolve-imports`
// has merged the files; nullptr while `op` is still inside a `recipe.file` (its references
// may point into imports, which only the merge can see).
mlir::Block* resolvedScope(mlir::Operation* op);

template <class OpT>
OpT lookup(mlir::Block* scope, llvm::StringRef name) {
  if (!scope) return nullptr;
  for (OpT op : scope->getOps<OpT>())
    if (op.getName() == name) return op;
  return nullptr;
}

// The module's single resolved train configuration, or null.
TrainConfigOp trainConfig(mlir::ModuleOp module);

// Ensures a region has its one block (regions parsed from `{}` have none) and returns it.
mlir::Block& bodyBlock(mlir::Region& region);

// ---- locations ----------------------------------------------------------------------------

// A location for a declaration whose parts were written in different places (a model's
// fields across its preset chain, the train block's settings across `extends`): `main` plus
// one NameLoc per part. Printed only with debug info, so the IR text stays the same.
mlir::Location withPartLocs(mlir::Location main,
                            llvm::ArrayRef<std::pair<std::string, mlir::Location>> parts);
// `loc` with one more part (a fused location keeps its other parts).
mlir::Location addPartLoc(mlir::Location loc, llvm::StringRef name, mlir::Location part);
// Where part `name` was written, if the location records it.
std::optional<mlir::Location> partLoc(mlir::Location loc, llvm::StringRef name);
// All parts recorded in a location.
std::vector<std::pair<std::string, mlir::Location>> partLocs(mlir::Location loc);
// "file:line:col" of the first file position in a location, "" when it has none.
std::string locString(mlir::Location loc);

}  // namespace recipec::ir
