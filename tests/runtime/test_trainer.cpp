// test_trainer.cpp — whole runs of a tiny GPT-2 on a synthetic corpus: the run directory,
// metrics, bit-exact resume, LFR / EST / stop policies, and every user-error path (exit 1
// with the thing named, nothing saved lost).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "runtime/models/Safetensors.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Errors.h"
#include "runtime/train/Schedule.h"
#include "runtime/train/Trainer.h"
#include "train_fixture.h"

namespace recipec::train {
namespace {

using testing::TrainTest;
namespace fs = std::filesystem;

class TrainerTest : public TrainTest {
 protected:
  RunOptions options(const std::string& plan_path, const std::string& run) const {
    RunOptions o;
    o.plan_path = plan_path;
    o.run_dir = runDir(run);
    o.quiet = true;
    o.log_every = 1;
    o.peak_flops = 1e11;  // stated, so tests do not spend time measuring
    return o;
  }
  // The CLI, for exit codes and messages: returns the exit code, stderr in `err`.
  int cli(const std::string& args, std::string* err) const {
    const auto err_path = (root_ / "stderr.txt").string();
    const std::string cmd = std::string(RECIPEC_RUNTIME_BIN) + " " + args + " --quiet 2>" + err_path;
    const int status = std::system(cmd.c_str());
    std::ifstream in(err_path);
    err->assign(std::istreambuf_iterator<char>(in), {});
    return WEXITSTATUS(status);
  }
  static std::map<std::string, at::Tensor> weights(const std::string& run_dir) {
    return models::readSafetensors(run_dir + "/model.safetensors").tensors;
  }
};

// A plan that exercises state across a resume: record in `learn`, a re-ranking focus in
// `focus`, a mixture ramp, gradient accumulation, evaluation and a cosine schedule.
plan::Plan lfrPlan(TrainTest& t, plan::Plan p) {
  p.phases[0].name = "learn";
  p.phases[0].duration = {5, "steps", -1};
  auto rec = plan::Rule{};
  rec.action.kind = "record";
  rec.action.metric = "ppl";
  rec.action.granularity = "block";
  rec.source = "t:2:1";
  p.phases[0].rules.push_back(rec);
  plan::Phase focus;
  focus.name = "focus";
  focus.duration = {7, "steps", -1};
  plan::Rule f;
  f.action.kind = "focus";
  f.when = plan::Condition{"ppl", "", ">", {"percentile", 50, 0}};
  f.every = plan::Quantity{3, "steps", -1};
  f.source = "t:3:1";
  focus.rules.push_back(f);
  focus.rules.push_back(rec);
  p.phases.push_back(focus);
  plan::Evaluate e;
  e.dataset = "a";
  e.every = {4, "steps", -1};
  e.max_blocks = 6;
  p.evaluations.push_back(e);
  (void)t;
  return p;
}

TEST_F(TrainerTest, RunDirectoryHoldsWhatProducedTheRun) {
  auto p = tinyPlan(6);
  p.recipe_path = "tiny.recipe";
  std::ofstream(root_ / "tiny.recipe") << "recipe \"tiny\"\n";
  plan::Evaluate e;
  e.dataset = "b";
  e.every = {3, "steps", -1};
  p.evaluations.push_back(e);
  p.checkpoint.every = plan::Quantity{2, "steps", -1};
  p.checkpoint.keep = 2;
  const auto res = runPlan(options(writePlan(p), "r"));
  const auto dir = runDir("r");
  EXPECT_EQ(res.steps, 6);
  for (const char* f : {"plan.json", "run.json", "recipe.recipe", "metrics.jsonl", "model.safetensors"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  const auto resolved = plan::readPlanFile(dir + "/plan.json");
  EXPECT_EQ(resolved.phases[0].end_step, 6);
  EXPECT_EQ(resolved.train.schedule.total_steps, 6);
  auto info = nlohmann::json::parse(std::ifstream(dir + "/run.json"));
  EXPECT_EQ(info["seeds"]["torch"], 1234);
  EXPECT_FALSE(info["revision"].get<std::string>().empty());
  const auto train = metrics(dir, "train");
  ASSERT_EQ(train.size(), 6u);
  for (const char* k : {"step", "tokens", "loss", "lr", "grad_norm", "tokens_per_s", "mfu", "flops_formula", "phase", "policies"})
    EXPECT_TRUE(train[0].contains(k)) << k;
  EXPECT_EQ(train[5]["tokens"], 6 * 8 * 32);
  EXPECT_LT(train[5]["loss"].get<double>(), train[0]["loss"].get<double>());  // it learns
  EXPECT_EQ(metrics(dir, "eval").size(), 2u);  // steps 3 and 6
  Checkpointer ck(dir + "/checkpoints", 2);
  ASSERT_EQ(ck.list().size(), 2u);  // 4 and 6 kept, 2 pruned
  EXPECT_EQ(Checkpointer::stepOf(ck.list()[0]), 4);
}

class ResumeTest : public TrainerTest, public ::testing::WithParamInterface<int64_t> {};

TEST_P(ResumeTest, StopAndResumeIsBitIdentical) {
  const int64_t stop_at = GetParam();
  const auto path = writePlan(lfrPlan(*this, tinyPlan(5)));
  runPlan(options(path, "straight"));

  auto first = options(path, "split");
  first.until_step = stop_at;
  EXPECT_EQ(runPlan(first).steps, stop_at);
  auto second = options(path, "");
  second.run_dir.clear();
  second.resume_dir = runDir("split");
  EXPECT_EQ(runPlan(second).steps, 12);

  const auto a = weights(runDir("straight")), b = weights(runDir("split"));
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  const auto la = metrics(runDir("straight"), "train"), lb = metrics(runDir("split"), "train");
  ASSERT_EQ(la.size(), 12u);
  ASSERT_EQ(lb.size(), 12u);
  for (size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(la[i]["loss"], lb[i]["loss"]) << "step " << i + 1;
    EXPECT_EQ(la[i]["grad_norm"], lb[i]["grad_norm"]) << "step " << i + 1;
    EXPECT_EQ(la[i]["lr"], lb[i]["lr"]) << "step " << i + 1;
  }
  const auto ea = metrics(runDir("straight"), "eval"), eb = metrics(runDir("split"), "eval");
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) EXPECT_EQ(ea[i]["loss"], eb[i]["loss"]);
}

// 3: inside `learn` (recording); 8: inside `focus` after one re-rank.
INSTANTIATE_TEST_SUITE_P(Points, ResumeTest, ::testing::Values(3, 8));

TEST_F(TrainerTest, FocusRestrictsTheSampledBlocks) {
  const auto path = writePlan(lfrPlan(*this, tinyPlan(5)));
  runPlan(options(path, "lfr"));
  const auto events = metrics(runDir("lfr"), "event");
  int focus_events = 0;
  for (const auto& e : events) {
    if (e["event"] != "focus") continue;
    ++focus_events;
    EXPECT_EQ(e["recorded"].get<int64_t>() > 0, true);
    EXPECT_LT(e["kept"].get<int64_t>(), e["of"].get<int64_t>());
  }
  EXPECT_EQ(focus_events, 3);  // steps 5, 8, 11
}

TEST_F(TrainerTest, SubnetSavesFlopsAndStopEndsTheRun) {
  auto p = tinyPlan(8);
  plan::Rule s;
  s.action.kind = "subnet";
  s.action.params = {{"layers", 0.5}, {"heads", 0.5}, {"mlp", 0.5}};
  s.source = "t:4:1";
  p.phases[0].rules.push_back(s);
  plan::Rule stop;
  stop.action.kind = "stop";
  stop.when = plan::Condition{"step", "", ">=", {"number", 6, 0}};
  stop.source = "t:5:1";
  p.phases[0].rules.push_back(stop);
  const auto res = runPlan(options(writePlan(p), "est"));
  EXPECT_TRUE(res.stopped_by_rule);
  EXPECT_EQ(res.steps, 6);
  const auto summary = metrics(runDir("est"), "summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_GT(summary[0]["flops_saved_pct"].get<double>(), 20.0);
}

TEST_F(TrainerTest, SetReweightAndSpikeSkipActOnTheSteps) {
  auto p = tinyPlan(6);
  plan::Rule set;
  set.action.kind = "set";
  set.action.params = {{"lr", 1e-4}};
  set.when = plan::Condition{"step", "", ">=", {"number", 3, 0}};
  set.source = "t:6:1";
  p.phases[0].rules.push_back(set);
  plan::Rule rw;
  rw.action.kind = "reweight";
  rw.action.method = "irdro";
  rw.action.params = {{"lambda", 1.0}};
  rw.source = "t:7:1";
  p.phases[0].rules.push_back(rw);
  // `on loss > -100 sigma (window 2): skip`: once two losses are in the window every step
  // is above the threshold, so steps 3.. are skipped.
  p.events.push_back({"loss_spike", plan::Condition{"loss", "", ">", {"sigma", -100, 2}}, "skip"});
  runPlan(options(writePlan(p), "set"));
  const auto train = metrics(runDir("set"), "train");
  ASSERT_EQ(train.size(), 6u);
  EXPECT_TRUE(train[1]["applied"].get<bool>());
  EXPECT_FALSE(train[2]["applied"].get<bool>());
  // The schedule keeps its shape around the new base lr from the boundary of step 3 on.
  plan::Schedule sc = p.train.schedule;
  sc.total_steps = 6;
  EXPECT_DOUBLE_EQ(train[1]["lr"].get<double>(), learningRate(sc, 3e-3, 1));
  EXPECT_DOUBLE_EQ(train[2]["lr"].get<double>(), learningRate(sc, 3e-3, 2));
  EXPECT_DOUBLE_EQ(train[3]["lr"].get<double>(), learningRate(sc, 1e-4, 3));
}

TEST_F(TrainerTest, Bf16AutocastTrains) {
  auto p = tinyPlan(4);
  p.train.precision = "bf16";
  runPlan(options(writePlan(p), "bf16"));
  auto q = tinyPlan(4);
  runPlan(options(writePlan(q, "fp32.json"), "fp32"));
  const auto a = metrics(runDir("bf16"), "train"), b = metrics(runDir("fp32"), "train");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_TRUE(std::isfinite(a[3]["loss"].get<double>()));
  EXPECT_NE(a[0]["loss"], b[0]["loss"]);  // autocast really changed the arithmetic
  EXPECT_NEAR(a[0]["loss"].get<double>(), b[0]["loss"].get<double>(), 0.05);
}

TEST_F(TrainerTest, NanWithoutEventStopsWithoutSavingAndRollbackRecovers) {
  auto p = tinyPlan(6);
  p.checkpoint.every = plan::Quantity{2, "steps", -1};
  const auto path = writePlan(p);
  auto o = options(path, "nan");
  o.debug_nan_step = 3;
  try {
    runPlan(o);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("NaN at step 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("step_00000002"), std::string::npos) << e.what();
  }
  Checkpointer ck(runDir("nan") + "/checkpoints", 0);
  EXPECT_EQ(Checkpointer::stepOf(*ck.latest()), 2);
  EXPECT_NO_THROW(Checkpointer::verify(*ck.latest()));

  p.events.push_back({"nan", std::nullopt, "rollback"});
  auto r = options(writePlan(p, "rollback.json"), "rollback");
  r.debug_nan_step = 3;
  const auto res = runPlan(r);
  EXPECT_EQ(res.steps, 6);
  const auto train = metrics(runDir("rollback"), "train");
  ASSERT_EQ(train.size(), 6u);  // the replayed steps are logged once
  for (size_t i = 0; i < train.size(); ++i) EXPECT_EQ(train[i]["step"], int64_t(i) + 1);
  int rollbacks = 0;
  for (const auto& e : metrics(runDir("rollback"), "event")) rollbacks += e["event"] == "nan";
  EXPECT_EQ(rollbacks, 1);
}

TEST_F(TrainerTest, CliErrorsExitOneAndNameTheThing) {
  const auto path = writePlan(tinyPlan(4));
  std::string err;
  // An existing run directory: refused, untouched.
  fs::create_directories(runDir("taken"));
  std::ofstream(runDir("taken") + "/mine.txt") << "keep";
  EXPECT_EQ(cli("run " + path + " --run-dir " + runDir("taken"), &err), 1);
  EXPECT_NE(err.find("already exists"), std::string::npos) << err;
  EXPECT_EQ(fs::directory_iterator(runDir("taken"))->path().filename(), "mine.txt");

  // A corrupt checkpoint: resume names the file.
  ASSERT_EQ(cli("run " + path + " --run-dir " + runDir("c") + " --until-step 2 --peak-flops 1e11", &err), 0) << err;
  Checkpointer ck(runDir("c") + "/checkpoints", 0);
  const auto opt_file = *ck.latest() + "/optimizer.pt";
  { std::fstream f(opt_file, std::ios::in | std::ios::out | std::ios::binary); f.seekp(100); f.put('\x7f'); }
  EXPECT_EQ(cli("run " + path + " --resume " + runDir("c") + " --peak-flops 1e11", &err), 1);
  EXPECT_NE(err.find("optimizer.pt"), std::string::npos) << err;
  EXPECT_NE(err.find("corrupt"), std::string::npos) << err;

  // A different plan cannot resume the run.
  EXPECT_EQ(cli("run " + writePlan(tinyPlan(5), "other.json") + " --resume " + runDir("c"), &err), 1);
  EXPECT_NE(err.find("differs"), std::string::npos) << err;

  // Missing dataset files.
  auto missing = tinyPlan(4);
  missing.datasets[1].paths = {"corpus/nowhere/*.txt"};
  EXPECT_EQ(cli("run " + writePlan(missing, "missing.json") + " --run-dir " + runDir("m"), &err), 1);
  EXPECT_NE(err.find("corpus/nowhere"), std::string::npos) << err;

  // A plan from a newer compiler.
  auto newer = nlohmann::json::parse(plan::planToText(tinyPlan(4)));
  newer["plan_version"] = plan::kPlanVersion + 1;
  std::ofstream(root_ / "newer.json") << newer.dump();
  EXPECT_EQ(cli("run " + (root_ / "newer.json").string() + " --run-dir " + runDir("n"), &err), 1);
  EXPECT_NE(err.find("newer"), std::string::npos) << err;

  // CUDA where there is none.
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(cli("run " + path + " --run-dir " + runDir("g") + " --device cuda", &err), 1);
    EXPECT_NE(err.find("CUDA"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace recipec::train

namespace recipec::train {
namespace {

// A run that starts from weights (`init from`) evaluates at step 0: its baseline. With the
// weights another run ended with, that evaluation is the other run's final one.
TEST_F(TrainerTest, InitFromEvaluatesTheStartingWeightsAtStepZero) {
  auto p = tinyPlan(6);
  plan::Evaluate e;
  e.dataset = "a";
  e.every = {4, "steps", -1};
  e.max_blocks = 6;
  p.evaluations.push_back(e);
  runPlan(options(writePlan(p, "base.json"), "base"));
  const auto base_evals = metrics(runDir("base"), "eval");
  ASSERT_FALSE(base_evals.empty());
  EXPECT_NE(base_evals.front()["step"], 0);  // from scratch: no step-0 evaluation

  p.models[0].init_from = runDir("base") + "/model.safetensors";
  runPlan(options(writePlan(p, "cont.json"), "cont"));
  const auto evals = metrics(runDir("cont"), "eval");
  ASSERT_FALSE(evals.empty());
  EXPECT_EQ(evals.front()["step"], 0);
  EXPECT_EQ(evals.front()["loss"].get<double>(), base_evals.back()["loss"].get<double>());
}

// `--pad-vocab 128` (the CUDA default) on the CPU: the output layer's product over 384
// rows instead of the 257 of the byte vocabulary. The run trains what the unpadded one
// trains, and its weights keep the true vocabulary.
TEST_F(TrainerTest, APaddedOutputLayerTrainsWhatTheUnpaddedOneTrains) {
  auto p = tinyPlan(20);
  p.train.micro_batch = 2;
  const auto plan = writePlan(p, "p.json");
  runPlan(options(plan, "plain"));
  auto o = options(plan, "padded");
  o.pad_vocab = "128";
  runPlan(o);
  const auto a = metrics(runDir("plain"), "train"), b = metrics(runDir("padded"), "train");
  ASSERT_EQ(a.size(), 20u);
  ASSERT_EQ(b.size(), 20u);
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = std::max(diff, std::abs(a[i]["loss"].get<double>() - b[i]["loss"].get<double>()));
  std::printf("max |loss(padded) - loss(unpadded)| over 20 steps: %.3g\n", diff);
  EXPECT_LE(diff, 1e-5);
  const auto wa = weights(runDir("plain")), wb = weights(runDir("padded"));
  ASSERT_EQ(wa.size(), wb.size());
  for (const auto& [name, t] : wa) {
    ASSERT_TRUE(wb.count(name)) << name;
    EXPECT_EQ(t.sizes(), wb.at(name).sizes()) << name;  // 257 rows, not 384
    EXPECT_LT((t - wb.at(name)).abs().max().item<float>(), 1e-4) << name;
  }
  auto bad = options(plan, "bad");
  bad.pad_vocab = "0";
  EXPECT_THROW(runPlan(bad), UserError);
}

// `--profile 2`: steps 2 and 3 (the first is left out) in a Chrome trace, with every matrix
// product inside them, the table of where the time went, and not one number of the run
// changed.
TEST_F(TrainerTest, ProfileTracesTheAskedStepsAndChangesNoNumber) {
  const auto plan = writePlan(tinyPlan(6), "p.json");
  runPlan(options(plan, "plain"));
  auto o = options(plan, "profiled");
  o.profile_steps = 2;
  runPlan(o);
  const auto a = metrics(runDir("plain"), "train"), b = metrics(runDir("profiled"), "train");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["loss"], b[i]["loss"]) << i;
    EXPECT_EQ(a[i]["grad_norm"], b[i]["grad_norm"]) << i;
  }
  const auto trace = nlohmann::json::parse(std::ifstream(runDir("profiled") + "/profile/from_step_2/trace.json"));
  std::map<std::string, std::pair<double, double>> steps;  // name -> [ts, ts + dur)
  for (const auto& e : trace["traceEvents"])
    if (e.value("ph", "") == "X" && e["name"].get<std::string>().rfind("step ", 0) == 0)
      steps[e["name"]] = {e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>()};
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_TRUE(steps.count("step 2") && steps.count("step 3"));
  int64_t inside = 0, outside = 0;
  for (const auto& e : trace["traceEvents"]) {
    const auto name = e["name"].get<std::string>();
    if (name != "aten::mm" && name != "aten::addmm" && name != "aten::bmm") continue;
    const double ts = e["ts"].get<double>();
    bool in = false;
    for (const auto& [_, r] : steps) in = in || (ts >= r.first && ts < r.second);
    ++(in ? inside : outside);
  }
  EXPECT_GT(inside, 0);
  EXPECT_EQ(outside, 0);
  std::ifstream in(runDir("profiled") + "/profile/from_step_2/summary.txt");
  const std::string summary((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(summary.find("profile: 2 steps from step 2"), std::string::npos) << summary;
  EXPECT_NE(summary.find("host operators, by self time"), std::string::npos) << summary;
  EXPECT_NE(summary.find("aten::mm"), std::string::npos) << summary;
}

}  // namespace
}  // namespace recipec::train
