// test_train_units.cpp — the trainer's parts on their own: schedules, timeline resolution,
// checkpoint folders, rule triggers, metrics truncation, run directories, the fused loss,
// the optimizer split and clipping, and the LFR / IR-DRO policies.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "runtime/train/Checkpoint.h"
#include "runtime/train/Errors.h"
#include "runtime/train/Loss.h"
#include "runtime/train/Metrics.h"
#include "runtime/train/Optim.h"
#include "runtime/train/Policy.h"
#include "runtime/train/Rules.h"
#include "runtime/train/RunDir.h"
#include "runtime/train/Schedule.h"
#include "runtime/train/Timeline.h"
#include "train_fixture.h"

namespace recipec::train {
namespace {

using testing::TrainTest;
namespace fs = std::filesystem;

plan::Schedule sched(const std::string& kind, int64_t warmup, int64_t total, double min_lr, int64_t decay = 0) {
  plan::Schedule s;
  s.kind = kind;
  s.warmup_steps = warmup;
  s.total_steps = total;
  s.min_lr = min_lr;
  s.decay_steps = decay;
  return s;
}

TEST(Schedule, WarmupThenCosineToFloor) {
  const auto s = sched("cosine", 10, 110, 1e-4);
  EXPECT_DOUBLE_EQ(learningRate(s, 1e-3, 0), 1e-4);      // (0+1)/10 of base
  EXPECT_DOUBLE_EQ(learningRate(s, 1e-3, 9), 1e-3);
  EXPECT_NEAR(learningRate(s, 1e-3, 60), 5.5e-4, 1e-12);  // half way: mean of base and floor
  EXPECT_NEAR(learningRate(s, 1e-3, 109), 1e-4, 1e-6);
  EXPECT_DOUBLE_EQ(learningRate(s, 1e-3, 500), 1e-4);
}

TEST(Schedule, WsdHoldsThenDecaysLinearly) {
  const auto s = sched("wsd", 10, 100, 1e-4, 20);
  EXPECT_DOUBLE_EQ(learningRate(s, 1e-3, 50), 1e-3);
  EXPECT_DOUBLE_EQ(learningRate(s, 1e-3, 79), 1e-3);
  EXPECT_DOUBLE_EQ(learningRate(s, 1e-3, 80), 1e-3);
  EXPECT_NEAR(learningRate(s, 1e-3, 90), 5.5e-4, 1e-12);
  EXPECT_THROW(validateSchedule(sched("wsd", 90, 100, 0, 20)), plan::PlanError);
}

TEST(Schedule, ConstantAndUnknown) {
  EXPECT_DOUBLE_EQ(learningRate(sched("constant", 0, 10, 0), 2e-3, 7), 2e-3);
  EXPECT_THROW(validateSchedule(sched("exp", 0, 10, 0)), plan::PlanError);
  EXPECT_THROW(learningRate(sched("cosine", 0, -1, 0), 1e-3, 0), plan::PlanError);
}

class TimelineTest : public TrainTest {};

TEST_F(TimelineTest, EpochsFollowTheMixtureAndFocusFraction) {
  auto p = tinyPlan(10);
  p.phases[0].duration = {1, "epochs", -1};
  plan::Phase focus;
  focus.name = "focus";
  focus.duration = {2, "epochs", -1};
  auto f = rule("focus", "t:2:1");
  f.when = plan::Condition{"ppl", "", ">", {"percentile", 75, 0}};
  focus.rules.push_back(f);
  p.phases.push_back(focus);
  plan::Phase rest;
  rest.name = "tail";
  rest.duration = {0, "rest", -1};
  p.phases.push_back(rest);
  p.train.schedule.total_steps = 100;
  const auto tl = resolveTimeline(p, {{"a", 80}, {"b", 40}});
  // 120 blocks / batch 8 = 15 steps; focus keeps 25% -> 30 blocks, 2 epochs = 2 * 4 steps.
  ASSERT_EQ(tl.phases.size(), 3u);
  EXPECT_EQ(tl.phases[0].end, 15);
  EXPECT_EQ(tl.phases[1].start, 15);
  EXPECT_EQ(tl.phases[1].end, 15 + 8);
  EXPECT_EQ(tl.phases[2].end, 100);
  EXPECT_EQ(p.phases[2].duration.steps, 77);
  EXPECT_EQ(tl.total_steps, 100);
}

TEST_F(TimelineTest, TotalInEpochsEndsTheRestPhase) {
  // `total 3 epochs`: 3 passes over the first phase's mixture (120 blocks / batch 8 = 15 steps).
  auto p = tinyPlan(10);
  plan::Phase rest;
  rest.name = "tail";
  rest.duration = {0, "rest", -1};
  p.phases.push_back(rest);
  p.train.schedule.total = plan::Quantity{3, "epochs", -1};
  const auto tl = resolveTimeline(p, {{"a", 80}, {"b", 40}});
  ASSERT_EQ(tl.phases.size(), 2u);
  EXPECT_EQ(tl.phases[1].start, 10);
  EXPECT_EQ(tl.phases[1].end, 45);
  EXPECT_EQ(p.train.schedule.total_steps, 45);
  // Without any total, the error says how to give one.
  auto q = tinyPlan(10);
  q.phases.push_back(rest);
  try {
    resolveTimeline(q, {{"a", 80}, {"b", 40}});
    FAIL() << "expected PlanError";
  } catch (const plan::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("add `total 30k steps`"), std::string::npos) << e.what();
  }
}

TEST_F(TimelineTest, PercentTokensUntilAndIntervals) {
  auto p = tinyPlan(10);
  p.phases[0].duration = {2048, "tokens", -1};  // 2048 / (8 * 32) = 8 steps
  plan::Phase b;
  b.name = "b";
  b.duration = {20, "steps", -1};
  b.until = true;
  auto ck = rule("checkpoint", "t:3:1");
  ck.every = plan::Quantity{50, "percent", -1};
  b.rules.push_back(ck);
  p.phases.push_back(b);
  plan::Evaluate e;
  e.dataset = "a";
  e.every = {25, "percent", -1};
  p.evaluations.push_back(e);
  const auto tl = resolveTimeline(p, {{"a", 80}, {"b", 40}});
  EXPECT_EQ(tl.phases[0].end, 8);
  EXPECT_EQ(tl.phases[1].start, 8);
  EXPECT_EQ(tl.phases[1].end, 20);
  EXPECT_EQ(p.phases[1].rules[0].every->steps, 6);  // 50% of the 12-step phase
  EXPECT_EQ(p.evaluations[0].every.steps, 5);        // 25% of the 20-step run
  EXPECT_EQ(p.train.schedule.total_steps, 20);
}

TEST_F(TimelineTest, PercentAfterAnUntilIsOfTheRunTheUntilFixes) {
  // 10 steps, until 24, then 20%: the run is 24 / (1 - 0.2) = 30 steps, the phase 6
  // (docs/language.md), the same rule the compiler uses (plan/RunLength.h).
  auto p = tinyPlan(10);
  plan::Phase b, c;
  b.name = "b";
  b.duration = {24, "steps", -1};
  b.until = true;
  c.name = "c";
  c.duration = {20, "percent", -1};
  p.phases.push_back(b);
  p.phases.push_back(c);
  const auto tl = resolveTimeline(p, {{"a", 80}, {"b", 40}});
  ASSERT_EQ(tl.phases.size(), 3u);
  EXPECT_EQ(tl.phases[1].end, 24);
  EXPECT_EQ(tl.phases[2].start, 24);
  EXPECT_EQ(tl.phases[2].end, 30);
  EXPECT_EQ(p.train.schedule.total_steps, 30);
}

TEST_F(TimelineTest, PhasesPastATotalInEpochsAreRefused) {
  // `total 1 epoch` (120 blocks / batch 8 = 15 steps) with a 2-epoch phase: 30 steps.
  auto p = tinyPlan(10);
  p.phases[0].duration = {2, "epochs", -1};
  p.train.schedule.total = plan::Quantity{1, "epochs", -1};
  try {
    resolveTimeline(p, {{"a", 80}, {"b", 40}});
    FAIL() << "expected PlanError";
  } catch (const plan::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("ends at step 30, past the run's total of 15 steps (total 1 epochs)"),
              std::string::npos) << e.what();
  }
}

