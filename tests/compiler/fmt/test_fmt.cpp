// test_fmt.cpp — `recipec fmt`: idempotent, keeps every comment, never changes meaning.
//
// Every shipped recipe (recipes/, stdlib/) and a set of hand-made messy inputs go through
// three properties: fmt(fmt(x)) == fmt(x); the comments of x come out with the same text in
// the same order (found by a scanner written here, independent of the grammar's lexer); and
// the formatted text parses to the same AST as x (printAst with positions removed). Then
// the layout rules one by one on small inputs, and the command line (--check, --write,
// refusal of broken files) through the real binary.
#include <gtest/gtest.h>

#include "tests/compiler/ShippedRecipes.h"
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "compiler/ast/Printer.h"
#include "compiler/fmt/Format.h"
#include "compiler/parse/Parser.h"

namespace fs = std::filesystem;
using recipec::fmt::formatText;

namespace {

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `#` to the end of the line, outside strings; trailing spaces are not part of a comment.
std::vector<std::string> commentsOf(const std::string& text) {
  std::vector<std::string> out;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"' || c == '\n') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '#') {
      size_t end = text.find('\n', i);
      if (end == std::string::npos) end = text.size();
      std::string s = text.substr(i, end - i);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
      out.push_back(s);
      i = end;
    }
  }
  return out;
}

// The AST as `recipec compile --emit=ast` prints it, without line:col.
std::string astOf(const std::string& text) {
  recipec::diag::SourceManager sm;
  recipec::diag::DiagnosticEngine diags(sm);
  auto id = sm.add("x.recipe", text);
  auto file = recipec::parse::parseFile(sm, id, diags);
  if (!file) return "<syntax error>\n" + diags.render(false);
  return std::regex_replace(recipec::ast::printAst(*file), std::regex(" @[0-9]+:[0-9]+"), "");
}

std::string fmtOk(const std::string& text) {
  std::string errors;
  auto out = formatText("x.recipe", text, &errors);
  EXPECT_TRUE(out.has_value()) << errors;
  return out.value_or("");
}

// The three properties every input must have.
void expectFaithful(const std::string& text) {
  std::string once = fmtOk(text);
  EXPECT_EQ(fmtOk(once), once) << "not idempotent; first pass:\n" << once;
  EXPECT_EQ(commentsOf(once), commentsOf(text)) << "comments changed:\n" << once;
  EXPECT_EQ(astOf(once), astOf(text)) << "meaning changed:\n" << once;
}

class ShippedFmt : public ::testing::TestWithParam<std::string> {};
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ShippedFmt);

TEST_P(ShippedFmt, IdempotentKeepsCommentsAndMeaning) {
  std::string text = readAll(fs::path(RECIPEC_SOURCE_DIR) / GetParam());
  ASSERT_FALSE(text.empty());
  ASSERT_FALSE(commentsOf(text).empty()) << "shipped recipes explain themselves";
  expectFaithful(text);
}

// What users copy is in the canonical layout (`recipec fmt --check` would pass).
TEST_P(ShippedFmt, IsAlreadyFormatted) {
  std::string text = readAll(fs::path(RECIPEC_SOURCE_DIR) / GetParam());
  EXPECT_EQ(fmtOk(text), text) << "run `recipec fmt --write " << GetParam() << "`";
}

