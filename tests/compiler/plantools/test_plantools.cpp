// test_plantools.cpp — the plan-level tools on plans made here, with nothing but the
// library: this binary links recipec_plantools and GoogleTest only, so it also shows that
// the tools need no MLIR (the recipe-driven tests are test_diff.cpp and test_explain.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/plantools/Explain.h"
#include "compiler/plantools/PlanDiff.h"
#include "compiler/plantools/PlanInput.h"

namespace recipec {
namespace {

namespace fs = std::filesystem;

// A ramp's arrow stays inside a value; long normalised weights read rounded, unless the
// rounding would hide the change.
TEST(DiffText, RampsReadAsRampsAndNumbersRounded) {
  std::vector<plandiff::Change> changes{
      {"phase a / mix", "changed", "web 0.2 -> 0.1, code 0.8 -> 0.9", "web 0.2 -> 0.0909090909091, code 0.8 -> 0.909090909091", "x:1:1", "y:2:1"},
      {"train / optimizer / lr", "changed", "0.000300001", "0.000300002", "", ""}};
  const std::string t = plandiff::renderText(changes, "a", "b");
  EXPECT_NE(t.find("was  web 0.2 -> 0.1, code 0.8 -> 0.9   (x:1:1)"), std::string::npos) << t;
  EXPECT_NE(t.find("now  web 0.2 -> 0.09091, code 0.8 -> 0.9091   (y:2:1)"), std::string::npos) << t;
  EXPECT_NE(t.find("was  0.000300001"), std::string::npos) << t;  // 4 digits would read the same
  EXPECT_NE(t.find("now  0.000300002"), std::string::npos) << t;
}

TEST(Explain, Thousands) {
  EXPECT_EQ(explain::withCommas(0), "0");
  EXPECT_EQ(explain::withCommas(999), "999");
  EXPECT_EQ(explain::withCommas(1000), "1,000");
  EXPECT_EQ(explain::withCommas(-1234567), "-1,234,567");
}

// A value one field took from a `let` (the emitter records "FIELD / uses constant NAME")
// changed because the let did: both sides point at their let, not at the field.
TEST(DiffWhere, AFieldsOwnConstantIsWhereItChanged) {
  plan::Plan a, b;
  plan::Model net;
  net.name = "net";
  net.arch = "gpt2";
  net.init_from = "a.safetensors";
  a.models = {net};
  net.init_from = "b.safetensors";
  b.models = {net};
  a.constants["base"] = "a.safetensors";
  b.constants["base"] = "b.safetensors";
  a.sources = {{"constant base", "a.recipe:2:5"},
               {"model net / init_from", "a.recipe:11:3"},
               {"model net / init_from / uses constant base", "a.recipe:2:5"}};
  b.sources = {{"constant base", "b.recipe:4:5"},
               {"model net / init_from", "a.recipe:11:3"},  // b extends a
               {"model net / init_from / uses constant base", "b.recipe:4:5"}};
  const auto changes = plandiff::diffPlans(a, b);
  ASSERT_EQ(changes.size(), 1u) << plandiff::renderText(changes, "a", "b");
  EXPECT_EQ(changes[0].path, "model net / init_from");
  EXPECT_EQ(changes[0].sourceBefore, "a.recipe:2:5");
  EXPECT_EQ(changes[0].sourceAfter, "b.recipe:4:5");
}

// A folder for one test, removed at the end.
struct TempDir {
  fs::path path = fs::path(::testing::TempDir()) /
                  ("recipec_plantools_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TEST(PlanInput, RunDirectoriesAndJsonFilesArePlansRecipesAreNot) {
  TempDir dir;
  EXPECT_EQ(plantools::planFileOf(dir.path.string()), (dir.path / "plan.json").string());
  EXPECT_EQ(plantools::planFileOf("runs/x/resolved.json"), "runs/x/resolved.json");
  EXPECT_EQ(plantools::planFileOf("recipes/base.recipe"), "");
  EXPECT_EQ(plantools::planFileOf(".json"), "");  // a name, not a suffix
}

TEST(PlanInput, ReadsAPlanAndRefusesWhatIsNotOne) {
  TempDir dir;
  plan::Plan written;
  written.recipe_name = "base";
  written.constants["lr"] = "0.0006";
  const std::string good = (dir.path / "plan.json").string(), bad = (dir.path / "bad.json").string();
  std::ofstream(good) << plan::planToText(written);
  std::ofstream(bad) << "{\"recipe_name\": \"base\"}";
  plan::Plan read;
  ASSERT_TRUE(plantools::readPlanInput(plantools::planFileOf(dir.path.string()), read));
  EXPECT_EQ(read.recipe_name, "base");
  EXPECT_EQ(read.constants.at("lr"), "0.0006");
  EXPECT_TRUE(plandiff::diffPlans(written, read).empty());
  EXPECT_FALSE(plantools::readPlanInput(bad, read));  // no plan_version
  EXPECT_FALSE(plantools::readPlanInput((dir.path / "missing.json").string(), read));
}

}  // namespace
}  // namespace recipec
