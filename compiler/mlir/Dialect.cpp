// Dialect.cpp — registration of the `recipe` dialect and its attributes' syntax.
//
// The quantity and condition attributes have hand-written syntax because the language's own
// spelling reads better than a struct (`#recipe.qty<64000 tokens = 250 steps>`,
// `#recipe.cond<ppl gt p90>`); print -> parse -> print is exact (tests/compiler/mlir).
#include "compiler/mlir/Dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include "RecipeDialect.cpp.inc"
#include "RecipeEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "RecipeAttrs.cpp.inc"

namespace recipec::ir {

using namespace mlir;

void RecipeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "RecipeOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "RecipeAttrs.cpp.inc"
      >();
}

namespace {

const char* const kUnits[] = {"steps", "tokens", "epochs", "percent", "sigma", "percentile"};

bool knownUnit(StringRef u) {
  for (const char* k : kUnits)
    if (u == k) return true;
  return false;
}

// Numbers inside our attributes are read with the generic attribute parser (it handles the
// sign and both integer and float literals) and stored as doubles.
ParseResult parseNumber(AsmParser& parser, double& out) {
  Attribute a;
  SMLoc at = parser.getCurrentLocation();
  if (parser.parseAttribute(a)) return failure();
  auto v = numberOf(a);
  if (!v) return parser.emitError(at, "expected a number");
  out = *v;
  return success();
}

}  // namespace

// ---- #recipe.qty<200 steps> ---------------------------------------------------------------

Attribute QuantityAttr::parse(AsmParser& parser, Type) {
  double value = 0;
  std::string unit;
  int64_t steps = -1;
  if (parser.parseLess() || parseNumber(parser, value) || parser.parseKeywordOrString(&unit))
    return {};
  if (unit == "steps") steps = static_cast<int64_t>(std::llround(value));
  if (succeeded(parser.parseOptionalEqual())) {
    if (parser.parseInteger(steps) || parser.parseKeyword("steps")) return {};
  }
  if (parser.parseGreater()) return {};
  return QuantityAttr::getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                                  parser.getContext(), llvm::APFloat(value), unit, steps);
}

void QuantityAttr::print(AsmPrinter& printer) const {
  printer << "<" << formatNumber(getNumber()) << " " << getUnit();
  if (getUnit() != "steps" && getSteps() >= 0) printer << " = " << getSteps() << " steps";
  printer << ">";
}

LogicalResult QuantityAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   llvm::APFloat value, StringRef unit, int64_t steps) {
  if (!knownUnit(unit))
    return emitError() << "unknown unit `" << unit
                       << "` (expected steps, tokens, epochs, percent, sigma or percentile)";
  if (!value.isFinite()) return emitError() << "quantity value is not finite";
  if (steps < -1) return emitError() << "resolved step count is " << steps << " (need >= 0, or -1)";
  return success();
}

// ---- #recipe.cond<ppl gt p90> -------------------------------------------------------------

