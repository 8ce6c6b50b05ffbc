// MlirTestUtil.h — what the compiler-middle tests share: the recipes they run over, the
// recipec binary, temporary recipe files, and compiling text to a plan in-process.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/mlir/Compile.h"
#include "compiler/sema/Check.h"

namespace recipec::testing {

namespace fs = std::filesystem;

inline const std::string kSource = RECIPEC_SOURCE_DIR;

// Every recipe the golden and round-trip tests cover, relative to the source tree: the
// examples in recipes/ (whatever is there when the tests run) and the inputs written for
// these tests.
inline std::vector<std::string> recipeFiles(bool withStdlib = false) {
  std::vector<std::string> out;
  std::vector<std::string> dirs = {"recipes", "tests/compiler/mlir/inputs"};
  if (withStdlib) dirs.push_back("stdlib");
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(kSource) / dir, ec))
      if (e.path().extension() == ".recipe") out.push_back(dir + "/" + e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A test-name-safe version of a path.
inline std::string testName(const std::string& path) {
  std::string s;
  for (char c : path) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

struct CmdResult {
  int code = -1;
  std::string out;
};

// Runs `recipec ARGS` in the source tree (so recipe paths in the output are relative),
// stderr discarded unless `withStderr`.
inline CmdResult recipec(const std::string& args, bool withStderr = false) {
  std::string cmd = "cd '" + kSource + "' && NO_COLOR=1 '" RECIPEC_BIN "' " + args + (withStderr ? " 2>&1" : " 2>/dev/null");
  CmdResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Replaces every occurrence of `from` in `s`.
inline std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// A folder of recipe files for one test, removed at the end.
class RecipeDir {
 public:
  RecipeDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("recipec_mlir_" + std::string(info->test_suite_name()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~RecipeDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = (dir_ / name).string();
    writeFile(path, text);
    return path;
  }
  std::string path() const { return dir_.string(); }

 private:
  fs::path dir_;
};

// Loads, checks (no data files needed) and compiles `path`; fails the test on errors.
inline plan::Plan planOf(const std::string& path, std::vector<std::string> sets = {}) {
  sema::Program program;
  plan::Plan p;
  bool ok = program.load(path, sets) && sema::check(program, sema::CheckOptions{false}) && compileToPlan(program, p);
  EXPECT_TRUE(ok) << "compiling " << path << ":\n" << program.diags().render(false);
  return p;
}

}  // namespace recipec::testing
