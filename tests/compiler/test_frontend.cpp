// test_frontend.cpp — the parser, loader and checks through the library API.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/ast/Printer.h"
#include "compiler/parse/Parser.h"
#include "compiler/sema/Check.h"

using namespace recipec;
namespace fs = std::filesystem;

namespace {

const char* kBase = R"(recipe "t"
tokenizer tok = bytes()
dataset web = text("data/tiny.txt", tokenizer = tok) split val 10%
model net = gpt2 { layers: 2, d_model: 64, heads: 4, vocab: 257, ctx: 128 }
train { model net; seq_len 64; batch 4; optimizer adamw(lr = 1e-3) }
phase main for 100 steps { mix { web: 1 } }
)";

std::vector<std::string> codes(const sema::Program& p) {
  std::vector<std::string> out;
  for (const auto& d : const_cast<sema::Program&>(p).diags().all()) out.push_back(d.code);
  return out;
}

bool checkText(sema::Program& p, const std::string& text, std::vector<std::string> sets = {}) {
  bool ok = p.loadText("t.recipe", text, std::move(sets));
  return sema::check(p, sema::CheckOptions{false}) && ok;
}

TEST(Numbers, SuffixesAndUnderscores) {
  EXPECT_DOUBLE_EQ(*parse::parseNumber("2k"), 2000);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("92.5B"), 92.5e9);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("1_000"), 1000);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("6e-4"), 6e-4);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("3M"), 3e6);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("1T"), 1e12);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("0"), 0);
  EXPECT_DOUBLE_EQ(*parse::parseNumber("0e-999"), 0);     // zero written small is zero
  EXPECT_DOUBLE_EQ(*parse::parseNumber("1e308"), 1e308);
}

TEST(Numbers, OutOfTheDoubleRangeIsNoValue) {
  EXPECT_FALSE(parse::parseNumber("1e999"));
  EXPECT_FALSE(parse::parseNumber("1e-400"));   // not 0, but rounds to it
  EXPECT_FALSE(parse::parseNumber("1e-310"));   // subnormal: precision already lost
  EXPECT_FALSE(parse::parseNumber("1e300T"));   // the suffix takes it past the range
}

TEST(Suggestions, NearestIsAPlausibleTypo) {
  EXPECT_EQ(diag::nearest("wbe", {"web", "code"}), "web");
  EXPECT_EQ(diag::nearest("datset", {"dataset", "model"}), "dataset");
  EXPECT_EQ(diag::nearest("xyzzy", {"web", "code"}), "");
}

TEST(Parser, EveryFormOfTheDesignSketchParses) {
  sema::Program p;
  std::string text = R"(recipe "all"
let lr = 6e-4
tokenizer gpt2 = gpt2_bpe("data/gpt2")
dataset web  = text("data/web/*.txt", tokenizer = gpt2) split val 2%
dataset code = shards("data/code/*.bin")
mixture base = { web: 0.8, code: 0.2 }
model net = gpt2 { layers: 4, d_model: 256, heads: 4 }
train {
  model net
  seq_len 256
  batch 64k tokens
  optimizer adamw(lr = lr, betas = (0.9, 0.95), weight_decay = 0.1)
  schedule cosine(warmup = 200 steps, min_lr = 10%)
  precision fp32
  seed 1337
  total 100B tokens
}
phase learn for 1 epoch { mix base; record ppl per block }
phase focus for 2 epochs {
  focus when ppl > p50
  focus when ppl > p90 every 2k steps
}
phase ramp for 10% { mix { web: 0.2 -> 0.6, code: 0.8 -> 0.4 }; order by ppl ascending }
phase est until 30k steps { subnet { layers: 75%, heads: 50%, mlp: 50% } }
phase dro for 92.5B tokens { reweight irdro(lambda = 1.0); reweight rank(frac = 0.125, portion = 1) }
phase tail for rest { set lr = 1e-4; stop when val.ppl(web.val) < 20; checkpoint every 500M tokens; review every epoch }
evaluate ppl on web.val every 500 steps
checkpoint every 1k steps keep 3
on nan: rollback
on loss > 4 sigma over 100 steps: skip
)";
  EXPECT_TRUE(checkText(p, text)) << const_cast<sema::Program&>(p).diags().render(false);
  ASSERT_NE(p.root(), nullptr);
  EXPECT_EQ(p.root()->items.size(), 17u);
  EXPECT_EQ(p.scope().phases.size(), 6u);
  EXPECT_EQ(p.scope().phases[4]->duration.quantity->number, 92.5e9);
  EXPECT_EQ(p.scope().phases[4]->duration.quantity->unit, "tokens");
}

TEST(Parser, SourceRangesPointAtTheToken) {
  sema::Program p;
  ASSERT_TRUE(checkText(p, kBase));
  const auto* ds = p.scope().datasets.at("web");
  EXPECT_EQ(ds->name.range.line, 3u);
  EXPECT_EQ(ds->name.range.col, 9u);
  EXPECT_EQ(ds->name.range.endCol, 11u);
}

