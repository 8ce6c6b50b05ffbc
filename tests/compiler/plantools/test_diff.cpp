// test_diff.cpp — `recipec diff`: recipes that mean the same are reported identical; each
// kind of change is reported once, at its path, with both source positions.
#include "MlirTestUtil.h"
#include "compiler/plantools/PlanDiff.h"

namespace recipec::testing {
namespace {

using plandiff::Change;

const char* kBase = R"(recipe "base"
let lr = 6e-4
tokenizer tok = bytes()
dataset web = text("w/*.txt", tokenizer = tok) split val 2%
dataset code = shards("c/*.bin")
mixture base = { web: 0.8, code: 0.2 }
model net = gpt2 { layers: 2, d_model: 64, heads: 4 }
train {
  model net
  seq_len 64
  batch 8
  optimizer adamw(lr = lr, weight_decay = 0.1)
  schedule cosine(warmup = 20 steps)
}
phase learn for 100 steps { mix base; record ppl per block }
phase focus for 200 steps {
  focus when ppl > p50
  focus when ppl > p90 every 50 steps
}
evaluate ppl on web.val every 50 steps
checkpoint every 100 steps keep 2
on nan: rollback
)";

std::string describe(const std::vector<Change>& changes) {
  return plandiff::renderText(changes, "a", "b");
}

// `text` with `from` replaced by `to` (the edit must apply).
std::string edit(const std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no `" << from << "` to edit";
  if (at == std::string::npos) return text;
  return text.substr(0, at) + to + text.substr(at + from.size());
}

std::vector<Change> diffTexts(const std::string& a, const std::string& b) {
  RecipeDir dir;
  std::string pa = dir.write("a.recipe", a), pb = dir.write("b.recipe", b);
  return plandiff::diffPlans(planOf(pa), planOf(pb));
}

// ---- the same meaning --------------------------------------------------------------------

TEST(DiffSameMeaning, ReorderedDeclarationsCommentsAndFormatting) {
  std::string b = R"(# the same recipe, written differently
recipe "renamed"
on nan: rollback
checkpoint every 100 steps keep 2
model net = gpt2 { heads: 4, d_model: 64, layers: 2 }   # fields in another order
mixture base = { code: 0.2, web: 0.8 }
dataset code = shards("c/*.bin")
dataset web = text("w/*.txt", tokenizer = tok) split val 2%
tokenizer tok = bytes()
let lr = 6e-4
train { schedule cosine(warmup = 20 steps); optimizer adamw(weight_decay = 0.1, lr = lr)
        batch 8; seq_len 64; model net }
phase learn for 100 steps {
  mix base
  record ppl per block
}
phase focus for 200 steps { focus when ppl > p50; focus when ppl > p90 every 50 steps }
evaluate ppl on web.val every 50 steps
)";
  auto changes = diffTexts(kBase, b);
  EXPECT_TRUE(changes.empty()) << describe(changes);
}

TEST(DiffSameMeaning, EquivalentValues) {
  std::string b = kBase;
  b = edit(b, "mixture base = { web: 0.8, code: 0.2 }", "mixture base = { web: 4, code: 1 }");  // unnormalised
  b = edit(b, "phase focus for 200 steps", "phase focus for 0.2k steps");
  b = edit(b, "  batch 8\n", "  batch 512 tokens\n");                                        // 8 x 64
  b = edit(b, "optimizer adamw(lr = lr,", "optimizer adamw(lr = 0.0006,");                    // constant inlined
  b = edit(b, "phase learn for 100 steps { mix base;", "phase learn for 51200 tokens { mix { code: 0.2, web: 0.8 };");
  auto changes = diffTexts(kBase, b);
  EXPECT_TRUE(changes.empty()) << describe(changes);
}

// ---- one change each -----------------------------------------------------------------------

void expectOne(const std::vector<Change>& changes, const std::string& path, const std::string& before,
               const std::string& after) {
  ASSERT_EQ(changes.size(), 1u) << describe(changes);
  EXPECT_EQ(changes[0].path, path);
  EXPECT_EQ(changes[0].before, before);
  EXPECT_EQ(changes[0].after, after);
  EXPECT_FALSE(changes[0].sourceBefore.empty() && changes[0].sourceAfter.empty());
}