INSTANTIATE_TEST_SUITE_P(Recipes, ShippedFmt, ::testing::ValuesIn(shippedRecipes()), [](const auto& info) {
  std::string n = info.param;
  for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

// Inputs written to be awkward: every kind of comment position, `;` joins, odd spacing,
// CRLF, tabs, empty blocks, trailing commas, blank-line runs.
const char* kMessy[] = {
    "\n\n# header\n\nrecipe \"b\"   extends \"a.recipe\" {   # override block\n"
    "  let lr=3e-4;let x = -1\n  phase focus for 1 epoch { focus when ppl>p80 ; }\n\n  ;\n}\n",
    "model m = llama {\n  layers: 4,   # four\n  d_model: 128\n  # note\n\n\n  , heads: 4 }\n",
    "train {}\ntrain {model m;seq_len 128 ; optimizer adamw(\n  lr = lr,\n  betas = (0.9, # b1\n   0.95)) }\n",
    "phase p until 30k steps {\n  order by ppl; focus when ppl > p50\n  mix {a:0.2->0.6,b:0.8->0.4}\n"
    "  # own\n\n\n  set lr = 1e-4 when val.ppl( web . val ) < 20 every 2k steps\n  # last\n}\n",
    "phase e for rest {   # nothing\n}\non loss > 4 sigma over 100 steps:skip\n"
    "evaluate ppl on web.val every epoch limit 50 blocks;checkpoint;on nan : rollback # end\n# tail\n\n\n",
    "let a = 1\r\n\r\n\r\nlet b = \"x # not a comment\"   # but this is\r\n",
    "\tphase x for 2 epochs {\n\t\tmix base\t# tabbed\n\t}\n",
    "mixture m = { a: 1, b: 2, }\nlet t = f(x = 1,)\nlet e = {}\nlet c = f()\n",
    "# only a comment",
    "",
    "dataset d = text(\"a/*.txt\", tokenizer = t)\n\n  split val 2%   # blank line inside a statement\n",
    "let x = # why\n  { a: 1 }\nlet y = (1, # one\n  # own line inside a tuple\n  2)\n",
};

TEST(FmtMessy, EveryInputIsFormattedFaithfully) {
  for (const char* text : kMessy) {
    SCOPED_TRACE(text);
    expectFaithful(text);
  }
}

// ---- layout rules --------------------------------------------------------------------------

TEST(FmtLayout, JoinedRulesAndSettingsGoOnePerLine) {
  EXPECT_EQ(fmtOk("phase review for 1 epoch { mix base; record ppl per block }\n"),
            "phase review for 1 epoch {\n  mix base\n  record ppl per block\n}\n");
  EXPECT_EQ(fmtOk("train { model net; seq_len 256 }"), "train {\n  model net\n  seq_len 256\n}\n");
  EXPECT_EQ(fmtOk("let a = 1; let b = 2"), "let a = 1\nlet b = 2\n");
}

TEST(FmtLayout, CanonicalSpacing) {
  EXPECT_EQ(fmtOk("let  lr=3e-4"), "let lr = 3e-4\n");
  EXPECT_EQ(fmtOk("mixture m={a:0.8,b :0.2}"), "mixture m = { a: 0.8, b: 0.2 }\n");
  EXPECT_EQ(fmtOk("let o = adamw( lr = lr , betas = ( 0.9 , 0.95 ) )"),
            "let o = adamw(lr = lr, betas = (0.9, 0.95))\n");
  EXPECT_EQ(fmtOk("let n = - 1\nlet p = 10 %\nlet q = 200steps"), "let n = -1\nlet p = 10%\nlet q = 200 steps\n");
  EXPECT_EQ(fmtOk("phase p for 1 epoch { stop when val . ppl ( web . val ) <= 20 }"),
            "phase p for 1 epoch {\n  stop when val.ppl(web.val) <= 20\n}\n");
  EXPECT_EQ(fmtOk("on nan : rollback"), "on nan: rollback\n");
  // Lengths from constants, the run's total, a val split from its own files.
  EXPECT_EQ(fmtOk("phase learn for  learn_len { review every  n }"),
            "phase learn for learn_len {\n  review every n\n}\n");
  EXPECT_EQ(fmtOk("train { total 30k  steps }"), "train {\n  total 30k steps\n}\n");
  EXPECT_EQ(fmtOk("dataset d = text(\"a/*.txt\", tokenizer = t) split val  \"v/*.txt\""),
            "dataset d = text(\"a/*.txt\", tokenizer = t) split val \"v/*.txt\"\n");
  expectFaithful("phase a until stop_at { mix base }\nevaluate ppl on web.val every eval_every\ncheckpoint every 1k steps\n");
  EXPECT_EQ(fmtOk("phase p for 1 epoch { mix { a: 0.2->0.6 } }"), "phase p for 1 epoch {\n  mix { a: 0.2 -> 0.6 }\n}\n");
}

TEST(FmtLayout, NestedBlocksIndentTwoSpacesPerLevel) {
  EXPECT_EQ(fmtOk("recipe \"b\" extends \"a.recipe\" { phase x for 1 epoch { focus when ppl > p50 } }"),
            "recipe \"b\" extends \"a.recipe\" {\n  phase x for 1 epoch {\n    focus when ppl > p50\n  }\n}\n");
  EXPECT_EQ(fmtOk("train {}\nphase x for 1 epoch { }"), "train {}\nphase x for 1 epoch {}\n");
}

TEST(FmtLayout, BlankLinesKeptAtMostOneAndNeverAtBlockEdges) {
  EXPECT_EQ(fmtOk("\n\nlet a = 1\n\n\n\nlet b = 2\nlet c = 3\n\n\n"), "let a = 1\n\nlet b = 2\nlet c = 3\n");
  EXPECT_EQ(fmtOk("train {\n\n  seed 1\n\n\n  batch 2\n\n}\n"), "train {\n  seed 1\n\n  batch 2\n}\n");
}

TEST(FmtLayout, CommentsStayWhereTheyWere) {
  // Trailing stays trailing; own-line stays own-line, inside the block it was in.
  EXPECT_EQ(fmtOk("train {\n  seed 1 # why\n  # before the brace\n}\n# after\n"),
            "train {\n  seed 1  # why\n  # before the brace\n}\n# after\n");
  // A comment after a dropped `;` still follows its statement.
  EXPECT_EQ(fmtOk("phase p for 1 epoch { mix a; # first\n stop }\n"),
            "phase p for 1 epoch {\n  mix a  # first\n  stop\n}\n");
  // A `#` inside a string is text, not a comment.
  EXPECT_EQ(fmtOk("use \"a#b.recipe\"   # real\n"), "use \"a#b.recipe\"  # real\n");
}

TEST(FmtLayout, TrailingCommentsAlignWithinARun) {
  EXPECT_EQ(fmtOk("train {\n  seed 1 # a\n  seq_len 256 # b\n  batch 32\n\n  micro_batch 8 # c\n}\n"),
            "train {\n  seed 1       # a\n  seq_len 256  # b\n  batch 32\n\n  micro_batch 8  # c\n}\n");
  // A block edge ends a run: `{` lines do not pull their block's comments to their column.
  EXPECT_EQ(fmtOk("phase long_name for 1 epoch { # x\n  stop # y\n}\n"),
            "phase long_name for 1 epoch {  # x\n  stop  # y\n}\n");
}

TEST(FmtLayout, MultiLineListsStayMultiLineWithTrailingCommas) {
  EXPECT_EQ(fmtOk("mixture m = {\n  a: 0.5, b: 0.5 }\n"), "mixture m = {\n  a: 0.5,\n  b: 0.5,\n}\n");
  EXPECT_EQ(fmtOk("train {\n  optimizer adamw(\n    lr = 1e-3)\n}\n"),
            "train {\n  optimizer adamw(\n    lr = 1e-3,\n  )\n}\n");
  // One line stays one line, and loses a trailing comma.
  EXPECT_EQ(fmtOk("mixture m = { a: 0.5, b: 0.5, }\n"), "mixture m = { a: 0.5, b: 0.5 }\n");
}

TEST(FmtLayout, SemicolonKeptWhereANewlineWouldChangeTheParse) {
  // Newlines do not end rules, but a direction is `ascending` or `descending` only: a rule
  // after `order by ppl` needs no `;`.
  std::string text = "phase p for 1 epoch { order by ppl; focus when ppl > p50 }\n";
  EXPECT_EQ(fmtOk(text), "phase p for 1 epoch {\n  order by ppl\n  focus when ppl > p50\n}\n");
  EXPECT_EQ(astOf(fmtOk(text)), astOf(text));
  EXPECT_EQ(fmtOk("phase p for 1 epoch { order by ppl ascending; focus when ppl > p50 }\n"),
            "phase p for 1 epoch {\n  order by ppl ascending\n  focus when ppl > p50\n}\n");
  // A one-word `mix` would take the next rule as its mixture; a unit-less number its unit.
  EXPECT_EQ(fmtOk("phase p for 1 epoch { mix; data }"), "phase p for 1 epoch {\n  mix;\n  data\n}\n");
  EXPECT_EQ(fmtOk("phase p for 1 epoch { stop every 2k; steps }"),
            "phase p for 1 epoch {\n  stop every 2k;\n  steps\n}\n");
  // A join across several statements: the whole file keeps the `;` it had between them.
  std::string chain = "phase p for 1 epoch { mix a; record ppl; per block }\n";
  EXPECT_EQ(fmtOk(chain), "phase p for 1 epoch {\n  mix a;\n  record\n  ppl;\n  per\n  block\n}\n");
  expectFaithful(chain);
}

TEST(FmtLayout, OutputEndsWithOneNewlineAndUsesLf) {
  EXPECT_EQ(fmtOk("let a = 1"), "let a = 1\n");
  EXPECT_EQ(fmtOk("let a = 1\r\nlet b = 2\r\n"), "let a = 1\nlet b = 2\n");
  EXPECT_EQ(fmtOk(""), "");
}

TEST(FmtRefuses, SyntaxErrorsWithDiagnostics) {
  std::string errors;
  EXPECT_FALSE(formatText("bad.recipe", "phase x for { }\n", &errors).has_value());
  EXPECT_NE(errors.find("error[E0300]: expected a length after `for`"), std::string::npos) << errors;
  EXPECT_NE(errors.find("bad.recipe:1:13"), std::string::npos) << errors;
  EXPECT_FALSE(formatText("bad.recipe", "mixture m = { a 1 }\n", &errors).has_value());
  EXPECT_NE(errors.find("error[E0100]"), std::string::npos) << errors;
  EXPECT_FALSE(formatText("bad.recipe", "let s = \"open\n", &errors).has_value());
  EXPECT_NE(errors.find("E0102"), std::string::npos) << errors;
}

// ---- the command line ----------------------------------------------------------------------

struct CliResult {
  int code;
  std::string out, err;
};

CliResult recipec(const std::string& args) {
  fs::path dir = fs::temp_directory_path();
  std::string tag = std::to_string(::getpid());
  fs::path out = dir / ("fmt_out_" + tag), err = dir / ("fmt_err_" + tag);
  std::string cmd = "NO_COLOR=1 '" RECIPEC_BIN "' fmt " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(cmd.c_str());
  CliResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, readAll(out), readAll(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

class FmtCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("recipec_fmt_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(FmtCli, PrintsToStdoutWithoutTouchingTheFile) {
  std::string f = write("a.recipe", "let  a=1 # c\n");
  CliResult r = recipec("'" + f + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "let a = 1  # c\n");
  EXPECT_EQ(readAll(f), "let  a=1 # c\n");
}

TEST_F(FmtCli, CheckExitsOneAndNamesTheUnformattedFile) {
  std::string bad = write("bad.recipe", "let  a=1\n");
  std::string good = write("good.recipe", "let a = 1\n");
  CliResult r = recipec("--check '" + good + "' '" + bad + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.recipe` is not formatted (first difference at line 1)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("good.recipe"), std::string::npos) << r.err;
  EXPECT_EQ(recipec("--check '" + good + "'").code, 0);
}

TEST_F(FmtCli, WriteRewritesInPlaceKeepingPermissionsAndLeavesNoTemporaryFile) {
  std::string f = write("a.recipe", "train { seed 1; batch 2 }\n");
  fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  CliResult r = recipec("--write '" + f + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(readAll(f), "train {\n  seed 1\n  batch 2\n}\n");
  EXPECT_EQ(fs::status(f).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
  EXPECT_EQ(recipec("--check '" + f + "'").code, 0);
}

TEST_F(FmtCli, RefusesABrokenFileAndLeavesItAlone) {
  std::string f = write("broken.recipe", "phase x for { }\n");
  CliResult r = recipec("--write '" + f + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error[E0300]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("could not format"), std::string::npos) << r.err;
  EXPECT_EQ(readAll(f), "phase x for { }\n");
}

TEST_F(FmtCli, AFolderMeansEveryRecipeUnderIt) {
  fs::create_directories(dir_ / "sub");
  std::string a = write("a.recipe", "let  a=1\n");
  std::string b = write("sub/b.recipe", "let  b=2\n");
  std::string ok = write("ok.recipe", "let c = 3\n");
  write("notes.txt", "not a recipe {\n");
  CliResult check = recipec("--check '" + dir_.string() + "'");
  EXPECT_EQ(check.code, 1);
  EXPECT_NE(check.err.find("a.recipe` is not formatted"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("b.recipe` is not formatted"), std::string::npos) << check.err;
  EXPECT_EQ(check.err.find("ok.recipe"), std::string::npos) << check.err;
  EXPECT_EQ(check.err.find("notes.txt"), std::string::npos) << check.err;
  CliResult w = recipec("--write '" + dir_.string() + "'");
  EXPECT_EQ(w.code, 0) << w.err;
  EXPECT_EQ(readAll(a), "let a = 1\n");
  EXPECT_EQ(readAll(b), "let b = 2\n");
  EXPECT_EQ(recipec("--check '" + dir_.string() + "'").code, 0);
  // Printing a folder's recipes one after another is refused, naming the flags.
  CliResult plain = recipec("'" + dir_.string() + "'");
  EXPECT_EQ(plain.code, 1);
  EXPECT_NE(plain.err.find("is a folder of 3 recipes"), std::string::npos) << plain.err;
  fs::create_directories(dir_ / "empty");
  CliResult empty = recipec("--check '" + (dir_ / "empty").string() + "'");
  EXPECT_EQ(empty.code, 1);
  EXPECT_NE(empty.err.find("holds no `.recipe` files"), std::string::npos) << empty.err;
}

TEST_F(FmtCli, MissingFileIsAUserError) {
  CliResult r = recipec("'" + (dir_ / "nope.recipe").string() + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
}

}  // namespace
