// test_distributed.cpp — data-parallel training over c10d/Gloo on localhost: 2 processes
// train what 1 process trains (losses, LFR focus events, the block table), a 2-process run
// resumes bit-exactly, a killed worker is named by its peer and by the launcher, a missing
// peer is named after the timeout; and the bucketed gradient all-reduce against a fake group.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "cli/Launch.h"
#include "runtime/models/Safetensors.h"
#include "runtime/train/Distributed.h"
#include "runtime/train/GradientSync.h"
#include "runtime/train/ShardedOptim.h"
#include "train_fixture.h"

namespace recipec::train {
namespace {

using testing::TrainTest;
namespace fs = std::filesystem;

// Record in `learn`, a re-ranking focus in `focus` (every 10 steps), evaluation: 50 steps in
// all, batch 8 in micro-batches of 4 (one per rank with 2 ranks).
plan::Plan lfrPlan(plan::Plan p, int64_t learn, int64_t focus_steps) {
  p.phases[0].name = "learn";
  p.phases[0].duration = {double(learn), "steps", -1};
  plan::Rule rec;
  rec.action.kind = "record";
  rec.action.metric = "ppl";
  rec.action.granularity = "block";
  rec.source = "t:2:1";
  p.phases[0].rules.push_back(rec);
  plan::Phase focus;
  focus.name = "focus";
  focus.duration = {double(focus_steps), "steps", -1};
  plan::Rule f;
  f.action.kind = "focus";
  f.when = plan::Condition{"ppl", "", ">", {"percentile", 50, 0}};
  f.every = plan::Quantity{10, "steps", -1};
  f.source = "t:3:1";
  focus.rules.push_back(f);
  focus.rules.push_back(rec);
  p.phases.push_back(focus);
  plan::Evaluate e;
  e.dataset = "a";
  e.every = {25, "steps", -1};
  e.max_blocks = 10;
  p.evaluations.push_back(e);
  return p;
}

class DistributedTest : public TrainTest {
 protected:
  // This process's stderr (fd 2, inherited by what it starts) appends to `path`.
  static void toFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 2);
    ::close(fd);
  }