TEST(Checks, SeveralErrorsAreAllReported) {
  sema::Program p;
  std::string text = std::string(kBase) + "phase b for 10 steps { mix { wbe: 1 } }\nphase c for 3 sigma { mix { web: -1 } }\n";
  EXPECT_FALSE(checkText(p, text));
  auto c = codes(p);
  EXPECT_NE(std::find(c.begin(), c.end(), "E0201"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "E0301"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "E0310"), c.end());
}

TEST(Checks, SetOverridesAConstant) {
  sema::Program p;
  std::string text = "recipe \"t\"\nlet lr = 1e-3\n" + std::string(kBase).substr(11);
  ASSERT_TRUE(checkText(p, text, {"lr=3e-4"})) << p.diags().render(false);
  ASSERT_TRUE(p.scope().overrides.count("lr"));
  EXPECT_DOUBLE_EQ(p.scope().overrides.at("lr")->number, 3e-4);
}

TEST(Checks, SetOfANegativeValueIsCheckedLikeTheRecipe) {
  sema::Program p;
  std::string text = "recipe \"t\"\nlet lr = 1e-3\n" +
                     std::string(kBase).substr(11).replace(std::string(kBase).substr(11).find("lr = 1e-3"), 9, "lr = lr");
  EXPECT_FALSE(checkText(p, text, {"lr=-1"}));
  auto c = codes(p);
  EXPECT_NE(std::find(c.begin(), c.end(), "E0312"), c.end());
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("recipec_fe_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
 private:
  fs::path path_;
};

TEST(Loader, ExtendsOverridesByNameAndKeepsPhaseOrder) {
  TempDir dir;
  dir.write("base.recipe", std::string(kBase) + "phase tail for 10 steps { mix { web: 1 } }\n");
  auto child = dir.write("child.recipe",
                         "recipe \"c\" extends \"base.recipe\" {\n"
                         "  phase main for 200 steps { mix { web: 1 } }\n"
                         "  train { batch 8 }\n}\n");
  sema::Program p;
  ASSERT_TRUE(p.load(child.string())) << p.diags().render(false);
  EXPECT_TRUE(sema::check(p, {false})) << p.diags().render(false);
  const auto& s = p.scope();
  EXPECT_EQ(s.recipeName, "c");
  ASSERT_EQ(s.phases.size(), 2u);
  EXPECT_EQ(s.phases[0]->name.name, "main");
  EXPECT_DOUBLE_EQ(s.phases[0]->duration.quantity->number, 200);   // overridden in place
  EXPECT_EQ(s.phases[1]->name.name, "tail");
  EXPECT_DOUBLE_EQ(s.train.at("batch")->value->number, 8);         // per-key override
  EXPECT_DOUBLE_EQ(s.train.at("seq_len")->value->number, 64);      // inherited
}

TEST(Loader, UseImportsDeclarationsButNotPhases) {
  TempDir dir;
  dir.write("lib.recipe", "model small = gpt2 { layers: 2, d_model: 64, heads: 4 }\nphase x for 1 steps { stop }\n");
  auto main = dir.write("main.recipe", "use \"lib.recipe\"\nmodel net = small { layers: 3 }\n");
  sema::Program p;
  ASSERT_TRUE(p.load(main.string())) << p.diags().render(false);
  EXPECT_TRUE(sema::check(p, {false})) << p.diags().render(false);
  EXPECT_EQ(p.scope().models.size(), 2u);
  EXPECT_TRUE(p.scope().phases.empty());
}

TEST(Loader, TwoImportsDeclaringOneNameIsAnError) {
  TempDir dir;
  dir.write("a.recipe", "let x = 1\n");
  dir.write("b.recipe", "let x = 2\n");
  auto main = dir.write("main.recipe", "use \"a.recipe\"\nuse \"b.recipe\"\n");
  sema::Program p;
  p.load(main.string());
  auto c = codes(p);
  EXPECT_NE(std::find(c.begin(), c.end(), "E0210"), c.end());
}

TEST(Checks, ModelChainsResolveShapesThroughPresets) {
  sema::Program p;
  std::string text = std::string(kBase) + "model big = net { d_model: 96 }\n";  // 96 % 4 == 0
  EXPECT_TRUE(checkText(p, text)) << p.diags().render(false);
  sema::Program q;
  std::string bad = std::string(kBase) + "model big = net { heads: 7 }\n";     // 64 % 7 != 0
  EXPECT_FALSE(checkText(q, bad));
  auto c = codes(q);
  EXPECT_NE(std::find(c.begin(), c.end(), "E0360"), c.end());
}

TEST(Printer, AstDumpShowsPositions) {
  sema::Program p;
  ASSERT_TRUE(checkText(p, kBase));
  std::string dump = ast::printAst(*p.root());
  EXPECT_NE(dump.find("Dataset web = text(\"data/tiny.txt\", tokenizer = tok) split val 10% @3:1"), std::string::npos) << dump;
  EXPECT_NE(dump.find("Phase main for 100 steps @6:1"), std::string::npos) << dump;
}

}  // namespace