TEST_F(TimelineTest, UnresolvableDurationsNameThePhase) {
  auto p = tinyPlan(10);
  p.phases[0].duration = {0, "rest", -1};
  try {
    resolveTimeline(p, {{"a", 80}, {"b", 40}});
    FAIL() << "expected PlanError";
  } catch (const plan::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("rest"), std::string::npos) << e.what();
  }
  auto q = tinyPlan(10);
  q.phases[0].rules[0].action.mixture = {{"nope", 1.0, std::nullopt}};
  q.phases[0].duration = {1, "epochs", -1};
  EXPECT_THROW(resolveTimeline(q, {{"a", 80}, {"b", 40}}), plan::PlanError);
}

class CheckpointTest : public TrainTest {};

TEST_F(CheckpointTest, SavesAtomicallyKeepsKAndDetectsCorruption) {
  Checkpointer ck((root_ / "ck").string(), 2);
  for (int64_t s : {10, 20, 30}) {
    ck.save(s, [&](const std::string& dir) { std::ofstream(dir + "/w.bin") << "weights at " << s; });
  }
  const auto all = ck.list();
  ASSERT_EQ(all.size(), 2u);  // keep 2: step 10 pruned
  EXPECT_EQ(Checkpointer::stepOf(all[0]), 20);
  EXPECT_EQ(Checkpointer::stepOf(*ck.latest()), 30);
  EXPECT_NO_THROW(Checkpointer::verify(*ck.latest()));
  // A failing writer leaves nothing behind.
  EXPECT_THROW(ck.save(40, [](const std::string&) { throw std::runtime_error("disk full"); }), std::runtime_error);
  EXPECT_EQ(Checkpointer::stepOf(*ck.latest()), 30);
  for (const auto& e : fs::directory_iterator(root_ / "ck"))
    EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos);
  // Flip one byte: verify names the file.
  { std::fstream f(*ck.latest() + "/w.bin", std::ios::in | std::ios::out | std::ios::binary); f.seekp(0); f.put('X'); }
  try {
    Checkpointer::verify(*ck.latest());
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("w.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
}

TEST(Rules, TriggersOnRisingEdgeOrOnInterval) {
  RunMetrics m;
  plan::Rule r;
  r.action.kind = "stop";
  r.when = plan::Condition{"loss", "", "<", {"number", 2.0, 0}};
  r.source = "t:1:1";
  auto p = PolicyRegistry::instance().make(r, PolicyContext{});
  ArmedRule edge(std::move(p));
  m.loss = 3.0;
  EXPECT_FALSE(edge.due(1, 0, m));
  m.loss = 1.5;
  EXPECT_TRUE(edge.due(2, 0, m));
  EXPECT_FALSE(edge.due(3, 0, m));  // still true: no new edge
  m.loss = 2.5;
  EXPECT_FALSE(edge.due(4, 0, m));
  m.loss = 1.0;
  EXPECT_TRUE(edge.due(5, 0, m));

  plan::Rule c;
  c.action.kind = "checkpoint";
  c.every = plan::Quantity{3, "steps", 3};
  ArmedRule every(PolicyRegistry::instance().make(c, PolicyContext{}));
  std::vector<int64_t> fired;
  for (int64_t s = 10; s < 20; ++s)
    if (every.due(s, 10, m)) fired.push_back(s);
  EXPECT_EQ(fired, (std::vector<int64_t>{13, 16, 19}));  // not at the phase start itself
}

TEST(Rules, SigmaNeedsAFullWindow) {
  MetricWindow w(4);
  plan::Condition c{"loss", "", ">", {"sigma", 3, 4}};
  EXPECT_FALSE(compare(c, 100.0, w));  // empty window never fires
  for (double v : {1.0, 1.1, 0.9, 1.0}) w.push(v);
  EXPECT_FALSE(compare(c, 1.2, w));
  EXPECT_TRUE(compare(c, 5.0, w));
  EXPECT_THROW(validateTrigger({"loss", "", ">", {"percentile", 50, 0}}, "rule x"), plan::PlanError);
}

TEST(Rules, ALongSigmaWindowIsUsedOnceItHasEightValues) {
  MetricWindow w(200);
  plan::Condition c{"loss", "", ">", {"sigma", 4, 200}};
  for (double v : {10.9, 10.8, 10.7, 10.6, 10.5, 10.4, 10.3}) w.push(v);
  EXPECT_FALSE(compare(c, 1e8, w));  // 7 values: not yet
  w.push(10.2);
  EXPECT_TRUE(compare(c, 1e8, w));   // 8: a divergence is seen long before 200 steps
  EXPECT_FALSE(compare(c, 10.5, w));
}

class MetricsTest : public TrainTest {};

TEST_F(MetricsTest, ResumeTruncatesToTheCheckpointPosition) {
  const auto path = (root_ / "m.jsonl").string();
  int64_t pos;
  {
    MetricsLog log(path);
    log.write({{"step", 1}});
    pos = log.position();
    log.write({{"step", 2}});
  }
  MetricsLog again(path, pos);
  again.write({{"step", 2}, {"again", true}});
  std::ifstream in(path);
  std::string a, b, c;
  std::getline(in, a);
  std::getline(in, b);
  EXPECT_FALSE(std::getline(in, c));
  EXPECT_NE(b.find("again"), std::string::npos);
}

TEST_F(MetricsTest, ExistingRunDirectoryIsRefused) {
  const auto dir = (root_ / "run").string();
  RunDir::create(dir);
  std::ofstream(dir + "/keep.txt") << "x";
  EXPECT_THROW(RunDir::create(dir), UserError);
  EXPECT_TRUE(fs::exists(dir + "/keep.txt"));
}

TEST(Loss, FusedCrossEntropyMatchesATen) {
  torch::manual_seed(0);
  auto logits = (torch::randn({3, 5, 50}) * 4).requires_grad_();  // (B, T, V)
  auto targets = torch::randint(0, 50, {3, 5});
  auto ref = at::cross_entropy_loss(logits.view({15, 50}), targets.view(15), {}, at::Reduction::None)
                 .view({3, 5}).mean(1);
  auto got = perSampleLoss(logits, targets);
  EXPECT_LT((ref - got).abs().max().item<float>(), 1e-5);
  auto w = torch::rand({3});
  auto g_ref = torch::autograd::grad({(ref * w).sum()}, {logits})[0];
  auto g_got = torch::autograd::grad({(got * w).sum()}, {logits})[0];
  EXPECT_LT((g_ref - g_got).abs().max().item<float>(), 1e-6);
}

// The chunked cross-entropy (the CUDA path, run here on the CPU): the values and gradients
// of at::cross_entropy, for fp32 and bf16 logits that are a view with a row stride (the
// padded output layer's), in chunks of 7 rows that do not divide the 40 rows.
TEST(Loss, ChunkedCrossEntropyMatchesATenOnAStridedView) {
  torch::manual_seed(1);
  for (const auto dtype : {at::kFloat, at::kBFloat16}) {
    auto wide = (torch::randn({40, 64}) * 4).to(dtype).requires_grad_();  // 50 classes padded to 64
    const auto logits = wide.narrow(1, 0, 50);
    const auto targets = torch::randint(0, 50, {40});
    const auto ref = at::cross_entropy_loss(logits.to(at::kFloat), targets, {}, at::Reduction::None);
    const auto got = perTokenLossChunked(logits, targets, 7);
    EXPECT_EQ(got.scalar_type(), at::kFloat);
    EXPECT_LT((ref - got).abs().max().item<float>(), 1e-5) << dtype;
    const auto w = torch::rand({40});
    const auto g_ref = torch::autograd::grad({(ref * w).sum()}, {wide})[0].to(at::kFloat);
    const auto g_got = torch::autograd::grad({(got * w).sum()}, {wide})[0].to(at::kFloat);
    EXPECT_LT((g_ref - g_got).abs().max().item<float>(), dtype == at::kFloat ? 1e-6 : 1e-2) << dtype;
    EXPECT_EQ(g_got.narrow(1, 50, 14).abs().max().item<float>(), 0.0f);  // the padding gets nothing
  }
}

TEST(Optim, DecayOnlyOnMatricesAndClipMatchesTorch) {
  torch::manual_seed(0);
  auto w = torch::randn({4, 3}, torch::requires_grad());
  auto b = torch::randn({3}, torch::requires_grad());
  plan::Optimizer cfg;
  cfg.lr = 0.1;
  cfg.weight_decay = 0.5;
  auto opt = makeAdamW({w, b}, cfg);
  ASSERT_EQ(opt->param_groups().size(), 2u);
  EXPECT_EQ(static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[0].options()).weight_decay(), 0.5);
  EXPECT_EQ(static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[1].options()).weight_decay(), 0.0);
  EXPECT_EQ(opt->param_groups()[0].params()[0].data_ptr(), w.data_ptr());

  auto w2 = w.detach().clone().requires_grad_(), b2 = b.detach().clone().requires_grad_();
  ((w.sum(0) * b * 10).sum()).backward();
  ((w2.sum(0) * b2 * 10).sum()).backward();
  const double ref = torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{w2, b2}, 1.0);
  const auto got = clipGradNorm({w, b}, 1.0);
  EXPECT_NEAR(got.item<double>(), ref, 1e-4 * ref);
  EXPECT_LT((w.grad() - w2.grad()).abs().max().item<float>(), 1e-6);
  zeroGrad({w, b});
  EXPECT_FALSE(w.grad().defined());
}