  std::vector<std::string> runtimeArgs(const std::string& plan, const std::vector<std::string>& extra,
                                       const std::string& timeout = "20") const {
    std::vector<std::string> a{RECIPEC_RUNTIME_BIN, "run", plan, "--quiet", "--log-every", "1",
                               "--peak-flops", "1e11", "--threads", "1", "--dist-timeout", timeout};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Runs `fn` in a child whose stderr (and its workers') goes to a file; returns its exit
  // code and the text in `err`.
  template <class F>
  int captured(F fn, std::string* err, const std::string& env_kill = "") const {
    const auto path = (root_ / ("stderr-" + std::to_string(++calls_) + ".txt")).string();
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      toFile(path);
      if (!env_kill.empty()) ::setenv("RECIPEC_TEST_KILL", env_kill.c_str(), 1);
      std::_Exit(fn());
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::ifstream in(path);
    err->assign(std::istreambuf_iterator<char>(in), {});
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  int launch(int n, const std::vector<std::string>& args, std::string* err, const std::string& kill = "") const {
    return captured([&] { return cli::launchLocalWorkers(args, n); }, err, kill);
  }

  int single(const std::vector<std::string>& args, std::string* err) const {
    return captured([&] {
      ::unsetenv("WORLD_SIZE");
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      const pid_t p = ::fork();
      if (p == 0) {
        ::execv(argv[0], argv.data());
        std::_Exit(127);
      }
      int st = 0;
      ::waitpid(p, &st, 0);
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }, err);
  }

  struct Rank {
    int status = 0;
    std::string err;
  };
  // Ranks 0..n-1 started by hand with the launcher's variables, rank r on plans[r]; waits
  // for all. `kill` is RECIPEC_TEST_KILL (R:S[:SIG]) or empty.
  std::vector<Rank> startRanks(const std::vector<std::string>& plans, const std::string& run_dir,
                               const std::string& kill, const std::vector<std::string>& extra = {}) const {
    const int port = cli::freeLocalPort();
    std::vector<pid_t> pids;
    std::vector<std::string> paths;
    for (size_t r = 0; r < plans.size(); ++r) {
      paths.push_back((root_ / ("rank" + std::to_string(r) + "-" + std::to_string(++calls_) + ".txt")).string());
      const pid_t pid = ::fork();
      if (pid == 0) {
        toFile(paths.back());
        ::setenv("RANK", std::to_string(r).c_str(), 1);
        ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
        ::setenv("WORLD_SIZE", std::to_string(plans.size()).c_str(), 1);
        ::setenv("MASTER_ADDR", "127.0.0.1", 1);
        ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
        if (!kill.empty()) ::setenv("RECIPEC_TEST_KILL", kill.c_str(), 1);
        auto args = runtimeArgs(plans[r], {"--run-dir", run_dir});
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        std::_Exit(127);
      }
      pids.push_back(pid);
    }
    std::vector<Rank> out(plans.size());
    for (size_t r = 0; r < plans.size(); ++r) {
      ::waitpid(pids[r], &out[r].status, 0);
      std::ifstream in(paths[r]);
      out[r].err.assign(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

  static at::Tensor blockTable(const std::string& checkpoint) {
    torch::serialize::InputArchive ar;
    ar.load_from(checkpoint + "/tensors.pt");
    at::Tensor t;
    ar.read("block_table", t);
    return t;
  }

  // Runs `a` and `b` trained the same, bit for bit: every logged loss and grad norm, and the
  // final weights. Returns their train lines.
  std::pair<std::vector<nlohmann::json>, std::vector<nlohmann::json>> expectSameTraining(const std::string& a,
                                                                                         const std::string& b,
                                                                                         size_t steps) const {
    auto la = metrics(runDir(a), "train"), lb = metrics(runDir(b), "train");
    EXPECT_EQ(la.size(), steps);
    EXPECT_EQ(lb.size(), steps);
    for (size_t i = 0; i < std::min(la.size(), lb.size()); ++i) {
      EXPECT_EQ(la[i]["loss"], lb[i]["loss"]) << "step " << i + 1;
      EXPECT_EQ(la[i]["grad_norm"], lb[i]["grad_norm"]) << "step " << i + 1;
    }
    const auto wa = models::readSafetensors(runDir(a) + "/model.safetensors").tensors;
    const auto wb = models::readSafetensors(runDir(b) + "/model.safetensors").tensors;
    EXPECT_EQ(wa.size(), wb.size());
    for (const auto& [name, t] : wa) EXPECT_TRUE(wb.count(name) && torch::equal(t, wb.at(name))) << name;
    return {la, lb};
  }

  mutable int calls_ = 0;
};

// How the global batch of 8 is shared: micro-batches of 4 (one per rank), of 8 (split by
// rows, with IR-DRO weights over each whole micro-batch), of 2 (two per rank, whose sum
// order differs from one process's; with EST subnets, which leave the skipped layer's
// gradients undefined on both ranks alike).
struct Sharing {
  int64_t micro_batch;
  bool irdro;
  bool subnet;
  bool quickstart = false;  // quickstart's model and batch (4 layers, d 128, seq 128, batch 16)
  int64_t pool = 1;         // irdro: micro-batches per softmax (a pool spanning both ranks)
};
class ParityTest : public DistributedTest, public ::testing::WithParamInterface<Sharing> {};

TEST_P(ParityTest, TwoProcessesTrainWhatOneTrains) {
  auto p = lfrPlan(tinyPlan(20), 20, 30);
  if (GetParam().quickstart) {
    auto& m = p.models[0];
    m.n_layer = 4;
    m.n_head = 4;
    m.d_model = 128;
    m.d_ff = 512;
    m.max_seq_len = 256;
    p.train.seq_len = 128;
    p.train.batch_seqs = 16;
  }
  p.train.micro_batch = GetParam().micro_batch;
  if (GetParam().irdro) {
    plan::Rule rw;
    rw.action.kind = "reweight";
    rw.action.method = "irdro";
    rw.action.params["lambda"] = 1.0;
    rw.action.params["pool"] = double(GetParam().pool);
    rw.source = "t:4:1";
    p.phases[1].rules.push_back(rw);
  }
  if (GetParam().subnet) {
    plan::Rule sub;
    sub.action.kind = "subnet";
    sub.action.params = {{"layers", 0.5}, {"heads", 0.5}, {"mlp", 0.5}};
    sub.source = "t:5:1";
    p.phases[1].rules.push_back(sub);
  }
  const auto plan = writePlan(p);
  std::string err;
  ASSERT_EQ(single(runtimeArgs(plan, {"--run-dir", runDir("one")}), &err), 0) << err;
  // Buckets of 20 KB (the model has 140 KB of gradients): several, launched during the
  // backward as they fill.
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("two"), "--bucket-mb", "0.02", "--overlap", "on"}), &err), 0)
      << err;

  const auto a = metrics(runDir("one"), "train"), b = metrics(runDir("two"), "train");
  ASSERT_EQ(a.size(), 50u);
  ASSERT_EQ(b.size(), 50u);  // rank 0 alone writes
  double max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["tokens"], b[i]["tokens"]);
    max_diff = std::max(max_diff, std::abs(a[i]["loss"].get<double>() - b[i]["loss"].get<double>()));
  }
  std::printf("%smicro_batch %lld%s%s%s: max |loss(1 process) - loss(2 processes)| over 50 steps: %.3g\n",
              GetParam().quickstart ? "quickstart-sized, " : "", (long long)GetParam().micro_batch,
              GetParam().irdro ? " + irdro" : "",
              GetParam().pool > 1 ? (" pooled over " + std::to_string(GetParam().pool) + " micro-batches").c_str() : "",
              GetParam().subnet ? " + subnet" : "", max_diff);
  EXPECT_LE(max_diff, 1e-5);

