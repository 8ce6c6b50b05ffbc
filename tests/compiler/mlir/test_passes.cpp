// test_passes.cpp — the passes as Passes.td declares them: the pipeline runs them in the
// documented order, and the registration generated from Passes.td (what recipe-opt calls)
// registers each under its name with its summary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compiler/mlir/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassRegistry.h"

namespace recipec::ir {
namespace {

TEST(Passes, PipelineOrderAndGeneratedRegistration) {
  registerRecipePasses();
  registerRecipePipeline();
  mlir::OpPassManager pm(mlir::ModuleOp::getOperationName());
  buildRecipePipeline(pm);
  std::vector<std::string> order;
  for (mlir::Pass& pass : pm.getPasses()) {
    order.push_back(pass.getArgument().str());
    const mlir::PassInfo* info = mlir::PassInfo::lookup(pass.getArgument());
    ASSERT_NE(info, nullptr) << pass.getArgument().str() << " is not registered";
    EXPECT_EQ(info->getPassDescription().str(), pass.getDescription().str());
    EXPECT_FALSE(pass.getDescription().empty()) << pass.getArgument().str();
  }
  const std::vector<std::string> expected = {
      "resolve-imports",   "apply-overrides", "inline-constants",    "expand-presets", "resolve-train",
      "normalise-mixtures", "resolve-durations", "validate-rules", "assign-phase-ranges", "prune-unused"};
  EXPECT_EQ(order, expected);
  EXPECT_NE(mlir::PassPipelineInfo::lookup("recipe-pipeline"), nullptr);
}

}  // namespace
}  // namespace recipec::ir
