// recipe-opt.cpp — mlir-opt for the `recipe` dialect: parses IR, runs passes, prints IR.
//
// The pass tests (tests/compiler/mlir/lit/*.mlir) drive it with FileCheck and
// --verify-diagnostics, e.g. `recipe-opt --normalise-mixtures f.mlir | FileCheck f.mlir`.
#include "compiler/mlir/Dialect.h"
#include "compiler/mlir/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char** argv) {
  recipec::ir::registerRecipePasses();  // generated from Passes.td
  recipec::ir::registerRecipePipeline();
  mlir::DialectRegistry registry;
  registry.insert<recipec::ir::RecipeDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(argc, argv, "recipe dialect driver\n", registry));
}