  auto focusEvents = [](const std::string& dir) {
    std::vector<nlohmann::json> out;
    for (const auto& e : metrics(dir, "event"))
      if (e["event"] == "focus") out.push_back(e);
    return out;
  };
  const auto fa = focusEvents(runDir("one")), fb = focusEvents(runDir("two"));
  ASSERT_EQ(fa.size(), 3u);  // steps 20, 30, 40
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i]["step"], fb[i]["step"]);
    EXPECT_EQ(fa[i]["kept"], fb[i]["kept"]);
    EXPECT_EQ(fa[i]["recorded"], fb[i]["recorded"]);
    EXPECT_NEAR(fa[i]["threshold_ppl"].get<double>(), fb[i]["threshold_ppl"].get<double>(), 1e-4);
  }
  const auto ta = blockTable(runDir("one") + "/checkpoints/step_00000050");
  const auto tb = blockTable(runDir("two") + "/checkpoints/step_00000050");
  EXPECT_TRUE(torch::equal(ta.isnan(), tb.isnan()));  // the same blocks recorded
  const auto seen = ta.isnan().logical_not();
  const double table_diff = (ta.masked_select(seen) - tb.masked_select(seen)).abs().max().item<double>();
  std::printf("max |block table difference|: %.3g over %lld recorded blocks\n", table_diff,
              (long long)seen.sum().item<int64_t>());
  EXPECT_LE(table_diff, 1e-5);

  const auto ea = metrics(runDir("one"), "eval"), eb = metrics(runDir("two"), "eval");
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i)
    EXPECT_NEAR(ea[i]["loss"].get<double>(), eb[i]["loss"].get<double>(), 1e-5);
  auto info = nlohmann::json::parse(std::ifstream(runDir("two") + "/run.json"));
  EXPECT_EQ(info["world_size"], 2);
  EXPECT_EQ(info["backend"], "gloo");
}

INSTANTIATE_TEST_SUITE_P(Sharings, ParityTest,
                         ::testing::Values(Sharing{4, false, false}, Sharing{8, true, false}, Sharing{2, false, true},
                                           Sharing{8, false, false, true}, Sharing{2, true, false, false, 4},
                                           // pools of 2: rank 0's last backward comes before the
                                           // gather of rank 1's pool, so rank 0 must not launch
                                           // its buckets during it
                                           Sharing{2, true, false, false, 2}));