TEST(DiffOneChange, MixtureWeight) {
  auto changes = diffTexts(kBase, edit(kBase, "{ web: 0.8, code: 0.2 }", "{ web: 0.7, code: 0.3 }"));
  expectOne(changes, "phase learn / rule 1 / mix", "code 0.2, web 0.8", "code 0.3, web 0.7");
  EXPECT_NE(changes[0].sourceAfter.find("b.recipe:6:"), std::string::npos) << changes[0].sourceAfter;  // the mixture
}

TEST(DiffOneChange, PhaseLength) {
  auto changes = diffTexts(kBase, edit(kBase, "phase learn for 100 steps", "phase learn for 150 steps"));
  expectOne(changes, "phase learn / duration", "for 100 steps", "for 150 steps");
  EXPECT_NE(changes[0].sourceBefore.find("a.recipe:15:7"), std::string::npos) << changes[0].sourceBefore;
  EXPECT_NE(changes[0].sourceAfter.find("b.recipe:15:7"), std::string::npos) << changes[0].sourceAfter;
}

TEST(DiffOneChange, OptimizerField) {
  auto changes = diffTexts(kBase, edit(kBase, "weight_decay = 0.1", "weight_decay = 0.05"));
  expectOne(changes, "train / optimizer / weight_decay", "0.1", "0.05");
  EXPECT_NE(changes[0].sourceAfter.find("b.recipe:12:3"), std::string::npos) << changes[0].sourceAfter;
}

TEST(DiffOneChange, ModelShape) {
  auto changes = diffTexts(kBase, edit(kBase, "layers: 2", "layers: 4"));
  expectOne(changes, "model net / n_layer", "2", "4");
  EXPECT_NE(changes[0].sourceAfter.find("b.recipe:7:20"), std::string::npos) << changes[0].sourceAfter;
}

TEST(DiffOneChange, AddedAndRemovedPhase) {
  std::string b = edit(kBase, "evaluate ppl", "phase cool for 50 steps { mix { web: 1 } }\nevaluate ppl");
  auto added = diffTexts(kBase, b);
  ASSERT_EQ(added.size(), 1u) << describe(added);
  EXPECT_EQ(added[0].path, "phase cool");
  EXPECT_EQ(added[0].kind, "added");
  EXPECT_NE(added[0].sourceAfter.find("b.recipe:20:7"), std::string::npos) << added[0].sourceAfter;
  auto removed = diffTexts(b, kBase);
  ASSERT_EQ(removed.size(), 1u) << describe(removed);
  EXPECT_EQ(removed[0].path, "phase cool");
  EXPECT_EQ(removed[0].kind, "removed");
}

TEST(DiffOneChange, AddedRuleDoesNotShiftTheOthers) {
  auto changes = diffTexts(kBase, edit(kBase, "  focus when ppl > p50\n", "  stop when loss < 1\n  focus when ppl > p50\n"));
  ASSERT_EQ(changes.size(), 1u) << describe(changes);
  EXPECT_EQ(changes[0].path, "phase focus / rule 1");
  EXPECT_EQ(changes[0].kind, "added");
  EXPECT_EQ(changes[0].after, "stop when loss < 1");
}

TEST(DiffOneChange, PhaseOrder) {
  std::string b = edit(kBase, "phase learn for 100 steps { mix base; record ppl per block }\n", "");
  b = edit(b, "evaluate ppl", "phase learn for 100 steps { mix base; record ppl per block }\nevaluate ppl");
  b = edit(b, "  focus when ppl > p50\n  focus when ppl > p90 every 50 steps\n", "  stop when loss < 1\n");
  auto changes = diffTexts(edit(kBase, "  focus when ppl > p50\n  focus when ppl > p90 every 50 steps\n", "  stop when loss < 1\n"), b);
  expectOne(changes, "phase order", "phase learn, phase focus", "phase focus, phase learn");
}

// The ablation the language is built for: `extends` and one changed threshold.
TEST(DiffOneChange, RuleThresholdInAnAblation) {
  RecipeDir dir;
  std::string base = dir.write("base.recipe", kBase);
  std::string ablation = dir.write("ablation.recipe", R"(recipe "p80" extends "base.recipe" {
  phase focus for 200 steps {
    focus when ppl > p50
    focus when ppl > p80 every 50 steps
  }
})");
  auto changes = plandiff::diffPlans(planOf(base), planOf(ablation));
  expectOne(changes, "phase focus / rule 2 / threshold", "p90", "p80");
  EXPECT_EQ(changes[0].sourceBefore, base + ":18:3");
  EXPECT_EQ(changes[0].sourceAfter, ablation + ":4:5");
}

