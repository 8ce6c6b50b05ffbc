// test_golden.cpp — every malformed recipe in tests/compiler/errors/ next to the exact text
// `recipec check` must print on stderr (NAME.expected), and exit code 1 (no crash, no 2).
//
// A file may start with `# command: run` (default `check`), `# args: ...` (extra
// command-line arguments) and `# exit: N` (expected exit code, for warning-only cases). Regenerate the expectations after an
// intended change with RECIPEC_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include "tests/compiler/ShippedRecipes.h"
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Result {
  int exitCode;
  std::string stderrText;
};

Result runCheck(const std::string& command, const std::string& file, const std::string& args) {
  std::string errPath = (fs::temp_directory_path() / ("recipec_golden_" + std::to_string(::getpid()) + ".txt")).string();
  std::string cmd = "cd '" ERRORS_DIR "' && NO_COLOR=1 '" RECIPEC_BIN "' " + command + " '" + file + "' " + args +
                    " >/dev/null 2>'" + errPath + "'";
  int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), readAll(errPath)};
  fs::remove(errPath);
  // Messages may name the checkout (import search paths); goldens must not depend on where
  // the repository lives.
  const std::string root = RECIPEC_SOURCE_DIR;
  for (size_t at; (at = r.stderrText.find(root)) != std::string::npos;)
    r.stderrText.replace(at, root.size(), "<recipec>");
  return r;
}

std::string header(const std::string& text, const std::string& key) {
  std::smatch m;
  std::regex re("^# " + key + ": (.*)$", std::regex::multiline);
  return std::regex_search(text, m, re) ? m[1].str() : "";
}

// Inputs too large to keep in the repository are written before the cases run.
struct GeneratedInputs : ::testing::Environment {
  // ctest runs each case in its own process, in parallel: every one writes its own copy and
  // renames it into place, so no case ever reads a half-written file.
  void SetUp() override {
    const fs::path target = fs::path(ERRORS_DIR) / "data" / "too_large.generated.recipe";
    const fs::path tmp = target.string() + "." + std::to_string(::getpid()) + ".tmp";
    {
      std::ofstream big(tmp);
      big << "recipe \"big\"\n";
      for (int i = 0; big.tellp() <= std::streampos(1 << 20); ++i) big << "let c" << i << " = " << i << "\n";
    }
    fs::rename(tmp, target);
    const fs::path many = fs::path(ERRORS_DIR) / "data" / "many_declarations.generated.recipe";
    const fs::path tmp2 = many.string() + "." + std::to_string(::getpid()) + ".tmp";
    {
      std::ofstream out(tmp2);
      out << "recipe \"many\"\n";
      for (int i = 0; i < 4100; ++i) out << "let c" << i << " = " << i << "\n";
    }
    fs::rename(tmp2, many);
  }
};
const auto* const kGenerated = ::testing::AddGlobalTestEnvironment(new GeneratedInputs);

std::vector<std::string> errorCases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ERRORS_DIR))
    if (e.path().extension() == ".recipe") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, StderrAndExitCodeMatch) {
  const std::string name = GetParam();
  const fs::path recipe = fs::path(ERRORS_DIR) / (name + ".recipe");
  const fs::path expected = fs::path(ERRORS_DIR) / (name + ".expected");
  std::string text = readAll(recipe);
  std::string exitText = header(text, "exit");
  int wantExit = exitText.empty() ? 1 : std::stoi(exitText);

  std::string command = header(text, "command");
  Result r = runCheck(command.empty() ? "check" : command, name + ".recipe", header(text, "args"));
  if (std::getenv("RECIPEC_UPDATE_GOLDEN")) {
    std::ofstream(expected, std::ios::binary) << r.stderrText;
  }
  EXPECT_EQ(r.exitCode, wantExit) << "stderr:\n" << r.stderrText;
  ASSERT_TRUE(fs::exists(expected)) << "no golden file " << expected << "; run with RECIPEC_UPDATE_GOLDEN=1";
  EXPECT_EQ(r.stderrText, readAll(expected));
}

INSTANTIATE_TEST_SUITE_P(Errors, Golden, ::testing::ValuesIn(errorCases()),
                         [](const auto& info) { return info.param; });

// Every documented code has at least one malformed recipe showing it.
TEST(GoldenCoverage, EveryErrorCodeInDocsHasACase) {
  std::string docs = readAll(fs::path(RECIPEC_SOURCE_DIR) / "docs" / "errors.md");
  std::set<std::string> documented, covered;
  std::regex code("\\b([EW]0[0-9]{3})\\b");
  for (std::sregex_iterator it(docs.begin(), docs.end(), code), end; it != end; ++it) documented.insert((*it)[1]);
  for (const auto& name : errorCases()) {
    std::string out = readAll(fs::path(ERRORS_DIR) / (name + ".expected"));
    for (std::sregex_iterator it(out.begin(), out.end(), code), end; it != end; ++it) covered.insert((*it)[1]);
  }
  ASSERT_FALSE(documented.empty());
  // E0500 is a pass error after check passed: a missing check, which no recipe should show
  // (the passes' own errors are covered by the lit tests of tests/compiler/mlir/lit).
  documented.erase("E0500");
  for (const auto& c : documented) EXPECT_TRUE(covered.count(c)) << c << " is documented but no test shows it";
  for (const auto& c : covered) EXPECT_TRUE(documented.count(c)) << c << " is emitted but not in docs/errors.md";
}

TEST(GoldenCoverage, AtLeastFortyMalformedRecipes) { EXPECT_GE(errorCases().size(), 40u); }

}  // namespace

// Every recipe users copy (recipes/) and every library file (stdlib/) checks clean.
namespace {

class Shipped : public ::testing::TestWithParam<std::string> {};
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Shipped);

TEST_P(Shipped, ChecksWithoutErrors) {
  std::string errPath = (fs::temp_directory_path() / ("recipec_shipped_" + std::to_string(::getpid()) + ".txt")).string();
  std::string cmd = "cd '" RECIPEC_SOURCE_DIR "' && NO_COLOR=1 '" RECIPEC_BIN "' check '" + GetParam() +
                    "' >/dev/null 2>'" + errPath + "'";
  int status = std::system(cmd.c_str());
  std::string err = readAll(errPath);
  fs::remove(errPath);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << err;
  EXPECT_EQ(err.find("error["), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Recipes, Shipped, ::testing::ValuesIn(shippedRecipes()), [](const auto& info) {
  std::string n = info.param;
  for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

TEST(Shipped, RecipesAndStdlibExist) { EXPECT_GE(shippedRecipes().size(), 6u); }

}  // namespace