TEST_F(DistributedTest, TheAllReduceDuringTheBackwardTrainsWhatTheOneAfterItTrains) {
  auto p = lfrPlan(tinyPlan(10), 10, 10);
  p.train.micro_batch = 2;  // two micro-batches per rank: only the second launches buckets
  const auto plan = writePlan(p);
  std::string err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("during"), "--bucket-mb", "0.02", "--overlap", "on"}), &err), 0)
      << err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("after"), "--bucket-mb", "0.02", "--overlap", "off"}), &err), 0)
      << err;
  const auto [a, b] = expectSameTraining("during", "after", 20);  // 2 ranks: a + b = b + a
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_GE(a[i]["buckets"].get<int64_t>(), 3);
    EXPECT_EQ(a[i]["buckets_in_backward"], a[i]["buckets"]) << "step " << i + 1;
    EXPECT_EQ(b[i]["buckets_in_backward"], 0) << "step " << i + 1;
    EXPECT_GE(a[i]["allreduce_wait_s"].get<double>(), 0.0);
  }
}

// `--process-group` without a launcher: a Gloo group of one, every collective real (the
// gradient buckets, the losses, evaluation): the same training as no group, bit for bit.
TEST_F(DistributedTest, AGroupOfOneTrainsWhatNoGroupTrains) {
  const auto plan = writePlan(lfrPlan(tinyPlan(5), 5, 10));
  std::string err;
  ASSERT_EQ(single(runtimeArgs(plan, {"--run-dir", runDir("alone")}), &err), 0) << err;
  ASSERT_EQ(single(runtimeArgs(plan, {"--run-dir", runDir("group"), "--process-group", "--bucket-mb", "0.02",
                                      "--overlap", "on"}), &err), 0)
      << err;
  const auto [a, b] = expectSameTraining("alone", "group", 15);
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_FALSE(a[i].contains("buckets"));
    EXPECT_EQ(b[i]["buckets_in_backward"], b[i]["buckets"]);
  }
  auto info = nlohmann::json::parse(std::ifstream(runDir("group") + "/run.json"));
  EXPECT_EQ(info["world_size"], 1);
  EXPECT_EQ(info["backend"], "gloo");
}

TEST_F(DistributedTest, TwoProcessResumeIsBitIdentical) {
  const auto plan = writePlan(lfrPlan(tinyPlan(5), 5, 10));  // focus re-ranks at step 5 and 15
  std::string err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("straight")}), &err), 0) << err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("split"), "--until-step", "8"}), &err), 0) << err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--resume", runDir("split")}), &err), 0) << err;
  const auto la = expectSameTraining("straight", "split", 15).first;

  // The 2-process checkpoint at step 8, resumed by one process: the same batches and
  // recipe state; the losses equal up to float summation order.
  fs::copy(runDir("split"), runDir("regrouped"), fs::copy_options::recursive);
  for (const auto& c : fs::directory_iterator(runDir("regrouped") + "/checkpoints"))
    if (c.path().filename() != "step_00000008") fs::remove_all(c.path());
  ASSERT_EQ(single(runtimeArgs(plan, {"--resume", runDir("regrouped")}), &err), 0) << err;
  const auto lc = metrics(runDir("regrouped"), "train");
  // run.json says what runs now, and keeps every start: 2 processes, 2 again, then 1.
  auto info = nlohmann::json::parse(std::ifstream(runDir("regrouped") + "/run.json"));
  EXPECT_EQ(info["world_size"], 1);
  ASSERT_EQ(info["starts"].size(), 3u) << info.dump();
  EXPECT_EQ(info["starts"][0]["world_size"], 2);
  EXPECT_EQ(info["starts"][2]["world_size"], 1);
  ASSERT_EQ(lc.size(), 15u);
  for (size_t i = 0; i < lc.size(); ++i)
    EXPECT_NEAR(la[i]["loss"].get<double>(), lc[i]["loss"].get<double>(), 1e-5) << "step " << i + 1;
}

TEST_F(DistributedTest, ASignalToOneRankStopsAllAtTheSameStepAndResumeIsExact) {
  const auto plan = writePlan(lfrPlan(tinyPlan(5), 5, 10));
  std::string err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("straight")}), &err), 0) << err;
  // Rank 1 alone gets SIGTERM at the start of step 6: the flag rides step 6's all-reduce, so
  // both ranks stop after step 7 with one checkpoint, and exit 143.
  EXPECT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("stopped")}), &err, "1:6:15"), 143) << err;
  const auto summary = metrics(runDir("stopped"), "summary");
  ASSERT_EQ(summary.size(), 1u) << err;
  EXPECT_EQ(summary[0]["step"], 7);
  EXPECT_EQ(summary[0]["interrupted"], "SIGTERM");
  EXPECT_TRUE(fs::exists(runDir("stopped") + "/checkpoints/step_00000007"));
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--resume", runDir("stopped")}), &err), 0) << err;
  expectSameTraining("straight", "stopped", 15);
}

