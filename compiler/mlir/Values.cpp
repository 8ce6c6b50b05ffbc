// Values.cpp — the helpers of Dialect.h: numbers, text forms of values, declaration lookup,
// and locations with named parts.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "compiler/mlir/Dialect.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace recipec::ir {

using namespace mlir;

namespace {
// The shortest %g form that reads back exactly.
std::string shortest(double v) {
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}
}  // namespace

std::string formatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    if (v == 0) return "0";  // also -0
    return std::to_string(static_cast<long long>(v));
  }
  std::string s = shortest(v);
  // MLIR's float literal needs a `.` before any exponent: 1e-05 -> 1.0e-05.
  if (s.find('.') == std::string::npos) {
    auto e = s.find_first_of("eE");
    if (e == std::string::npos) s += ".0";
    else s.insert(e, ".0");
  }
  return s;
}

std::string humanNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return v == 0 ? "0" : std::to_string(static_cast<long long>(v));
  return shortest(v);
}

std::optional<double> numberOf(Attribute a) {
  if (auto f = llvm::dyn_cast_or_null<FloatAttr>(a)) return f.getValueAsDouble();
  if (auto i = llvm::dyn_cast_or_null<IntegerAttr>(a)) {
    if (i.getType().isInteger(1)) return std::nullopt;  // a boolean is not a number
    return static_cast<double>(i.getValue().getSExtValue());
  }
  return std::nullopt;
}

FloatAttr f64(MLIRContext* ctx, double v) { return FloatAttr::get(Float64Type::get(ctx), v); }

std::string quantityText(QuantityAttr q) {
  if (!q) return "";
  StringRef u = q.getUnit();
  if (u == "percentile") return "p" + humanNumber(q.getNumber());
  if (u == "percent") return humanNumber(q.getNumber()) + "%";
  double v = q.getNumber();
  std::string unit = u.str();
  if (v == 1 && unit != "sigma") unit.pop_back();  // 1 epoch, 1 step, 1 token
  return humanNumber(v) + " " + unit;
}

std::string thresholdText(Attribute t) {
  if (auto q = llvm::dyn_cast_or_null<QuantityAttr>(t)) return quantityText(q);
  return valueText(t);
}

std::string conditionText(ConditionAttr c) {
  std::string s = c.getMetric().str();
  if (!c.getArgument().empty()) s += "(" + c.getArgument().str() + ")";
  s += " " + c.getOp().str() + " " + thresholdText(c.getThreshold());
  if (auto w = llvm::dyn_cast_or_null<QuantityAttr>(c.getWindow())) s += " over " + quantityText(w);
  return s;
}

std::string valueText(Attribute a) {
  if (!a) return "";
  if (auto n = numberOf(a)) return humanNumber(*n);
  if (auto s = llvm::dyn_cast<StringAttr>(a)) return s.getValue().str();
  if (auto b = llvm::dyn_cast<BoolAttr>(a)) return b.getValue() ? "true" : "false";
  if (auto q = llvm::dyn_cast<QuantityAttr>(a)) return quantityText(q);
  if (auto c = llvm::dyn_cast<ConstRefAttr>(a)) return c.getName().getValue().str();
  if (auto r = llvm::dyn_cast<FlatSymbolRefAttr>(a)) return r.getValue().str();
  if (auto arr = llvm::dyn_cast<ArrayAttr>(a)) {
    std::string s = "(";
    for (auto [i, e] : llvm::enumerate(arr)) s += (i ? ", " : "") + valueText(e);
    return s + ")";
  }
  if (auto call = llvm::dyn_cast<CallAttr>(a)) {
    std::string s = call.getCallee().str() + "(";
    for (auto [i, e] : llvm::enumerate(call.getArgs()))
      s += (i ? ", " : "") + e.getName().str() + " = " + valueText(e.getValue());
    return s + ")";
  }
  if (auto d = llvm::dyn_cast<DictionaryAttr>(a)) {
    std::string s = "{ ";
    for (auto [i, e] : llvm::enumerate(d)) s += (i ? ", " : "") + e.getName().str() + ": " + valueText(e.getValue());
    return s + " }";
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  a.print(os);
  return os.str();
}

StringRef comparisonWord(StringRef op) {
  return llvm::StringSwitch<StringRef>(op)
      .Case(">", "gt").Case(">=", "ge").Case("<", "lt").Case("<=", "le").Case("==", "eq").Case("!=", "ne")
      .Default("");
}

StringRef comparisonSymbol(StringRef word) {
  return llvm::StringSwitch<StringRef>(word)
      .Case("gt", ">").Case("ge", ">=").Case("lt", "<").Case("le", "<=").Case("eq", "==").Case("ne", "!=")
      .Default("");
}

StringRef declName(Operation* op) {
  return llvm::TypeSwitch<Operation*, StringRef>(op)
      .Case<LetOp, TokenizerOp, DatasetOp, MixtureOp, ModelOp, PhaseOp, OverrideOp>(
          [](auto d) { return d.getName(); })
      .Default([](Operation*) { return StringRef(); });
}

Block* resolvedScope(Operation* op) {
  for (Operation* p = op->getParentOp(); p; p = p->getParentOp()) {
    if (llvm::isa<FileOp>(p)) return nullptr;
    if (auto m = llvm::dyn_cast<ModuleOp>(p)) return m.getBody();
  }
  return nullptr;
}

TrainConfigOp trainConfig(ModuleOp module) {
  auto ops = module.getBody()->getOps<TrainConfigOp>();
  return ops.empty() ? nullptr : *ops.begin();
}

Block& bodyBlock(Region& region) {
  if (region.empty()) region.emplaceBlock();
  return region.front();
}

Location withPartLocs(Location main, ArrayRef<std::pair<std::string, Location>> parts) {
  if (parts.empty()) return main;
  SmallVector<Location> locs{main};
  for (const auto& [name, loc] : parts)
    locs.push_back(NameLoc::get(StringAttr::get(main.getContext(), "part:" + name), loc));
  return FusedLoc::get(main.getContext(), locs);
}

Location addPartLoc(Location loc, StringRef name, Location part) {
  SmallVector<Location> locs;
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc)) locs.append(fused.getLocations().begin(), fused.getLocations().end());
  else locs.push_back(loc);
  locs.push_back(NameLoc::get(StringAttr::get(loc.getContext(), "part:" + name), part));
  return FusedLoc::get(loc.getContext(), locs);
}

std::vector<std::pair<std::string, Location>> partLocs(Location loc) {
  std::vector<std::pair<std::string, Location>> out;
  auto fused = llvm::dyn_cast<FusedLoc>(loc);
  if (!fused) return out;
  for (Location l : fused.getLocations())
    if (auto n = llvm::dyn_cast<NameLoc>(l); n && n.getName().getValue().starts_with("part:"))
      out.emplace_back(n.getName().getValue().drop_front(5).str(), n.getChildLoc());
  return out;
}

std::optional<Location> partLoc(Location loc, StringRef name) {
  for (auto& [n, l] : partLocs(loc))
    if (n == name) return l;
  return std::nullopt;
}

std::string locString(Location loc) {
  std::string out;
  loc->walk([&](Location l) {
    if (auto f = llvm::dyn_cast<FileLineColLoc>(l)) {
      out = f.getFilename().str() + ":" + std::to_string(f.getLine()) + ":" + std::to_string(f.getColumn());
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return out;
}

}  // namespace recipec::ir