// An ablation through a constant points at the constants, the lines that differ.
TEST(DiffOneChange, ThresholdThroughAConstant) {
  RecipeDir dir;
  std::string base = dir.write("base.recipe", edit(kBase, "focus when ppl > p90", "focus when ppl > cut") + "let cut = p90\n");
  std::string ablation = dir.write("ablation.recipe", "recipe \"p80\" extends \"base.recipe\"\nlet cut = p80\n");
  auto changes = plandiff::diffPlans(planOf(base), planOf(ablation));
  expectOne(changes, "phase focus / rule 2 / threshold", "p90", "p80");
  EXPECT_EQ(changes[0].sourceBefore, base + ":23:5");
  EXPECT_EQ(changes[0].sourceAfter, ablation + ":2:5");
}

// ---- the command ---------------------------------------------------------------------------

TEST(DiffCommand, ExitStatusLikeDiff) {
  RecipeDir dir;
  std::string a = dir.write("a.recipe", kBase);
  std::string same = dir.write("same.recipe", kBase);
  std::string b = dir.write("b.recipe", edit(kBase, "layers: 2", "layers: 3"));
  EXPECT_EQ(recipec("diff " + a + " " + same).code, 0);
  CmdResult r = recipec("diff " + a + " " + b);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("model net / n_layer\n      was  2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n      now  3"), std::string::npos) << r.out;
  EXPECT_EQ(recipec("diff " + a + " " + dir.path() + "/missing.recipe").code, 2);
}

TEST(DiffCommand, JsonAndRunDirectories) {
  RecipeDir dir;
  std::string a = dir.write("a.recipe", kBase);
  std::string b = dir.write("b.recipe", edit(kBase, "weight_decay = 0.1", "weight_decay = 0.2"));
  // A run directory holds the plan the runtime ran: compare a recipe against it.
  CmdResult plan = recipec("compile " + b + " --emit=plan");
  ASSERT_EQ(plan.code, 0);
  writeFile(dir.path() + "/run/plan.json", plan.out);
  CmdResult r = recipec("diff --json " + a + " " + dir.path() + "/run");
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["identical"].get<bool>());
  ASSERT_EQ(j["changes"].size(), 1u) << r.out;
  EXPECT_EQ(j["changes"][0]["path"], "train / optimizer / weight_decay");
  EXPECT_EQ(j["changes"][0]["before"], "0.1");
  EXPECT_EQ(j["changes"][0]["after"], "0.2");
  EXPECT_EQ(recipec("diff " + b + " " + dir.path() + "/run").code, 0);
}

// ---- where a change was written ------------------------------------------------------------

// Two constants of one rule, both overridden: each change points at its own `let`, on both
// sides (the interval's constant too, which the front end resolves before inlining).
TEST(DiffWhere, EachChangedValueNamesTheConstantThatGaveIt) {
  std::string a = edit(kBase, "focus when ppl > p90 every 50 steps", "focus when ppl > above every often");
  a = edit(a, "phase learn for 100 steps", "let above = p90\nlet often = 50 steps\nphase learn for 100 steps");
  const std::string b = edit(edit(a, "let above = p90", "let above = p80"), "let often = 50 steps", "let often = 25 steps");
  const auto changes = diffTexts(a, b);
  ASSERT_EQ(changes.size(), 2u) << describe(changes);
  for (const auto& c : changes) {
    const bool threshold = c.path.find("threshold") != std::string::npos;
    const std::string line = threshold ? ":15:5" : ":16:5";  // the two lets
    EXPECT_NE(c.sourceBefore.find("a.recipe" + line), std::string::npos) << describe(changes);
    EXPECT_NE(c.sourceAfter.find("b.recipe" + line), std::string::npos) << describe(changes);
  }
}
// `init from` through a `let`: the change is the let's, on both sides, whether the other
// side is an ablation that overrides it or the plan of a run compiled with `--set`.
const char* kInitFrom = "  init from weights\n";