// ZeRO-1: each rank keeps the AdamW state of half the parameters. AdamW is elementwise, so
// the weights equal the unsharded run's bit for bit; the checkpoint holds the whole state
// (gathered to rank 0), so a sharded run resumes exactly.
TEST_F(DistributedTest, ShardedOptimizerStateTrainsTheSameWeights) {
  const auto plan = writePlan(lfrPlan(tinyPlan(10), 10, 20));  // 30 steps
  std::string err;
  ASSERT_EQ(single(runtimeArgs(plan, {"--run-dir", runDir("one")}), &err), 0) << err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("plain")}), &err), 0) << err;
  // ZeRO-1 with the buckets launched during the backward: still the plain run's weights.
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("zero"), "--shard-optimizer", "--overlap", "on",
                                         "--bucket-mb", "0.02"}), &err), 0)
      << err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--run-dir", runDir("split"), "--shard-optimizer", "--until-step", "12"}), &err), 0) << err;
  ASSERT_EQ(launch(2, runtimeArgs(plan, {"--resume", runDir("split"), "--shard-optimizer"}), &err), 0) << err;
  const auto one = metrics(runDir("one"), "train"), plain = metrics(runDir("plain"), "train"),
             zero = metrics(runDir("zero"), "train"), split = metrics(runDir("split"), "train");
  ASSERT_EQ(zero.size(), 30u);
  ASSERT_EQ(split.size(), 30u);
  double max_diff = 0;
  for (size_t i = 0; i < zero.size(); ++i) {
    EXPECT_EQ(plain[i]["loss"], zero[i]["loss"]) << "step " << i + 1;
    EXPECT_EQ(zero[i]["loss"], split[i]["loss"]) << "step " << i + 1;
    max_diff = std::max(max_diff, std::abs(one[i]["loss"].get<double>() - zero[i]["loss"].get<double>()));
  }
  std::printf("ZeRO-1, 2 processes: max |loss(1 process) - loss(sharded)| over 30 steps: %.3g\n", max_diff);
  EXPECT_LE(max_diff, 1e-5);
  const auto wp = models::readSafetensors(runDir("plain") + "/model.safetensors").tensors;
  const auto wz = models::readSafetensors(runDir("zero") + "/model.safetensors").tensors;
  const auto ws = models::readSafetensors(runDir("split") + "/model.safetensors").tensors;
  for (const auto& [name, t] : wp) {
    EXPECT_TRUE(torch::equal(t, wz.at(name))) << name;
    EXPECT_TRUE(torch::equal(t, ws.at(name))) << name;
  }
}

TEST_F(DistributedTest, AKilledWorkerIsNamedByItsPeer) {
  const auto plan = writePlan(tinyPlan(400));
  // Both ranks started by hand (no launcher that would stop the survivor): rank 1 kills
  // itself with SIGKILL at step 5; rank 0 must stop with an error naming it. Also with the
  // gradient buckets launched from the backward's hooks (the failure surfaces there).
  for (const auto& [name, extra] : {std::pair{std::string("killed"), std::vector<std::string>{}},
                                    {std::string("killed-overlap"), {"--overlap", "on", "--bucket-mb", "0.02"}}}) {
    const auto ranks = startRanks({plan, plan}, runDir(name), "1:5", extra);
    const int st1 = ranks[1].status, st0 = ranks[0].status;
    const std::string& err0 = ranks[0].err;
    ASSERT_TRUE(WIFSIGNALED(st1)) << name;
    EXPECT_EQ(WTERMSIG(st1), SIGKILL) << name;
    ASSERT_TRUE(WIFEXITED(st0)) << name << ": signal " << (WIFSIGNALED(st0) ? WTERMSIG(st0) : 0) << ": " << err0;
    EXPECT_EQ(WEXITSTATUS(st0), 1) << name << ": " << err0;
    EXPECT_NE(err0.find("rank 1 is gone"), std::string::npos) << name << ": " << err0;
    EXPECT_EQ(err0.find("internal error"), std::string::npos) << name << ": " << err0;
    EXPECT_TRUE(fs::exists(runDir(name) + "/plan.json")) << name;
  }
}