Attribute ConditionAttr::parse(AsmParser& parser, Type) {
  MLIRContext* ctx = parser.getContext();
  std::string metric, argument, word;
  if (parser.parseLess() || parser.parseKeywordOrString(&metric)) return {};
  if (succeeded(parser.parseOptionalLParen())) {
    if (parser.parseKeywordOrString(&argument) || parser.parseRParen()) return {};
  }
  SMLoc opLoc = parser.getCurrentLocation();
  if (parser.parseKeywordOrString(&word)) return {};
  StringRef op = comparisonSymbol(word);
  if (op.empty()) {
    parser.emitError(opLoc, "expected a comparison: gt, ge, lt, le, eq or ne");
    return {};
  }

  Attribute threshold;
  StringRef kw;
  if (succeeded(parser.parseOptionalKeyword(&kw))) {
    // `p90`, `p99.9`: a percentile over the per-block table.
    double pct = 0;
    if (kw.size() < 2 || kw[0] != 'p' || kw.drop_front().getAsDouble(pct)) {
      parser.emitError(parser.getCurrentLocation(), "expected a threshold, found `") << kw << "`";
      return {};
    }
    threshold = QuantityAttr::get(ctx, pct, "percentile");
  } else {
    if (parser.parseAttribute(threshold)) return {};
    if (auto n = numberOf(threshold)) {
      StringRef unit;
      if (succeeded(parser.parseOptionalKeyword(&unit, {"sigma", "steps", "tokens"}))) {
        int64_t steps = unit == "steps" ? static_cast<int64_t>(std::llround(*n)) : -1;
        // `2560 tokens = 10 steps`: a count resolve-durations resolved.
        if (succeeded(parser.parseOptionalEqual()))
          if (parser.parseInteger(steps) || parser.parseKeyword("steps")) return {};
        threshold = QuantityAttr::get(ctx, *n, unit, steps);
      } else {
        threshold = f64(ctx, *n);
      }
    }
  }
  Attribute window;
  if (succeeded(parser.parseOptionalKeyword("over"))) {
    double w = 0;
    std::string unit;
    if (parseNumber(parser, w) || parser.parseKeywordOrString(&unit)) return {};
    window = QuantityAttr::get(ctx, w, unit);
  }
  if (parser.parseGreater()) return {};
  return ConditionAttr::getChecked([&] { return parser.emitError(parser.getNameLoc()); }, ctx,
                                   metric, argument, op, threshold, window);
}

void ConditionAttr::print(AsmPrinter& printer) const {
  printer << "<" << getMetric();
  if (!getArgument().empty()) printer << "(" << getArgument() << ")";
  printer << " " << comparisonWord(getOp()) << " ";
  auto q = llvm::dyn_cast<QuantityAttr>(getThreshold());
  if (q && q.getUnit() == "percentile") printer << "p" << formatNumber(q.getNumber());
  else if (q) {
    printer << formatNumber(q.getNumber()) << " " << q.getUnit();
    if (q.getUnit() != "steps" && q.isResolved()) printer << " = " << q.getSteps() << " steps";
  }
  else if (auto n = numberOf(getThreshold())) printer << formatNumber(*n);
  else printer.printAttribute(getThreshold());
  if (auto w = llvm::dyn_cast_or_null<QuantityAttr>(getWindow()))
    printer << " over " << formatNumber(w.getNumber()) << " " << w.getUnit();
  printer << ">";
}

LogicalResult ConditionAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringRef metric,
                                    StringRef argument, StringRef op, Attribute threshold,
                                    Attribute window) {
  static const char* const metrics[] = {"loss", "ppl", "val.ppl", "grad_norm", "step", "tokens"};
  if (llvm::none_of(metrics, [&](const char* m) { return metric == m; }))
    return emitError() << "unknown metric `" << metric
                       << "` (expected loss, ppl, val.ppl, grad_norm, step or tokens)";
  if (metric == "val.ppl" && argument.empty())
    return emitError() << "`val.ppl` needs the split it is measured on, e.g. val.ppl(web.val)";
  if (comparisonWord(op).empty()) return emitError() << "unknown comparison `" << op << "`";
  if (!threshold) return emitError() << "condition on `" << metric << "` has no threshold";
  if (auto q = llvm::dyn_cast<QuantityAttr>(threshold)) {
    if (q.getUnit() == "percentile" && (q.getNumber() < 0 || q.getNumber() > 100))
      return emitError() << "percentile p" << formatNumber(q.getNumber()) << " is outside p0..p100";
    if (q.getUnit() == "sigma" && q.getNumber() <= 0)
      return emitError() << "sigma threshold is " << formatNumber(q.getNumber()) << " (need > 0)";
  }
  if (window) {
    auto w = llvm::dyn_cast<QuantityAttr>(window);
    if (!w || w.getUnit() != "steps" || w.getNumber() < 1)
      return emitError() << "the window of a sigma threshold is a positive number of steps";
  }
  return success();
}

}  // namespace recipec::ir