std::string withInitFrom(const std::string& weights) {
  return edit(kBase, "  schedule cosine(warmup = 20 steps)\n", "  schedule cosine(warmup = 20 steps)\n" + std::string(kInitFrom)) +
         "let weights = \"" + weights + "\"\n";
}

TEST(DiffWhere, InitFromThroughALetNamesTheLet) {
  RecipeDir dir;
  std::string base = dir.write("base.recipe", withInitFrom("runs/base/model.safetensors"));
  std::string ablation = dir.write("ablation.recipe",
                                   "recipe \"other\" extends \"base.recipe\"\n\nlet weights = \"runs/other/model.safetensors\"\n");
  auto changes = plandiff::diffPlans(planOf(base), planOf(ablation));
  expectOne(changes, "model net / init_from", "runs/base/model.safetensors", "runs/other/model.safetensors");
  EXPECT_EQ(changes[0].sourceBefore, base + ":24:5");      // the let, not `init from` (14:3)
  EXPECT_EQ(changes[0].sourceAfter, ablation + ":3:5");

  // What the user reads, in full.
  CmdResult r = recipec("diff " + base + " " + ablation);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, base + " -> " + ablation + ": 1 difference\n" +
                       "  model net / init_from\n"
                       "      was  runs/base/model.safetensors   (" + base + ":24:5)\n"
                       "      now  runs/other/model.safetensors   (" + ablation + ":3:5)\n");
}

TEST(DiffWhere, InitFromSetOnTheCommandLineNamesTheSet) {
  RecipeDir dir;
  std::string base = dir.write("base.recipe", withInitFrom("runs/base/model.safetensors"));
  CmdResult plan = recipec("compile " + base + " --emit=plan --set 'weights=\"runs/other/model.safetensors\"'");
  ASSERT_EQ(plan.code, 0);
  writeFile(dir.path() + "/run/plan.json", plan.out);
  CmdResult r = recipec("diff " + base + " " + dir.path() + "/run");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, base + " -> " + dir.path() + "/run: 1 difference\n" +
                       "  model net / init_from\n"
                       "      was  runs/base/model.safetensors   (" + base + ":24:5)\n"
                       "      now  runs/other/model.safetensors   (<--set weights=\"runs/other/model.safetensors\">:1:5)\n");
  // A literal path on one side, the let unchanged: the `init from` lines changed, not the let.
  std::string literal = dir.write("literal.recipe", edit(withInitFrom("runs/base/model.safetensors"), kInitFrom,
                                                         "  init from \"runs/other/model.safetensors\"\n"));
  auto changes = plandiff::diffPlans(planOf(base), planOf(literal));
  expectOne(changes, "model net / init_from", "runs/base/model.safetensors", "runs/other/model.safetensors");
  EXPECT_EQ(changes[0].sourceBefore, base + ":14:3");
  EXPECT_EQ(changes[0].sourceAfter, literal + ":14:3");
}

// Lengths through a `let` (a phase's duration, an evaluation's and a checkpoint's interval):
// an ablation that changes the let is reported at the let on both sides.
TEST(DiffWhere, LengthsThroughALetNameTheLet) {
  RecipeDir dir;
  std::string base = dir.write("base.recipe", R"(recipe "a"
let learn_len = 100 steps
let every_n = 50 steps
tokenizer tok = bytes()
dataset web = text("data/tiny.txt", tokenizer = tok) split val 5%
model net = gpt2 { layers: 2, d_model: 32, heads: 2, vocab: 257, ctx: 64 }
train { model net; seq_len 64; batch 8; optimizer adamw(lr = 1e-3) }
phase learn for learn_len { mix web }
evaluate ppl on web.val every every_n
checkpoint every every_n
)");
  std::string ablation = dir.write("ablation.recipe", "recipe \"b\" extends \"base.recipe\"\nlet learn_len = 200 steps\nlet every_n = 25 steps\n");
  auto changes = plandiff::diffPlans(planOf(base), planOf(ablation));
  ASSERT_EQ(changes.size(), 3u);
  for (const auto& c : changes) {
    SCOPED_TRACE(c.path);
    const bool length = c.path.find("phase") != std::string::npos;
    EXPECT_EQ(c.sourceBefore, base + (length ? ":2:5" : ":3:5"));
    EXPECT_EQ(c.sourceAfter, ablation + (length ? ":2:5" : ":3:5"));
  }
}
}  // namespace
}  // namespace recipec::testing