TEST_F(DistributedTest, ARankThatFailsOnItsOwnIsQuotedByItsPeer) {
  // Rank 1 reads a plan whose dataset has no files: a user error on that rank alone.
  auto bad = tinyPlan(40);
  bad.datasets[0].paths = {"corpus/missing/*.txt"};
  const auto ranks = startRanks({writePlan(tinyPlan(40)), writePlan(bad, "bad.json")}, runDir("one-fails"), "");
  ASSERT_TRUE(WIFEXITED(ranks[1].status));
  EXPECT_EQ(WEXITSTATUS(ranks[1].status), 1) << ranks[1].err;
  ASSERT_TRUE(WIFEXITED(ranks[0].status));
  EXPECT_EQ(WEXITSTATUS(ranks[0].status), 1) << ranks[0].err;
  EXPECT_NE(ranks[0].err.find("rank 1 failed: no files match `corpus/missing/*.txt`"), std::string::npos) << ranks[0].err;
}

TEST_F(DistributedTest, TheLauncherNamesAKilledWorkerAndStopsTheRest) {
  const auto plan = writePlan(tinyPlan(400));
  std::string err;
  const int code = launch(2, runtimeArgs(plan, {"--run-dir", runDir("killed")}), &err, "1:5");
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find("error: worker rank 1"), std::string::npos) << err;
  EXPECT_NE(err.find("SIGKILL"), std::string::npos) << err;
  for (const auto& sum : metrics(runDir("killed"), "summary"))  // an unfinished one at most
    EXPECT_FALSE(sum["finished"].get<bool>()) << sum.dump();
}

TEST_F(DistributedTest, AMissingPeerIsNamedAfterTheTimeout) {
  const auto plan = writePlan(tinyPlan(4));
  std::string err;
  const int code = captured([&] {
    ::setenv("RANK", "0", 1);
    ::setenv("WORLD_SIZE", "3", 1);
    ::setenv("MASTER_ADDR", "127.0.0.1", 1);
    ::setenv("MASTER_PORT", std::to_string(cli::freeLocalPort()).c_str(), 1);
    auto args = runtimeArgs(plan, {"--run-dir", runDir("alone")}, "2");
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    return 127;
  }, &err);
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find("ranks 1, 2 never joined"), std::string::npos) << err;
}

TEST_F(DistributedTest, MalformedLauncherVariablesAreNamed) {
  const auto plan = writePlan(tinyPlan(4));
  std::string err;
  const int code = captured([&] {
    ::setenv("RANK", "2", 1);
    ::setenv("WORLD_SIZE", "2", 1);
    auto args = runtimeArgs(plan, {"--run-dir", runDir("bad")});
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    return 127;
  }, &err);
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find("RANK=2 is not below WORLD_SIZE=2"), std::string::npos) << err;
}

// A group of `copies` identical ranks, simulated: a sum is `copies` times the value.
class FakeGroup : public Comm {
 public:
  explicit FakeGroup(int copies) : copies_(copies) {}
  int rank() const override { return 0; }
  int world() const override { return copies_; }
  int localRank() const override { return 0; }
  std::string backend() const override { return "fake"; }
  void allreduce(std::vector<at::Tensor>& ts, ReduceOp op) override {
    launches_.push_back(ts.size());
    if (op == ReduceOp::kSum)
      for (auto& t : ts) t.mul_(copies_);
  }
  void broadcast(at::Tensor&, int) override {}
  at::Tensor allgather(const at::Tensor& t) override { return t.unsqueeze(0).expand({copies_, t.numel()}).clone(); }
  void barrier() override {}
  void storeBarrier(const std::string&, double) override {}
  void reportFailure(const std::string&) override {}
  std::vector<size_t> launches_;

 private:
  int copies_;
};