PolicyContext tableContext(const std::vector<float>& a, const std::vector<float>& b) {
  PolicyContext ctx;
  ctx.datasets = {"a", "b"};
  ctx.table.init({int64_t(a.size()), int64_t(b.size())}, at::kCPU);
  ctx.table.record(torch::tensor(a), torch::zeros({int64_t(a.size())}, at::kLong), torch::arange(int64_t(a.size())));
  ctx.table.record(torch::tensor(b), torch::ones({int64_t(b.size())}, at::kLong), torch::arange(int64_t(b.size())));
  ctx.event = [](const std::string&, nlohmann::json) {};
  return ctx;
}

// The fused update (torch's _fused_adamw_) against LibTorch's AdamW::step: two copies of the
// same parameters (a decayed matrix, an undecayed vector, and one that gets no gradient on odd
// steps, as an EST subnet's skipped layer) take 20 steps on the same gradients. Float rounding
// only: the vectorised kernel computes the same formula in another order. 1e-6 relative to the
// weights' scale (they move by ~lr = 1e-2 a step) would still catch a missed bias correction
// (1e-3 at step 20 with beta2 = 0.95), decay on the wrong group or a skipped step count.
TEST(Optim, FusedAdamWMatchesTheOpByOpUpdate) {
  plan::Optimizer cfg;
  cfg.kind = "adamw";
  cfg.lr = 1e-2;
  cfg.beta1 = 0.9;
  cfg.beta2 = 0.95;
  cfg.eps = 1e-8;
  cfg.weight_decay = 0.1;
  torch::manual_seed(7);
  std::vector<at::Tensor> a = {torch::randn({64, 33}), torch::randn({33}), torch::randn({17, 5})};
  std::vector<at::Tensor> b;
  for (auto& t : a) {
    t.requires_grad_(true);
    b.push_back(t.detach().clone().requires_grad_(true));
  }
  const at::Tensor start = a[0].detach().clone();
  auto op_by_op = makeAdamW(a, cfg);
  auto fused = makeAdamW(b, cfg);
  for (int step = 0; step < 20; ++step) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (i == 2 && step % 2 == 1) continue;  // no gradient this step
      auto g = torch::randn(a[i].sizes());
      a[i].mutable_grad() = g.clone();
      b[i].mutable_grad() = g.clone();
    }
    setHyper(*op_by_op, 1e-2 * (1 + step % 3), 0.1);
    setHyper(*fused, 1e-2 * (1 + step % 3), 0.1);
    adamwStep(*op_by_op, false);
    adamwStep(*fused, true);
    zeroGrad(a);
    zeroGrad(b);
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = (a[i] - b[i]).abs().max().item<double>();
    EXPECT_LT(diff, 1e-6) << "parameter " << i;
    auto& sa = static_cast<torch::optim::AdamWParamState&>(*op_by_op->state().at(optimStateKey(op_by_op->state(), a[i])));
    auto& sb = static_cast<torch::optim::AdamWParamState&>(*fused->state().at(optimStateKey(fused->state(), b[i])));
    EXPECT_EQ(sa.step(), sb.step()) << "parameter " << i;
    EXPECT_LT((sa.exp_avg_sq() - sb.exp_avg_sq()).abs().max().item<double>(), 1e-6) << "parameter " << i;
  }
  // The skipped parameter counted 10 steps, the others 20.
  auto& skipped = static_cast<torch::optim::AdamWParamState&>(*fused->state().at(optimStateKey(fused->state(), b[2])));
  EXPECT_EQ(skipped.step(), 10);
  // And the weights moved (~lr per step): the comparison is not between two no-ops.
  EXPECT_GT((b[0].detach() - start).abs().max().item<double>(), 0.05);
}

