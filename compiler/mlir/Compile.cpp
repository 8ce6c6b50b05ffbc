// Compile.cpp — see Compile.h.
#include "compiler/mlir/Compile.h"

#include <unistd.h>

#include <cstdio>
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

bool compileToPlan(sema::Program& program, plan::Plan& out) {
  mlir::MLIRContext context;
  auto module = compileToModule(context, program);
  if (!module) return false;
  ir::DiagBridge bridge(context, program.sources(), program.diags());
  std::error_code ec;
  ir::EmitOptions options{std::filesystem::current_path(ec).string(), RECIPEC_VERSION};
  return succeeded(ir::emitPlan(*module, options, out));
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