TEST(DistributedUnits, GradientsAreSummedInBucketsAndUndefinedOnesStayUndefined) {
  std::vector<at::Tensor> params;
  for (int64_t n : {5, 7, 3, 11}) params.push_back(at::randn({n}, at::kFloat).requires_grad_());
  params.push_back(at::randn({2, 3}, at::kDouble).requires_grad_());
  std::vector<at::Tensor> before;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i == 2) continue;  // no gradient (a layer the step's subnet skipped)
    params[i].mutable_grad() = at::randn_like(params[i]);
  }
  for (const auto& p : params) before.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
  FakeGroup group(3);
  GradientSync sync(group, params, /*bucket_bytes=*/40, /*overlap=*/true);  // 10 floats a bucket
  // Reverse parameter order, one dtype per bucket: doubles {6}, floats {11}, {3, 7}, {5}.
  ASSERT_EQ(sync.buckets(), 4u);
  EXPECT_EQ(sync.bucketBytes(0), 48);
  EXPECT_EQ(sync.bucketBytes(1), 44);
  EXPECT_EQ(sync.bucketBytes(2), 40);
  EXPECT_EQ(sync.bucketBytes(3), 20);
  std::vector<at::Tensor> extra{at::ones({4})};
  sync.finish(extra);  // not armed (no backward ran): every bucket goes now, in bucket order
  EXPECT_EQ(group.launches_, (std::vector<size_t>{1, 1, 1, 1, 1}));  // four buckets, then the extra
  EXPECT_EQ(sync.launchedDuringBackward(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    if (i == 2) {
      EXPECT_FALSE(params[i].grad().defined());
      continue;
    }
    EXPECT_TRUE(torch::allclose(params[i].grad(), before[i] * 3)) << i;
  }
  EXPECT_TRUE(torch::equal(extra[0], at::full({4}, 3.0f)));

  // The first bucket stops at 1 MiB, so that the first launch comes early; the rest fill
  // up to the bucket size. Four 1.2 MB parameters, 25 MiB buckets: {1}, {3}.
  std::vector<at::Tensor> big;
  for (int i = 0; i < 4; ++i) big.push_back(at::zeros({300000}).requires_grad_());
  GradientSync sized(group, big, 25 << 20, true);
  ASSERT_EQ(sized.buckets(), 2u);
  EXPECT_EQ(sized.bucketBytes(0), 1200000);
  EXPECT_EQ(sized.bucketBytes(1), 3600000);
}