// A checkpoint's optimizer state is restored where it was saved; the load path moves it to
// the parameters. On a CPU-only machine the dtype stands in for the device: the same `.to`
// carries both, and a state left behind would fail AdamW's step.
TEST(Optim, LoadedStateFollowsTheParameters) {
  auto w = torch::randn({4, 3}, torch::requires_grad());
  plan::Optimizer cfg;
  cfg.kind = "adamw";
  cfg.lr = 1e-2;
  auto opt = makeAdamW({w}, cfg);
  w.sum().backward();
  opt->step();
  std::stringstream bytes;
  torch::save(*opt, bytes);
  auto fresh = makeAdamW({w}, cfg);
  torch::load(*fresh, bytes);
  auto& st = static_cast<torch::optim::AdamWParamState&>(
      *fresh->state().at(optimStateKey(fresh->state(), w)));
  st.exp_avg(st.exp_avg().to(at::kDouble));  // as if saved elsewhere
  st.exp_avg_sq(st.exp_avg_sq().to(at::kDouble));
  placeStateWithParams(*fresh);
  EXPECT_EQ(st.exp_avg().options().dtype(), w.options().dtype());
  EXPECT_EQ(st.exp_avg().device(), w.device());
  EXPECT_EQ(st.exp_avg_sq().options().dtype(), w.options().dtype());
  w.grad().zero_();
  w.sum().backward();
  EXPECT_NO_THROW(fresh->step());
}

