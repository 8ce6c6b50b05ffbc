// test_explain.cpp — `recipec explain` of recipes and of a run's resolved plan.
#include "MlirTestUtil.h"
#include "compiler/plantools/Explain.h"

namespace recipec::testing {
namespace {

const char* kRecipe = R"(recipe "lfr"
tokenizer tok = bytes()
dataset web = text("w/*.txt", tokenizer = tok) split val 2%
dataset code = shards("c/*.bin")
model net = gpt2 { layers: 2, d_model: 64, heads: 4 }
train { model net; seq_len 64; batch 8; optimizer adamw(lr = 1e-3); schedule wsd(warmup = 10 steps, decay = 20%) }
phase learn for 1000 steps { mix { web: 0.8, code: 0.2 }; record ppl per block }
phase focus for 2 epochs { focus when ppl > p50; focus when ppl > p90 every 2k steps }
phase anneal for 100 steps { mix { web: 0.2 -> 0.6, code: 0.8 -> 0.4 }; subnet { layers: 75%, heads: 0.5 } }
evaluate ppl on web.val every 500 steps limit 20 blocks
checkpoint every 1k steps keep 3
on nan: rollback
on loss > 4 sigma: skip
)";

void expectHas(const std::string& text, const std::string& what) {
  EXPECT_NE(text.find(what), std::string::npos) << "missing `" << what << "` in:\n" << text;
}

TEST(Explain, TimelineInWords) {
  RecipeDir dir;
  std::string text = explain::explainPlan(planOf(dir.write("lfr.recipe", kRecipe)));
  expectHas(text, "model net: gpt2, 2 layers, d_model 64, 4 heads");
  expectHas(text, "training: 8 sequences x 64 tokens = 512 tokens a step");
  expectHas(text, "schedule: wsd, warmup 10 steps, down to 0 over the last 20% of the run");
  expectHas(text, "steps 0-1,000 (learn, 1,000 steps):\n      mix web 80% / code 20%\n      record each block's ppl");
  expectHas(text, "from step 1,000 (focus, 2 epochs; an epoch's length is known at run time):");
  expectHas(text, "      data: as before (web 80% / code 20%)");
  expectHas(text, "      train only on blocks with ppl > p50 (the hardest 50%)");
  expectHas(text, "      every 2,000 steps: train only on blocks with ppl > p90 (the hardest 10%), re-ranking the table");
  expectHas(text, "after focus (anneal, 100 steps):\n      mix moves linearly from web 20% / code 80% to web 60% / code 40% over the phase");
  expectHas(text, "train a random subnetwork each step: 75% of the layers, 50% of the heads");
  expectHas(text, "  evaluate ppl on web.val every 500 steps (at most 20 blocks)");
  expectHas(text, "  checkpoint every 1,000 steps, keep the last 3");
  expectHas(text, "  on nan: roll back to the last checkpoint and skip the batch");
  expectHas(text, "  on loss > 4 standard deviations above its running mean (over 100 steps): skip the batch");
}

// A run directory's plan has what the runtime resolved: the explanation shows the ranges.
TEST(Explain, ResolvedPlanOfARun) {
  RecipeDir dir;
  plan::Plan p = planOf(dir.write("lfr.recipe", kRecipe));
  p.phases[1].duration.steps = 600;
  p.phases[1].start_step = 1000;
  p.phases[1].end_step = 1600;
  p.phases[2].start_step = 1600;
  p.phases[2].end_step = 1700;
  p.train.schedule.total_steps = 1700;
  writeFile(dir.path() + "/run/plan.json", plan::planToText(p));
  CmdResult r = recipec("explain " + dir.path() + "/run");
  ASSERT_EQ(r.code, 0);
  expectHas(r.out, "run: 1,700 steps = 870,400 tokens");
  expectHas(r.out, "steps 1,000-1,600 (focus, 2 epochs (600 steps)):");
  expectHas(r.out, "steps 1,600-1,700 (anneal, 100 steps):");
}

TEST(Explain, EveryRecipeExplains) {
  for (const auto& f : recipeFiles()) {
    CmdResult r = recipec("explain " + f);
    EXPECT_EQ(r.code, 0) << f;
    expectHas(r.out, "timeline:");
  }
}

}  // namespace
}  // namespace recipec::testing