// A 3-layer MLP whose backward runs under an armed GradientSync over a fake group of 2.
struct Mlp {
  torch::nn::Sequential net{torch::nn::Linear(16, 32), torch::nn::Tanh(), torch::nn::Linear(32, 32),
                            torch::nn::Tanh(), torch::nn::Linear(32, 4)};
  at::Tensor x = at::randn({8, 16});
  at::Tensor loss() { return net->forward(x).pow(2).mean(); }
  std::vector<at::Tensor> grads() {
    std::vector<at::Tensor> out;
    for (const auto& p : net->parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
    return out;
  }
  void zero() {
    for (auto& p : net->parameters()) p.mutable_grad() = at::Tensor();
  }
};

TEST(DistributedUnits, BucketsGoOutDuringTheLastBackwardInBucketOrder) {
  torch::manual_seed(3);
  Mlp m;
  m.loss().backward();
  m.loss().backward();  // two micro-batches: the reference is their accumulated gradient
  const auto ref = m.grads();
  m.zero();
  FakeGroup group(2);
  GradientSync sync(group, m.net->parameters(), /*bucket_bytes=*/256, /*overlap=*/true);
  ASSERT_GE(sync.buckets(), 3u);
  m.loss().backward();  // the first micro-batch: nothing goes out
  EXPECT_TRUE(group.launches_.empty());
  sync.armForLastBackward();
  m.loss().backward();
  // Every parameter got its gradient, so every bucket left while the backward ran.
  EXPECT_EQ(group.launches_.size(), sync.buckets());
  std::vector<at::Tensor> extra;
  sync.finish(extra);
  EXPECT_EQ(sync.launchedDuringBackward(), int64_t(sync.buckets()));
  const auto got = m.grads();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(torch::allclose(got[i], ref[i] * 2)) << i;

  // Without overlap: the same sums, all launched by finish.
  m.zero();
  FakeGroup group2(2);
  GradientSync after(group2, m.net->parameters(), 256, /*overlap=*/false);
  m.loss().backward();
  after.armForLastBackward();
  m.loss().backward();
  EXPECT_TRUE(group2.launches_.empty());
  after.finish(extra);
  EXPECT_EQ(group2.launches_.size(), after.buckets());
  EXPECT_EQ(after.launchedDuringBackward(), 0);
  const auto got2 = m.grads();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(torch::equal(got2[i], got[i])) << i;
}

TEST(DistributedUnits, AParameterTheGraphSkipsHoldsItsBucketUntilFinish) {
  torch::manual_seed(4);
  Mlp m;
  auto params = m.net->parameters();
  auto unused = at::randn({300}).requires_grad_();  // like a layer an EST subnet skipped
  params.insert(params.begin() + 2, unused);        // sits in a middle bucket
  FakeGroup group(2);
  GradientSync sync(group, params, /*bucket_bytes=*/1024, /*overlap=*/true);
  sync.armForLastBackward();
  m.loss().backward();
  const size_t early = group.launches_.size();
  EXPECT_GT(early, 0u);              // the output layers' buckets went during the backward
  EXPECT_LT(early, sync.buckets());  // the one holding `unused`, and all after it, wait
  std::vector<at::Tensor> extra{at::ones({2})};
  sync.finish(extra);
  EXPECT_EQ(group.launches_.size(), sync.buckets() + 1);
  EXPECT_EQ(sync.launchedDuringBackward(), int64_t(early));
  EXPECT_FALSE(unused.grad().defined());
  EXPECT_TRUE(torch::equal(extra[0], at::full({2}, 2.0f)));
}

TEST(DistributedUnits, ASecondArmedBackwardIsStillSummedWhole) {
  torch::manual_seed(5);
  Mlp m;
  m.loss().backward();
  m.loss().backward();
  const auto ref = m.grads();
  m.zero();
  FakeGroup group(2);
  GradientSync sync(group, m.net->parameters(), 1024, /*overlap=*/true);
  sync.armForLastBackward();
  m.loss().backward();
  m.loss().backward();  // the hooks fire twice: buckets that left hold half the gradient
  std::vector<at::Tensor> extra;
  sync.finish(extra);  // so all are reduced again after the backward
  EXPECT_EQ(sync.launchedDuringBackward(), 0);
  const auto got = m.grads();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(torch::allclose(got[i], ref[i] * 2)) << i;
}

TEST(DistributedUnits, OptimizerShardsBalanceTheParametersAndKeepOnlyOwnGradients) {
  std::vector<at::Tensor> params;
  for (int64_t n : {10, 100, 50, 60}) {
    params.push_back(at::zeros({n}).requires_grad_());
    params.back().mutable_grad() = at::ones({n});
  }
  FakeGroup group(2);  // this is rank 0 of 2
  OptimizerShards shards(group, params);
  // Largest first to the lighter rank: 100 -> 0, 60 -> 1, 50 -> 1, 10 -> 0.
  EXPECT_EQ(shards.owner(1), 0);
  EXPECT_EQ(shards.owner(3), 1);
  EXPECT_EQ(shards.owner(2), 1);
  EXPECT_EQ(shards.owner(0), 0);
  EXPECT_EQ(shards.ownedElements(), 110);
  EXPECT_EQ(shards.totalElements(), 220);
  shards.keepOwnGradients(params);
  EXPECT_TRUE(params[0].grad().defined());
  EXPECT_TRUE(params[1].grad().defined());
  EXPECT_FALSE(params[2].grad().defined());
  EXPECT_FALSE(params[3].grad().defined());
}

TEST(DistributedUnits, WithoutLauncherVariablesTheRunIsOneProcess) {
  ::unsetenv("WORLD_SIZE");
  const auto env = readDistEnv();
  EXPECT_EQ(env.world, 1);
  auto comm = joinGroup(at::Device(at::kCPU), 60);
  EXPECT_EQ(comm->world(), 1);
  EXPECT_EQ(comm->backend(), "none");
  EXPECT_EQ(comm->sum({1.5, 2}), (std::vector<double>{1.5, 2}));
  EXPECT_EQ(comm->broadcastString("runs/x"), "runs/x");
}

}  // namespace
}  // namespace recipec::train