TEST(Policies, FocusKeepsHardBlocksDropRemovesAndReviewResets) {
  // losses: a = 1..4, b = 5..8 -> p50 of all eight is 4.5.
  auto ctx = tableContext({1, 2, 3, 4}, {5, 6, 7, 8});
  plan::Rule f;
  f.action.kind = "focus";
  f.when = plan::Condition{"ppl", "", ">", {"percentile", 50, 0}};
  auto focus = PolicyRegistry::instance().make(f, ctx);
  EXPECT_TRUE(focus->conditionFiltersBlocks());
  focus->fire(ctx);
  ASSERT_TRUE(ctx.selection.allowed[0] && ctx.selection.allowed[1]);
  EXPECT_TRUE(ctx.selection.allowed[0]->empty());
  EXPECT_EQ(*ctx.selection.allowed[1], (std::vector<int64_t>{0, 1, 2, 3}));

  plan::Rule d;
  d.action.kind = "drop";
  d.when = plan::Condition{"ppl", "", ">", {"number", std::exp(7.5), 0}};  // drop the hardest
  PolicyRegistry::instance().make(d, ctx)->fire(ctx);
  EXPECT_EQ(*ctx.selection.allowed[1], (std::vector<int64_t>{0, 1, 2}));  // intersection

  plan::Rule r;
  r.action.kind = "review";
  PolicyRegistry::instance().make(r, ctx)->fire(ctx);
  EXPECT_FALSE(ctx.selection.allowed[0]);
  EXPECT_TRUE(std::isnan(ctx.table.toCpu()[0].item<float>()));
}

