// Compile.cpp — see Compile.h.
#include "compiler/mlir/Compile.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <filesystem>

#include "compiler/mlir/DiagBridge.h"
#include "compiler/sema/Check.h"
#include "compiler/mlir/Dialect.h"
#include "compiler/mlir/MLIRGen.h"
#include "compiler/mlir/Passes.h"
#include "compiler/mlir/PlanEmitter.h"
#include "compiler/plantools/PlanInput.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#ifndef RECIPEC_VERSION
#define RECIPEC_VERSION "dev"
#endif

namespace recipec {

namespace {

void configure(mlir::MLIRContext& context) {
  context.getOrLoadDialect<ir::RecipeDialect>();
  // Users read these errors next to their recipe; the failing op in generic MLIR syntax
  // would only confuse them (recipe-opt still shows it).
  context.printOpOnDiagnostic(false);
}

}  // namespace

mlir::OwningOpRef<mlir::ModuleOp> compileToModule(mlir::MLIRContext& context, sema::Program& program, bool raw) {
  configure(context);
  ir::DiagBridge bridge(context, program.sources(), program.diags());
  mlir::OwningOpRef<mlir::ModuleOp> module = ir::mlirGen(context, program);
  if (!module || failed(mlir::verify(*module))) return nullptr;
  if (raw) return module;
  mlir::PassManager pm(&context);
  ir::buildRecipePipeline(pm);
  if (failed(pm.run(*module))) return nullptr;
  return module;
}

namespace {

// The JSON path of the first number in the plan that the runtime must never see: NaN or an
// infinity (JSON would write null), or an int64 that wrapped (INT64_MIN, INT64_MAX).
std::string poisonedNumber(const nlohmann::json& j, const std::string& path) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return path;
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    int64_t v = j.get<int64_t>();
    if (v == std::numeric_limits<int64_t>::min() || v == std::numeric_limits<int64_t>::max()) return path;
  }
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (std::string at = poisonedNumber(v, path + "." + k); !at.empty()) return at;
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i)
      if (std::string at = poisonedNumber(j[i], path + "[" + std::to_string(i) + "]"); !at.empty()) return at;
  return "";
}

}  // namespace

bool compileToPlan(sema::Program& program, plan::Plan& out) {
  if (program.resolvedPlan()) {  // checkResolves made it already
    out = *program.resolvedPlan();
    return true;
  }
  mlir::MLIRContext context;
  auto module = compileToModule(context, program);
  if (!module) return false;
  ir::DiagBridge bridge(context, program.sources(), program.diags());
  std::error_code ec;
  ir::EmitOptions options{std::filesystem::current_path(ec).string(), RECIPEC_VERSION};
  if (failed(ir::emitPlan(*module, options, out))) return false;
  // The checks bound every value; one that slipped through is a missing check (E0500),
  // never a plan the runtime would read as garbage.
  if (std::string at = poisonedNumber(nlohmann::json(out), "plan"); !at.empty()) {
    diag::SourceRange where;
    if (program.root()) where = diag::SourceRange{program.root()->id, 1, 1, 1, 1};
    program.diags().error("E0500", "the plan would hold a number out of range at `" + at + "`", where);
    return false;
  }
  return true;
}

bool checkResolves(sema::Program& program) {
  const sema::Scope& scope = program.scope();
  if (!scope.trainDecl || scope.phases.empty()) return true;
  plan::Plan resolved;
  if (!compileToPlan(program, resolved)) return false;
  program.resolvedPlan() = std::move(resolved);
  return true;
}

std::string printModule(mlir::ModuleOp module, bool debugInfo) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  if (debugInfo) flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module.print(os, flags);
  os << "\n";
  os.flush();
  return text;
}

void printNewDiagnostics(sema::Program& program, size_t from, const std::string& what) {
  const bool color = isatty(2) && std::getenv("NO_COLOR") == nullptr;
  auto& diags = program.diags();
  std::string out;
  size_t errors = 0;
  for (size_t i = from; i < diags.all().size(); ++i) {
    out += diags.renderOne(diags.all()[i], color) + "\n";
    errors += diags.all()[i].severity == diag::Severity::Error;
  }
  if (errors > 0)
    out += std::string(color ? "\033[1;31merror\033[0m" : "error") + ": could not " + what + " due to " +
           std::to_string(errors) + " previous error" + (errors == 1 ? "" : "s") + "\n";
  std::fputs(out.c_str(), stderr);
}

bool planOfInput(const std::string& path, const std::vector<std::string>& sets, plan::Plan& out) {
  if (std::string file = plantools::planFileOf(path); !file.empty()) return plantools::readPlanInput(file, out);
  sema::Program program;
  bool ok = program.load(path, sets) && sema::check(program, sema::CheckOptions{/*checkFiles=*/false});
  if (ok) ok = compileToPlan(program, out);
  if (!ok) printNewDiagnostics(program, 0, "compile `" + path + "`");
  return ok;
}

int compileToText(sema::Program& program, const std::string& emit, std::string& out) {
  if (emit != "mlir" && emit != "mlir-raw" && emit != "plan") {
    std::fprintf(stderr, "error: unknown --emit=%s (expected ast, mlir, mlir-raw or plan)\n", emit.c_str());
    return 2;
  }
  const size_t before = program.diags().all().size();
  const std::string what = "compile `" + (program.root() ? program.root()->path : std::string("recipe")) + "`";
  bool ok = false;
  if (emit == "plan") {
    plan::Plan p;
    ok = compileToPlan(program, p);
    if (ok) out = plan::planToText(p);
  } else {
    mlir::MLIRContext context;
    auto module = compileToModule(context, program, emit == "mlir-raw");
    ok = static_cast<bool>(module);
    if (ok) out = printModule(*module);
  }
  if (!ok) printNewDiagnostics(program, before, what);
  return ok ? 0 : 1;
}

}  // namespace recipec
