// test_recipes.cpp — every recipe in recipes/ (and the inputs written for these tests):
//   - the IR text round-trips: print -> parse -> print is the same text, before and after
//     the pipeline, with and without locations;
//   - `recipec compile --emit=mlir` and `--emit=plan` match the golden files in
//     tests/compiler/golden/{mlir,plan}/ (regenerate: tests/compiler/mlir/update_goldens.sh,
//     which sets RECIPEC_UPDATE_GOLDENS=1; a new recipe without goldens fails until then).
#include "MlirTestUtil.h"
#include "compiler/mlir/Dialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

namespace recipec::testing {
namespace {

class EveryRecipe : public ::testing::TestWithParam<std::string> {};

std::string roundTrip(mlir::ModuleOp module, bool debugInfo, mlir::MLIRContext& ctx, std::string& first) {
  first = printModule(module, debugInfo);
  mlir::ParserConfig config(&ctx);
  auto parsed = mlir::parseSourceString<mlir::ModuleOp>(first, config);
  if (!parsed) return "<does not parse>";
  return printModule(*parsed, debugInfo);
}

TEST_P(EveryRecipe, IrRoundTrips) {
  sema::Program program;
  ASSERT_TRUE(program.load(kSource + "/" + GetParam()) && sema::check(program, sema::CheckOptions{false}))
      << program.diags().render(false);
  for (bool raw : {true, false}) {
    mlir::MLIRContext ctx;
    auto module = compileToModule(ctx, program, raw);
    ASSERT_TRUE(module) << program.diags().render(false);
    for (bool debugInfo : {false, true}) {
      std::string first;
      std::string second = roundTrip(*module, debugInfo, ctx, first);
      EXPECT_EQ(first, second) << (raw ? "raw" : "resolved") << " IR, debug info " << debugInfo;
    }
  }
}

// Makes the output independent of where the tree is checked out and of the version.
std::string normalise(std::string text) {
  text = replaceAll(text, "\"base_dir\": \"" + kSource + "\"", "\"base_dir\": \"<source>\"");
  text = replaceAll(text, kSource + "/", "");
  std::string version = "\"compiler_version\": \"";
  if (auto at = text.find(version); at != std::string::npos) {
    auto end = text.find('"', at + version.size());
    text.replace(at + version.size(), end - at - version.size(), "<version>");
  }
  return text;
}

void checkGolden(const std::string& recipe, const std::string& emit, const std::string& ext) {
  CmdResult r = recipec("compile " + recipe + " --emit=" + emit);
  ASSERT_EQ(r.code, 0) << recipec("compile " + recipe + " --emit=" + emit, true).out;
  std::string rel = recipe.substr(0, recipe.rfind('.'));
  if (rel.rfind("tests/compiler/mlir/", 0) == 0) rel = rel.substr(std::string("tests/compiler/mlir/").size());
  std::string golden = kSource + "/tests/compiler/golden/" + emit + "/" + rel + ext;
  std::string actual = normalise(r.out);
  if (std::getenv("RECIPEC_UPDATE_GOLDENS")) {
    writeFile(golden, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << "no golden file " << golden
                                  << "; run tests/compiler/mlir/update_goldens.sh and review the new file";
  EXPECT_EQ(readFile(golden), actual) << "the output of `recipec compile " << recipe << " --emit=" << emit
                                      << "` changed; if that is intended, run tests/compiler/mlir/update_goldens.sh";
}

TEST_P(EveryRecipe, MlirMatchesGolden) { checkGolden(GetParam(), "mlir", ".mlir"); }
TEST_P(EveryRecipe, PlanMatchesGolden) { checkGolden(GetParam(), "plan", ".json"); }

// The plan a recipe compiles to reads back through the runtime's reader unchanged.
TEST_P(EveryRecipe, PlanJsonRoundTrips) {
  CmdResult r = recipec("compile " + GetParam() + " --emit=plan");
  ASSERT_EQ(r.code, 0);
  plan::Plan p = plan::parsePlan(r.out, GetParam());
  EXPECT_EQ(p.plan_version, plan::kPlanVersion);
  EXPECT_EQ(plan::planToText(p), r.out);
}

INSTANTIATE_TEST_SUITE_P(Recipes, EveryRecipe, ::testing::ValuesIn(recipeFiles()),
                         [](const auto& info) { return testName(info.param); });

// The standard library's templates round-trip too (they have no goldens: recipes do).
class EveryStdlibFile : public ::testing::TestWithParam<std::string> {};
TEST_P(EveryStdlibFile, IrRoundTrips) {
  sema::Program program;
  ASSERT_TRUE(program.load(kSource + "/" + GetParam()) && sema::check(program, sema::CheckOptions{false}));
  mlir::MLIRContext ctx;
  auto module = compileToModule(ctx, program);
  ASSERT_TRUE(module) << program.diags().render(false);
  std::string first;
  std::string second = roundTrip(*module, false, ctx, first);
  EXPECT_EQ(first, second);
}

std::vector<std::string> stdlibFiles() {
  std::vector<std::string> out;
  for (const auto& f : recipeFiles(true))
    if (f.rfind("stdlib/", 0) == 0) out.push_back(f);
  return out;
}
INSTANTIATE_TEST_SUITE_P(Stdlib, EveryStdlibFile, ::testing::ValuesIn(stdlibFiles()),
                         [](const auto& info) { return testName(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EveryStdlibFile);

// A new recipe in recipes/ is covered without editing this file.
TEST(RecipeCoverage, TestsFollowTheRecipesFolder) {
  auto files = recipeFiles();
  EXPECT_NE(std::find(files.begin(), files.end(), "tests/compiler/mlir/inputs/lfr.recipe"), files.end());
  for (const auto& e : fs::directory_iterator(kSource + "/recipes"))
    if (e.path().extension() == ".recipe")
      EXPECT_NE(std::find(files.begin(), files.end(), "recipes/" + e.path().filename().string()), files.end());
}

}  // namespace
}  // namespace recipec::testing