TEST(Policies, OrderVisitsRecordedBlocksByLossThenTheRest) {
  auto ctx = tableContext({3, 1, 2}, {5, 4});
  ctx.table.load(torch::tensor({3.f, NAN, 2.f, 5.f, 4.f}));
  plan::Rule r;
  r.action.kind = "order";
  r.action.method = "ppl";
  r.action.direction = "ascending";
  auto order = PolicyRegistry::instance().make(r, ctx);
  order->fire(ctx);
  order->atBoundary(ctx, 0);  // it ranks once every rule of the boundary fired
  ASSERT_EQ(ctx.selection.order.size(), 2u);
  EXPECT_EQ(*ctx.selection.order[0], (std::vector<int64_t>{2, 0, 1}));  // 2.0, 3.0, unrecorded
  EXPECT_EQ(*ctx.selection.order[1], (std::vector<int64_t>{1, 0}));
  r.action.direction = "sideways";
  EXPECT_THROW(PolicyRegistry::instance().make(r, ctx), plan::PlanError);
}

TEST(Policies, IrdroIsSoftmaxOverLambdaAndRankKeepsASlice) {
  PolicyContext ctx;
  plan::Plan p;
  p.train.micro_batch = 8;
  ctx.plan = &p;
  plan::Rule r;
  r.action.kind = "reweight";
  r.action.method = "irdro";
  r.action.params = {{"lambda", 0.5}, {"pool", 1}};
  auto irdro = PolicyRegistry::instance().make(r, ctx);
  irdro->fire(ctx);
  auto l = torch::tensor({1.0f, 2.0f, 3.0f});
  auto w = irdro->lossWeights(ctx, l);
  ASSERT_TRUE(w);
  EXPECT_TRUE(torch::allclose(*w, torch::softmax(l / 0.5, 0)));

  r.action.method = "rank";
  r.action.params = {{"frac", 0.25}, {"portion", 1}};
  auto rank = PolicyRegistry::instance().make(r, ctx);
  rank->fire(ctx);
  auto l8 = torch::tensor({0.f, 7.f, 1.f, 6.f, 2.f, 5.f, 3.f, 4.f});
  auto w8 = *rank->lossWeights(ctx, l8);  // k = 2; sorted desc: 7,6 | 5,4 -> keep 5 and 4
  EXPECT_TRUE(torch::equal(w8, torch::tensor({0.f, 0.f, 0.f, 0.f, 0.f, .5f, 0.f, .5f})));

  r.action.params = {{"frac", 0.25}, {"portion", 4}};  // [8, 10) is outside a micro-batch of 8
  EXPECT_THROW(PolicyRegistry::instance().make(r, ctx), plan::PlanError);
  r.action.method = "dro";
  EXPECT_THROW(PolicyRegistry::instance().make(r, ctx), plan::PlanError);
}

TEST(Policies, UnknownActionNamesTheKnownOnes) {
  plan::Rule r;
  r.action.kind = "teleport";
  r.source = "x.recipe:3:5";
  try {
    PolicyRegistry::instance().make(r, PolicyContext{});
    FAIL();
  } catch (const plan::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("x.recipe:3:5"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("focus"), std::string::npos);
  }
}

}  // namespace
}  // namespace recipec::train
