// test_pipeline.cpp — the lowering, the merge and plan emission on whole recipes:
//   - resolve-imports merges exactly as the front end's Loader does (the checks read the
//     Loader's scope; the plan is built from the pass's output: they must agree);
//   - a pass's error is printed at the recipe line that caused it, rustc style;
//   - what the plan makes explicit (defaults, resolved steps, symbolic epochs, sources).
#include "MlirTestUtil.h"
#include "compiler/mlir/Dialect.h"
#include "compiler/mlir/Passes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"

namespace recipec::testing {
namespace {

using namespace recipec::ir;

class Merge : public ::testing::TestWithParam<std::string> {};

// The merged module holds exactly the Loader scope's declarations, from the same places.
TEST_P(Merge, AgreesWithLoader) {
  sema::Program program;
  ASSERT_TRUE(program.load(kSource + "/" + GetParam()) && sema::check(program, sema::CheckOptions{false}));
  mlir::MLIRContext ctx;
  auto module = compileToModule(ctx, program, /*raw=*/true);
  ASSERT_TRUE(module);
  mlir::PassManager pm(&ctx);
  pm.addPass(createResolveImportsPass());
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
  const sema::Scope& s = program.scope();
  auto where = [&](const diag::SourceRange& r) { return program.sources().location(r); };
  auto at = [](mlir::Operation* op) { return locString(op->getLoc()); };
  mlir::Block* body = module->getBody();

  auto sameNamed = [&](const auto& map, auto tag, const char* kind) {
    using OpT = decltype(tag);
    size_t count = 0;
    for (OpT op : body->getOps<OpT>()) {
      ++count;
      auto it = map.find(op.getName().str());
      ASSERT_NE(it, map.end()) << kind << " " << op.getName().str() << " is not in the Loader's scope";
      EXPECT_EQ(at(op), where(it->second->name.range)) << kind << " " << op.getName().str();
    }
    EXPECT_EQ(count, map.size()) << kind << "s";
  };
  sameNamed(s.lets, LetOp(), "constant");
  sameNamed(s.tokenizers, TokenizerOp(), "tokenizer");
  sameNamed(s.datasets, DatasetOp(), "dataset");
  sameNamed(s.mixtures, MixtureOp(), "mixture");
  sameNamed(s.models, ModelOp(), "model");

  std::vector<std::string> phasesIr, phasesLoader;
  for (PhaseOp p : body->getOps<PhaseOp>()) phasesIr.push_back(p.getName().str() + "@" + at(p));
  for (const auto* p : s.phases) phasesLoader.push_back(p->name.name + "@" + where(p->name.range));
  EXPECT_EQ(phasesIr, phasesLoader);

  std::vector<std::string> trainIr, trainLoader;
  for (TrainOp t : body->getOps<TrainOp>())
    for (SettingOp st : bodyBlock(t.getBody()).getOps<SettingOp>()) trainIr.push_back(st.getKey().str() + "@" + at(st));
  for (const auto& k : s.trainOrder) trainLoader.push_back(k + "@" + where(s.train.at(k)->key.range));
  EXPECT_EQ(trainIr, trainLoader);

  std::vector<std::string> policiesIr, policiesLoader;
  for (EvaluateOp e : body->getOps<EvaluateOp>()) policiesIr.push_back("evaluate@" + at(e));
  for (CheckpointOp c : body->getOps<CheckpointOp>()) policiesIr.push_back("checkpoint@" + at(c));
  for (EventOp e : body->getOps<EventOp>()) policiesIr.push_back("event@" + at(e));
  for (const auto* e : s.evaluations) policiesLoader.push_back("evaluate@" + where(e->range));
  if (s.checkpoint) policiesLoader.push_back("checkpoint@" + where(s.checkpoint->range));
  for (const auto* e : s.events) policiesLoader.push_back("event@" + where(e->range));
  EXPECT_EQ(policiesIr, policiesLoader);
}

INSTANTIATE_TEST_SUITE_P(Recipes, Merge, ::testing::ValuesIn(recipeFiles(true)),
                         [](const auto& info) { return testName(info.param); });

// ---- errors found by the passes point into the recipe ----------------------------------------

TEST(PassDiagnostics, PointAtTheRecipeLine) {
  RecipeDir dir;
  std::string path = dir.write("nolayers.recipe",
                               "recipe \"x\"\n"
                               "tokenizer t = bytes()\n"
                               "dataset d = text(\"d/*.txt\", tokenizer = t)\n"
                               "model m = gpt2 { d_model: 64, heads: 4 }\n"
                               "train { model m; seq_len 16; batch 4; optimizer adamw(lr = 1e-3) }\n"
                               "phase p for 10 steps { mix d }\n");
  sema::Program program;
  ASSERT_TRUE(program.load(path) && sema::check(program, sema::CheckOptions{false}))
      << "the front end now rejects this recipe; pick another gap for this test";
  std::string text;
  EXPECT_EQ(compileToText(program, "plan", text), 1);
  std::string rendered = program.diags().render(false);
  EXPECT_NE(rendered.find("error[E0500]: model `m` does not say its `layers`"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("--> " + path + ":4:7"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("4 | model m = gpt2 { d_model: 64, heads: 4 }"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("  |       ^"), std::string::npos) << rendered;
}

TEST(PassDiagnostics, VerifierMessagesCarryTheValues) {
  RecipeDir dir;
  std::string path = dir.write("dropout.recipe",
                               "recipe \"x\"\n"
                               "tokenizer t = bytes()\n"
                               "dataset d = text(\"d/*.txt\", tokenizer = t)\n"
                               "model m = gpt2 { layers: 1, d_model: 64, heads: 4, dropout: 1.5 }\n"
                               "train { model m; seq_len 16; batch 4; optimizer adamw(lr = 1e-3) }\n"
                               "phase p for 10 steps { mix d }\n");
  sema::Program program;
  ASSERT_TRUE(program.load(path));
  // `check` holds the same range at the field (so it passes nothing compile rejects) ...
  EXPECT_FALSE(sema::check(program, sema::CheckOptions{false}));
  EXPECT_NE(program.diags().render(false).find("model field `dropout` is 1.5 (need 0 <= dropout < 1)"),
            std::string::npos);
  // ... and the verifier still does, with the value, for IR that did not come through check.
  sema::Program unchecked;
  ASSERT_TRUE(unchecked.load(path));
  std::string text;
  EXPECT_EQ(compileToText(unchecked, "mlir", text), 1);
  std::string rendered = unchecked.diags().render(false);
  EXPECT_NE(rendered.find("model `m` field `dropout` is 1.5 (need 0 <= dropout < 1)"), std::string::npos) << rendered;
}

// ---- what the plan makes explicit ----------------------------------------------------------

TEST(Plan, DefaultsAreExplicit) {
  plan::Plan p = planOf(kSource + "/tests/compiler/mlir/inputs/subnet.recipe");
  EXPECT_EQ(p.plan_version, plan::kPlanVersion);
  EXPECT_EQ(p.train.micro_batch, 16);             // = batch
  EXPECT_EQ(p.train.optimizer.eps, 1e-8);
  EXPECT_EQ(p.train.optimizer.weight_decay, 0.0);
  EXPECT_EQ(p.train.optimizer.beta2, 0.98);
  EXPECT_EQ(p.train.optimizer.grad_clip, 0.5);
  EXPECT_EQ(p.train.precision, "fp32");
  ASSERT_EQ(p.models.size(), 1u);  // the presets the recipe did not use are pruned
  const plan::Model& m = p.models[0];
  EXPECT_EQ(m.arch, "llama");
  EXPECT_EQ(m.preset, "tiny_llama");
  EXPECT_EQ(m.d_model, 256);      // from a constant
  EXPECT_EQ(m.d_ff, 768);         // 256 * ceil(8 * 256 / 3 / 256)
  EXPECT_EQ(m.n_kv_head, 2);
  EXPECT_FALSE(m.tie_embeddings);
  EXPECT_EQ(m.rope_theta, 10000.0);
}

TEST(Plan, DurationsResolveWhereKnown) {
  plan::Plan p = planOf(kSource + "/tests/compiler/mlir/inputs/subnet.recipe");
  ASSERT_EQ(p.phases.size(), 3u);
  // stage2 is 20% of a run whose other phases are fixed: 800 / 0.8 = 1000 steps.
  EXPECT_EQ(p.phases[1].duration.steps, 200);
  EXPECT_EQ(p.phases[1].start_step, 600);
  EXPECT_EQ(p.phases[2].end_step, 1000);
  EXPECT_EQ(p.train.schedule.total_steps, 1000);
  EXPECT_EQ(p.train.schedule.warmup_steps, 50);  // 5% of 1000
  EXPECT_EQ(p.train.schedule.warmup_fraction, 0.0);

  plan::Plan m = planOf(kSource + "/tests/compiler/mlir/inputs/mixtures.recipe");
  ASSERT_EQ(m.phases.size(), 3u);
  EXPECT_EQ(m.train.batch_seqs, 256);                        // 65536 tokens / 256
  EXPECT_EQ(m.phases[0].duration.steps, 977);                // ceil(64M / 65536)
  EXPECT_EQ(m.phases[1].duration.steps, 500);                // 25% of the run, which `until 2000` ends
  EXPECT_TRUE(m.phases[2].until);
  EXPECT_EQ(m.phases[2].end_step, 2000);
  EXPECT_EQ(m.train.schedule.decay_steps, 400);              // 20% of 2000
  EXPECT_EQ(m.train.schedule.warmup_steps, 16);              // 1M tokens
  ASSERT_TRUE(m.phases[2].rules[1].when);
  EXPECT_EQ(m.phases[2].rules[1].when->threshold.value, 1900);  // step > 1900 steps
}

TEST(Plan, EpochsStaySymbolic) {
  plan::Plan p = planOf(kSource + "/tests/compiler/mlir/inputs/lfr.recipe");
  ASSERT_EQ(p.phases.size(), 3u);
  for (const auto& ph : p.phases) {
    EXPECT_EQ(ph.duration.unit, "epochs");
    EXPECT_EQ(ph.duration.steps, -1);
    EXPECT_EQ(ph.end_step, -1);
  }
  EXPECT_EQ(p.phases[0].start_step, 0);   // the first phase starts at 0 all the same
  EXPECT_EQ(p.phases[1].start_step, -1);  // after an epoch: unknown until run time
  EXPECT_EQ(p.train.schedule.total_steps, -1);
}

// A small recipe with the given train-block tail and phases (steps of 4 x 64 = 256 tokens).
static std::string gapsRecipe(const std::string& trainTail, const std::string& rest) {
  return "recipe \"t\"\ntokenizer tok = bytes()\n"
         "dataset web = text(\"d/*.txt\", tokenizer = tok) split val 10%\n"
         "model net = gpt2 { layers: 2, d_model: 64, heads: 4, vocab: 257, ctx: 128 }\n"
         "train { model net; seq_len 64; batch 4; optimizer adamw(lr = 1e-3); schedule cosine(warmup = 10%) " +
         trainTail + " }\n" + rest;
}

TEST(Plan, TotalGivesRestItsEnd) {
  RecipeDir dir;
  // `rest` after fixed phases: total minus them.
  plan::Plan a = planOf(dir.write("a.recipe", gapsRecipe("total 3k steps",
      "phase warm for 500 steps { mix web }\nphase main for rest { mix web }\n")));
  ASSERT_EQ(a.phases.size(), 2u);
  EXPECT_EQ(a.phases[1].start_step, 500);
  EXPECT_EQ(a.phases[1].end_step, 3000);
  EXPECT_EQ(a.train.schedule.total_steps, 3000);
  EXPECT_EQ(a.train.schedule.warmup_steps, 300);  // 10% of the total
  EXPECT_FALSE(a.train.schedule.total);

  // `rest` after an `until`: the total minus that point; tokens turn into steps.
  plan::Plan b = planOf(dir.write("b.recipe", gapsRecipe("total 2.56M tokens",
      "phase warm until 1k steps { mix web }\nphase main for rest { mix web }\n")));
  EXPECT_EQ(b.phases[1].start_step, 1000);
  EXPECT_EQ(b.phases[1].end_step, 10000);  // 2.56M / 256
  EXPECT_EQ(b.train.schedule.total_steps, 10000);

  // `rest` after an epoch-long phase: starts at run time, ends at the total.
  plan::Plan c = planOf(dir.write("c.recipe", gapsRecipe("total 5k steps",
      "phase learn for 1 epoch { mix web }\nphase main for rest { mix web }\n")));
  EXPECT_EQ(c.phases[1].start_step, -1);
  EXPECT_EQ(c.phases[1].end_step, 5000);
  EXPECT_EQ(c.train.schedule.total_steps, 5000);

  // `for N%` is N% of the total.
  plan::Plan d = planOf(dir.write("d.recipe", gapsRecipe("total 4k steps",
      "phase a for 25% { mix web }\nphase b for 1 epoch { mix web }\nphase c for rest { mix web }\n")));
  EXPECT_EQ(d.phases[0].end_step, 1000);
  EXPECT_EQ(d.phases[2].end_step, 4000);

  // `total 3 epochs` stays symbolic for the runtime.
  plan::Plan e = planOf(dir.write("e.recipe", gapsRecipe("total 3 epochs",
      "phase a for 100 steps { mix web }\nphase b for rest { mix web }\n")));
  EXPECT_EQ(e.train.schedule.total_steps, -1);
  ASSERT_TRUE(e.train.schedule.total);
  EXPECT_EQ(e.train.schedule.total->unit, "epochs");
  EXPECT_EQ(e.train.schedule.total->value, 3);
}

TEST(Plan, PhasesMayNotRunPastTheTotal) {
  RecipeDir dir;
  sema::Program program;
  plan::Plan p;
  ASSERT_TRUE(program.load(dir.write("a.recipe", gapsRecipe("total 1k steps", "phase a for 2k steps { mix web }\n"))));
  // The front end passes it on: where phases end is judged on the resolved recipe, by the
  // pass that computes it, which every command (check included) runs (checkResolves).
  EXPECT_TRUE(sema::check(program, sema::CheckOptions{false}));
  EXPECT_FALSE(checkResolves(program));
  EXPECT_NE(program.diags().render(false).find("error[E0383]"), std::string::npos) << program.diags().render(false);
  EXPECT_NE(program.diags().render(false).find("past the run's total of 1000 steps"), std::string::npos)
      << program.diags().render(false);
  EXPECT_FALSE(compileToPlan(program, p));
}

TEST(Plan, ConstantsInLengthsAndIntervals) {
  RecipeDir dir;
  std::string text = gapsRecipe("",
      "let warm_len = 300 steps\nlet every_n = 50 steps\nlet until_n = 1k steps\n"
      "phase warm for warm_len { mix web; review every every_n }\nphase main until until_n { mix web }\n"
      "evaluate ppl on web.val every every_n\n");
  plan::Plan p = planOf(dir.write("a.recipe", text));
  ASSERT_EQ(p.phases.size(), 2u);
  EXPECT_EQ(p.phases[0].end_step, 300);
  ASSERT_TRUE(p.phases[0].rules[1].every);
  EXPECT_EQ(p.phases[0].rules[1].every->steps, 50);
  EXPECT_EQ(p.phases[1].end_step, 1000);
  ASSERT_EQ(p.evaluations.size(), 1u);
  EXPECT_EQ(p.evaluations[0].every.steps, 50);
  // --set reaches a length too.
  plan::Plan q = planOf(dir.write("b.recipe", text), {"warm_len=400 steps"});
  EXPECT_EQ(q.phases[0].end_step, 400);
}

TEST(Plan, LetsOfPercentsAndDatasetsWorkWhereLiteralsDo) {
  RecipeDir dir;
  plan::Plan p = planOf(dir.write("a.recipe", gapsRecipe("",
      "let h = 50%\nlet d = web\nphase a for 10 steps { mix d; subnet { heads: h } }\n")));
  ASSERT_EQ(p.phases.size(), 1u);
  ASSERT_EQ(p.phases[0].rules.size(), 2u);
  ASSERT_EQ(p.phases[0].rules[0].action.mixture.size(), 1u);
  EXPECT_EQ(p.phases[0].rules[0].action.mixture[0].dataset, "web");
  EXPECT_EQ(p.phases[0].rules[1].action.params.at("heads"), 0.5);
}

TEST(Plan, ValSplitFromItsOwnFiles) {
  RecipeDir dir;
  plan::Plan p = planOf(dir.write("a.recipe",
      "recipe \"t\"\ntokenizer tok = bytes()\n"
      "dataset web = text(\"d/train/*.jsonl\", tokenizer = tok, field = \"text\") split val \"d/val/*.jsonl\"\n"
      "model net = gpt2 { layers: 2, d_model: 64, heads: 4, vocab: 257, ctx: 128 }\n"
      "train { model net; seq_len 64; batch 4; optimizer adamw(lr = 1e-3) }\n"
      "phase a for 10 steps { mix web }\nevaluate ppl on web.val every 5 steps\n"));
  ASSERT_EQ(p.datasets.size(), 1u);
  EXPECT_EQ(p.datasets[0].val_fraction, 0.0);
  ASSERT_EQ(p.datasets[0].val_paths.size(), 1u);
  EXPECT_EQ(p.datasets[0].val_paths[0], "d/val/*.jsonl");
  // ... and back through JSON.
  plan::Plan back = nlohmann::json(p).get<plan::Plan>();
  EXPECT_EQ(back.datasets[0].val_paths, p.datasets[0].val_paths);
}

TEST(Plan, MixturesAreNormalisedAndFlattened) {
  plan::Plan p = planOf(kSource + "/tests/compiler/mlir/inputs/mixtures.recipe");
  const auto& mix = p.phases[0].rules[0].action.mixture;
  EXPECT_EQ(p.phases[0].rules[0].action.mixture_name, "stage1");
  double sum = 0;
  for (const auto& e : mix) sum += e.weight;
  EXPECT_NEAR(sum, 1.0, 1e-9);
  ASSERT_EQ(mix.size(), 4u);  // zh + english's three datasets
  EXPECT_EQ(mix[0].dataset, "zh");
  EXPECT_EQ(mix[0].weight, 0.2);
  const auto& sched = p.phases[2].rules[0].action.mixture;
  ASSERT_EQ(sched.size(), 2u);
  EXPECT_EQ(sched[0].weight, 0.2);
  EXPECT_EQ(sched[0].weight_end, 0.6);
}

// Sources name files relative to base_dir when they lie under it (the working directory
// of the test decides), so compare the ends.
void expectAt(const std::string& source, const std::string& where) {
  EXPECT_TRUE(source.size() >= where.size() && source.compare(source.size() - where.size(), where.size(), where) == 0)
      << source << " is not at " << where;
}

TEST(Plan, SourcesNameWhereEachPartWasWritten) {
  plan::Plan p = planOf(kSource + "/tests/compiler/mlir/inputs/lfr.recipe");
  std::string lfr = "tests/compiler/mlir/inputs/lfr.recipe";
  std::string lib = "tests/compiler/mlir/inputs/lib/models.recipe";
  expectAt(p.sources["model net / n_layer"], lfr + ":12:25");   // the override
  expectAt(p.sources["model net / n_head"], lib + ":3:52");     // from the preset
  expectAt(p.sources["train / optimizer"], lfr + ":18:3");
  expectAt(p.sources["train / optimizer / uses constant lr"], lfr + ":5:5");
  expectAt(p.phases[1].rules[1].source, lfr + ":30:3");
}

TEST(Plan, SourcesAreRelativeToBaseDir) {
  CmdResult r = recipec("compile tests/compiler/mlir/inputs/lfr.recipe --emit=plan");
  ASSERT_EQ(r.code, 0);
  plan::Plan p = plan::parsePlan(r.out, "lfr");
  EXPECT_EQ(p.base_dir, kSource);
  EXPECT_EQ(p.sources["model net / n_head"], "tests/compiler/mlir/inputs/lib/models.recipe:3:52");
}

TEST(Plan, SetOverridesAConstant) {
  plan::Plan p = planOf(kSource + "/tests/compiler/mlir/inputs/lfr.recipe", {"lr=3e-4"});
  EXPECT_EQ(p.train.optimizer.lr, 3e-4);
  EXPECT_EQ(p.constants["lr"], "0.0003");
  EXPECT_EQ(p.train.schedule.min_lr, 3e-5);  // min_lr = 10% follows it
}

TEST(Cli, EmitMlirRawShowsTheFilesBeforeThePasses) {
  sema::Program program;
  ASSERT_TRUE(program.load(kSource + "/tests/compiler/mlir/inputs/ablation.recipe") &&
              sema::check(program, sema::CheckOptions{false}));
  std::string text;
  ASSERT_EQ(compileToText(program, "mlir-raw", text), 0);
  EXPECT_NE(text.find("recipe.file \"" + kSource + "/tests/compiler/mlir/inputs/ablation.recipe\" root recipe \"lfr-p80\" extends"),
            std::string::npos) << text;
  EXPECT_NE(text.find("recipe.import"), std::string::npos);
  EXPECT_NE(text.find("#recipe.const<@lr>"), std::string::npos);
}

}  // namespace
}  // namespace recipec::testing
