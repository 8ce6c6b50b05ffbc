// test_hardening.cpp — what happens when (docs/runtime.md): signals, concurrent runs, damaged
// and missing checkpoints, a full disk, NaN and divergence rules, bad flags, kill -9 at
// random moments. Each case drives the real binaries (`recipec-runtime`, and `recipec` where
// the row is about `recipec run`) as child processes and checks exit codes, messages and the
// run directory; a stopped-and-resumed run must end with weights byte-identical to a run
// that never stopped. Children are synchronised on their log lines (a pipe), never on time.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "runtime/data/DataError.h"
#include "runtime/data/Sha256.h"
#include "runtime/data/Shard.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Errors.h"
#include "runtime/train/Trainer.h"
#include "train_fixture.h"

namespace recipec::train {
namespace {

using testing::TrainTest;
namespace fs = std::filesystem;

// A child process with its stderr on a pipe.
struct Child {
  pid_t pid = -1;
  FILE* err = nullptr;
  std::string text;  // stderr read so far

  // Reads stderr lines until one contains `needle` (true) or the child closes it (false).
  bool readUntil(const std::string& needle) {
    char* line = nullptr;
    size_t cap = 0;
    bool found = false;
    while (!found && ::getline(&line, &cap, err) > 0) {
      text += line;
      found = std::string(line).find(needle) != std::string::npos;
    }
    std::free(line);
    return found;
  }
  // Reads the rest of stderr, reaps the child; the exit code, or 128 + signal.
  int finish() {
    readUntil("\x01never\x01");
    std::fclose(err);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

// `pause_at` >= 0: the trainer waits at that step's boundary for a stop signal
// (RECIPEC_TEST_PAUSE_AT_STEP), so a signal sent after its log line lands at that step.
Child spawn(const std::vector<std::string>& args, const fs::path& cwd, int pause_at = -1) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    if (::chdir(cwd.c_str()) != 0) ::_exit(99);
    if (pause_at >= 0) ::setenv("RECIPEC_TEST_PAUSE_AT_STEP", std::to_string(pause_at).c_str(), 1);
    else ::unsetenv("RECIPEC_TEST_PAUSE_AT_STEP");
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(98);
  }
  ::close(fds[1]);
  c.err = ::fdopen(fds[0], "r");
  return c;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Rewrites a checkpoint file and its manifest entry, so the checksum holds but the content
// is wrong: what a foreign tool or a hand edit leaves.
void replaceSealed(const fs::path& folder, const std::string& name, const std::string& bytes) {
  std::ofstream(folder / name, std::ios::binary | std::ios::trunc) << bytes;
  auto manifest = nlohmann::json::parse(readFile(folder / "MANIFEST.json"));
  manifest["files"][name] = data::sha256File((folder / name).string());
  std::ofstream(folder / "MANIFEST.json", std::ios::trunc) << manifest.dump(2);
}

// The stdout of a command (run to its end).
std::string stdoutOf(const std::vector<std::string>& args) {
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  FILE* p = ::popen((cmd + "2>/dev/null").c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

class HardeningTest : public TrainTest {
 protected:
  // A 12-step run with a checkpoint every 4 steps and evaluation: the run the cases stop,
  // damage and resume.
  std::string plan(const std::function<void(plan::Plan&)>& edit = {}) {
    auto p = tinyPlan(12);
    p.checkpoint.every = plan::Quantity{4, "steps", -1};
    plan::Evaluate e;
    e.dataset = "a";
    e.every = {6, "steps", -1};
    e.max_blocks = 4;
    p.evaluations.push_back(e);
    if (edit) edit(p);
    return writePlan(p, "plan-" + std::to_string(++plans_) + ".json");
  }
  std::vector<std::string> runtime(const std::string& plan_path, std::vector<std::string> extra) const {
    std::vector<std::string> args{RECIPEC_RUNTIME_BIN, "run", plan_path, "--peak-flops", "1e11", "--log-every", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  int runToEnd(const std::vector<std::string>& args, std::string* err = nullptr) {
    Child c = spawn(args, root_);
    const int rc = c.finish();
    if (err) *err = c.text;
    return rc;
  }
  // The weights of an uninterrupted run of `plan_path` (computed once per test).
  std::string reference(const std::string& plan_path) {
    const auto dir = runDir("reference");
    if (!fs::exists(dir)) EXPECT_EQ(runToEnd(runtime(plan_path, {"--run-dir", dir})), 0);
    return readFile(dir + "/model.safetensors");
  }
  static std::vector<std::string> checkpointEvents(const std::string& run) {
    std::vector<std::string> out;
    for (const auto& e : metrics(run, "event"))
      if (e["event"] == "checkpoint") out.push_back(std::to_string(e["step"].get<int64_t>()));
    return out;
  }
  int plans_ = 0;
};

TEST_F(HardeningTest, SigtermStopsWithACheckpointAndResumeIsBitExact) {
  const auto p = plan();
  const auto ref = reference(p);
  const auto dir = runDir("term");
  Child c = spawn(runtime(p, {"--run-dir", dir}), root_, 6);
  ASSERT_TRUE(c.readUntil("step 6/")) << c.text;
  ::kill(c.pid, SIGTERM);
  EXPECT_EQ(c.finish(), 128 + SIGTERM) << c.text;
  EXPECT_NE(c.text.find("stopped by SIGTERM"), std::string::npos) << c.text;
  EXPECT_NE(c.text.find("--resume " + dir), std::string::npos) << c.text;
  const auto summary = metrics(dir, "summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_FALSE(summary[0]["finished"].get<bool>());
  EXPECT_EQ(summary[0]["interrupted"], "SIGTERM");
  EXPECT_FALSE(fs::exists(dir + "/model.safetensors"));

  std::string err;
  ASSERT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 0) << err;
  EXPECT_EQ(readFile(dir + "/model.safetensors"), ref);
  // The resumed run's log has every checkpoint event the uninterrupted one has, and the
  // one the signal added at step 6 (it survives the resume: it is the one resumed from).
  auto expected = checkpointEvents(runDir("reference"));
  expected.insert(expected.begin() + 1, "6");
  EXPECT_EQ(checkpointEvents(dir), expected);
}

TEST_F(HardeningTest, ASecondRunOnTheSameDirectoryIsRefusedWithThePid) {
  const auto p = plan();
  const auto dir = runDir("busy");
  Child first = spawn(runtime(p, {"--run-dir", dir}), root_, 5);
  ASSERT_TRUE(first.readUntil("step 5/")) << first.text;  // held at step 5, past the step-4 checkpoint
  std::string err;
  EXPECT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 1);
  EXPECT_NE(err.find("in use by another run (pid " + std::to_string(first.pid) + ")"), std::string::npos) << err;
#ifdef RECIPEC_BIN
  // `recipec runs` sees the holder without disturbing it.
  const std::string list = stdoutOf({RECIPEC_BIN, "runs", runDir("")});
  EXPECT_NE(list.find("running (pid " + std::to_string(first.pid) + ")"), std::string::npos) << list;
#endif
  ::kill(first.pid, SIGINT);
  EXPECT_EQ(first.finish(), 128 + SIGINT) << first.text;
  // Once the holder is gone the lock is free.
  EXPECT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 0) << err;
}

class DamagedCheckpoint : public HardeningTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(DamagedCheckpoint, IsNamedSetAsideAndResumeFallsBack) {
  const auto p = plan();
  const auto ref = reference(p);
  const auto dir = runDir("damaged");
  ASSERT_EQ(runToEnd(runtime(p, {"--run-dir", dir, "--until-step", "8"})), 0);
  const fs::path newest = fs::path(dir) / "checkpoints" / "step_00000008";
  const std::string kind = GetParam();
  std::string file;
  if (kind == "empty_state") {
    file = "state.json";
    replaceSealed(newest, file, "{}");
  } else if (kind == "truncated_optimizer") {
    file = "optimizer.pt";
    const auto bytes = readFile(newest / file);
    replaceSealed(newest, file, bytes.substr(0, bytes.size() / 2));
  } else if (kind == "garbage_tensors") {
    file = "tensors.pt";
    replaceSealed(newest, file, std::string(4096, '\x5a'));
  } else {  // no manifest: an unsealed folder
    file = "MANIFEST.json";
    fs::remove(newest / file);
  }
  std::string err;
  ASSERT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 0) << err;
  EXPECT_EQ(err.find("internal error"), std::string::npos) << err;
  EXPECT_NE(err.find("warning: skipped a damaged checkpoint"), std::string::npos) << err;
  EXPECT_NE(err.find(file), std::string::npos) << err;
  // Kept for inspection, never overwritten: the resumed run saved its own step 8.
  EXPECT_TRUE(fs::exists(fs::path(dir) / "checkpoints" / "damaged-step_00000008")) << err;
  EXPECT_EQ(readFile(dir + "/model.safetensors"), ref);
}

INSTANTIATE_TEST_SUITE_P(Kinds, DamagedCheckpoint,
                         ::testing::Values("empty_state", "truncated_optimizer", "garbage_tensors", "no_manifest"));

TEST_F(HardeningTest, NoLoadableCheckpointIsAnErrorThatChangesNothing) {
  const auto p = plan();
  const auto dir = runDir("all-damaged");
  ASSERT_EQ(runToEnd(runtime(p, {"--run-dir", dir, "--until-step", "4"})), 0);
  const fs::path only = fs::path(dir) / "checkpoints" / "step_00000004";
  replaceSealed(only, "state.json", "{}");
  std::string err;
  EXPECT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 1);
  EXPECT_NE(err.find("step_00000004/state.json` is damaged"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(only));  // nothing moved or deleted
}

TEST_F(HardeningTest, ARunKilledBeforeItsFirstCheckpointResumesFromTheStart) {
  const auto p = plan();
  const auto ref = reference(p);
  // What such a run leaves: its plan, run files and some metrics, no checkpoint.
  const auto dir = runDir("early");
  ASSERT_EQ(runToEnd(runtime(p, {"--run-dir", dir, "--until-step", "3"})), 0);
  fs::remove_all(fs::path(dir) / "checkpoints");
  std::string err;
  ASSERT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 0) << err;
  EXPECT_NE(err.find("has no checkpoint"), std::string::npos) << err;
  EXPECT_EQ(readFile(dir + "/model.safetensors"), ref);
  EXPECT_EQ(metrics(dir, "train").size(), 12u);  // the first attempt's lines are gone
  // Killed before it wrote anything at all: an empty folder.
  const auto empty = runDir("empty");
  fs::create_directories(empty);
  ASSERT_EQ(runToEnd(runtime(p, {"--resume", empty}), &err), 0) << err;
  EXPECT_EQ(readFile(empty + "/model.safetensors"), ref);
}

TEST_F(HardeningTest, ADifferentPlanIsRefusedNamingTheField) {
  const auto p = plan();
  const auto dir = runDir("plan");
  ASSERT_EQ(runToEnd(runtime(p, {"--run-dir", dir, "--until-step", "4"})), 0);
  std::string err;
  const auto other = plan([](plan::Plan& q) { q.train.optimizer.lr = 1e-3; });
  EXPECT_EQ(runToEnd(runtime(other, {"--resume", dir}), &err), 1);
  EXPECT_NE(err.find("`train.optimizer.lr`: 0.003 in the run, 0.001 now"), std::string::npos) << err;
  EXPECT_EQ(err.find("plan-"), std::string::npos) << "names the temporary plan: " << err;
  // The same plan reached through another recipe path resumes.
  const auto moved = plan([](plan::Plan& q) { q.recipe_path = "elsewhere/tiny.recipe"; });
  EXPECT_EQ(runToEnd(runtime(moved, {"--resume", dir}), &err), 0) << err;
}

TEST_F(HardeningTest, BadNumericFlagsAreRefused) {
  const auto p = plan();
  for (const auto& flag : std::vector<std::vector<std::string>>{
           {"--threads", "100000"}, {"--threads", "0"}, {"--peak-flops", "0"}, {"--peak-flops", "-1"},
           {"--log-every", "0"}, {"--until-step", "-3"}}) {
    std::vector<std::string> args{RECIPEC_RUNTIME_BIN, "run", p, "--run-dir", runDir("flags")};
    args.insert(args.end(), flag.begin(), flag.end());
    std::string err;
    EXPECT_EQ(runToEnd(args, &err), 1) << flag[0] << " " << flag[1] << ": " << err;
    EXPECT_NE(err.find(flag[0]), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(runDir("flags")));
  }
}

// ---- NaN and divergence rules (through runPlan: the NaN is injected at a chosen step)

class RulesTest : public HardeningTest {
 protected:
  RunOptions options(const std::string& plan_path, const std::string& run) const {
    RunOptions o;
    o.plan_path = plan_path;
    o.run_dir = runDir(run);
    o.quiet = true;
    o.peak_flops = 1e11;
    return o;
  }
};

TEST_F(RulesTest, OnNanStopSavesACheckpointAndFails) {
  const auto p = plan([](plan::Plan& q) { q.events.push_back({"nan", std::nullopt, "stop"}); });
  auto o = options(p, "nanstop");
  o.debug_nan_step = 6;
  try {
    runPlan(o);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("loss is NaN at step 6; stopped by `on nan: stop`"), std::string::npos) << e.what();
  }
  Checkpointer ck(runDir("nanstop") + "/checkpoints", 0);
  EXPECT_EQ(Checkpointer::stepOf(*ck.latest()), 7);  // past the batch that failed
  const auto summary = metrics(runDir("nanstop"), "summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_FALSE(summary[0]["finished"].get<bool>());
  EXPECT_FALSE(fs::exists(runDir("nanstop") + "/model.safetensors"));
}

TEST_F(RulesTest, SkipEveryStepEndsTheRunAsDiverged) {
  // A learning rate this large makes the first update blow the weights up; every later step
  // is NaN or above 2 ln V and `on nan: skip` skips it.
  const auto p = plan([](plan::Plan& q) {
    q.train.optimizer.lr = 1e6;
    q.train.optimizer.grad_clip = 0;
    q.train.schedule.kind = "constant";
    q.train.schedule.warmup_steps = 0;
    q.events.push_back({"nan", std::nullopt, "skip"});
    q.phases[0].duration = {40, "steps", -1};
  });
  try {
    runPlan(options(p, "skipall"));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("were all skipped"), std::string::npos) << e.what();
  }
  for (const auto& s : metrics(runDir("skipall"), "summary")) EXPECT_FALSE(s["finished"].get<bool>());
  EXPECT_FALSE(fs::exists(runDir("skipall") + "/model.safetensors"));
}

TEST_F(RulesTest, ASigmaRuleDoesNotHideDivergenceFromStepZero) {
  const auto p = plan([](plan::Plan& q) {
    q.train.optimizer.lr = 1e6;
    q.train.optimizer.grad_clip = 0;
    q.train.schedule.kind = "constant";
    q.train.schedule.warmup_steps = 0;
    plan::Event spike{"loss_spike", plan::Condition{"loss", "", ">", {"sigma", 4, 50}}, "skip"};
    q.events.push_back(spike);
  });
  try {
    runPlan(options(p, "diverge"));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("diverged") != std::string::npos || what.find("NaN") != std::string::npos) << what;
  }
  for (const auto& s : metrics(runDir("diverge"), "summary")) EXPECT_FALSE(s["finished"].get<bool>());
  EXPECT_FALSE(fs::exists(runDir("diverge") + "/model.safetensors"));
}

// ---- shards written by another tool (no sidecar): the tokenizer the advice names is allowed

TEST_F(RulesTest, ShardsWithoutASidecarTrainWhenTheyNameTheirTokenizer) {
  // Two documents per shard, end-of-text 256 between them, as llm.c's scripts write them.
  fs::create_directories(root_ / "shards");
  std::mt19937 rng(5);
  for (int k = 0; k < 2; ++k) {
    std::vector<int32_t> tokens;
    std::vector<int64_t> starts;
    for (int d = 0; d < 40; ++d) {
      starts.push_back(int64_t(tokens.size()));
      tokens.push_back(256);
      for (int i = 0; i < 60; ++i) tokens.push_back(int32_t('a' + rng() % 26));
    }
    const auto path = (root_ / "shards" / ("s" + std::to_string(k) + ".bin")).string();
    data::writeShard(path, tokens, starts, data::ShardMeta{257, 256, ""});
    fs::remove(path + ".json");
  }
  auto make = [&](bool with_tokenizer) {
    return plan([&](plan::Plan& q) {
      q.datasets[1].kind = "shards";
      q.datasets[1].paths = {"shards/*.bin"};
      q.datasets[1].tokenizer = with_tokenizer ? "bytes" : "";
    });
  };
  try {
    runPlan(options(make(false), "no-tok"));
    FAIL() << "expected a DataError";
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer = NAME"), std::string::npos) << e.what();
  }
  EXPECT_EQ(runPlan(options(make(true), "tok")).steps, 12);
}

// ---- a full disk (a small tmpfs; needs root to mount, skipped otherwise)

TEST_F(HardeningTest, AFullDiskIsAnErrorThatKeepsThePreviousCheckpoint) {
  const fs::path mnt = root_ / "small-disk";
  fs::create_directories(mnt);
  if (::geteuid() != 0 || ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1536k") != 0)
    GTEST_SKIP() << "mounting a tmpfs needs root";
  const auto p = plan([](plan::Plan& q) {
    q.checkpoint.every = plan::Quantity{1, "steps", -1};
    q.checkpoint.keep = 0;
  });
  const std::string dir = (mnt / "run").string();
  std::string err;
  const int rc = runToEnd(runtime(p, {"--run-dir", dir}), &err);
  Checkpointer ck(dir + "/checkpoints", 0);
  const auto latest = ck.latest();
  const bool left_tmp = fs::exists(dir + "/checkpoints") &&
                        std::any_of(fs::directory_iterator(dir + "/checkpoints"), fs::directory_iterator(),
                                    [](const auto& e) { return e.path().filename().string().rfind(".tmp-", 0) == 0; });
  ::umount2(mnt.c_str(), MNT_DETACH);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_EQ(err.find("internal error"), std::string::npos) << err;
  ASSERT_TRUE(latest.has_value()) << err;
  EXPECT_NE(err.find(fs::path(*latest).filename().string() + "` is intact"), std::string::npos) << err;
  EXPECT_FALSE(left_tmp);
}

// ---- kill -9 at random moments

TEST_F(HardeningTest, KillNineAtTenRandomMomentsThenResumeIsBitExact) {
  const auto p = plan([](plan::Plan& q) {
    q.phases[0].duration = {60, "steps", -1};
    q.checkpoint.every = plan::Quantity{3, "steps", -1};
  });
  const auto ref = reference(p);
  const auto dir = runDir("kill9");
  std::mt19937 rng(20261128);
  int kills = 0;
  for (int attempt = 0; attempt < 40 && kills < 10; ++attempt) {
    // Killed before its first file, the folder is empty and --resume starts it over.
    Child c = spawn(runtime(p, {fs::exists(dir) ? "--resume" : "--run-dir", dir}), root_);
    // Kill after a random number of log lines: inside a step, a checkpoint or an evaluation.
    const int lines = 1 + int(rng() % 12);
    bool alive = true;
    for (int i = 0; i < lines && alive; ++i) alive = c.readUntil("\n");
    if (alive) {
      ::kill(c.pid, SIGKILL);
      ++kills;
    }
    const int rc = c.finish();
    if (!alive && rc == 0) break;  // the run reached its end before the kill
  }
  EXPECT_GE(kills, 10);
  std::string err;
  if (!fs::exists(dir + "/model.safetensors")) ASSERT_EQ(runToEnd(runtime(p, {"--resume", dir}), &err), 0) << err;
  EXPECT_EQ(readFile(dir + "/model.safetensors"), ref);
}

// ---- `recipec run`: the supervisor in front of the trainer

#ifdef RECIPEC_BIN
class RecipecRunTest : public HardeningTest {
 protected:
  void SetUp() override {
    HardeningTest::SetUp();
    std::ofstream(root_ / "tiny.recipe") << R"(recipe "tiny"
tokenizer tok = bytes()
dataset a = text("corpus/a/*.txt", tokenizer = tok) split val 10%
model net = gpt2 { layers: 2, d_model: 32, heads: 2, vocab: 257, ctx: 32 }
train {
  model net
  seq_len 32
  batch 8
  micro_batch 4
  optimizer adamw(lr = 3e-3)
  seed 7
}
phase main for 40 steps { mix a }
checkpoint every 5 steps
)";
  }
  static std::vector<std::string> recipec(std::vector<std::string> extra) {
    std::vector<std::string> args{RECIPEC_BIN, "run"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST_F(RecipecRunTest, SigtermReachesTheTrainerWhichSavesAndTheTempPlanIsRemoved) {
  const auto ref_dir = runDir("whole");
  std::string err;
  ASSERT_EQ(runToEnd(recipec({"tiny.recipe", "--run-dir", ref_dir, "--log-every", "1"}), &err), 0) << err;
  const auto dir = runDir("term");
  Child c = spawn(recipec({"tiny.recipe", "--run-dir", dir, "--log-every", "1"}), root_, 7);
  ASSERT_TRUE(c.readUntil("step 7/")) << c.text;
  ::kill(c.pid, SIGTERM);  // only recipec: the trainer is in its own process group
  EXPECT_EQ(c.finish(), 128 + SIGTERM) << c.text;
  EXPECT_NE(c.text.find("stopped by SIGTERM"), std::string::npos) << c.text;
  // The trainer has ended (recipec waited for it): the lock is free, the temp plan gone.
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / ("recipec-plan-" + std::to_string(c.pid) + ".json")));
  // Resumed without the recipe, from the plan the run holds.
  ASSERT_EQ(runToEnd(recipec({"--resume", dir}), &err), 0) << err;
  EXPECT_EQ(readFile(dir + "/model.safetensors"), readFile(ref_dir + "/model.safetensors"));
  // The same recipe through another path resumes too (nothing left to train: it ends at once).
  EXPECT_EQ(runToEnd(recipec({"./tiny.recipe", "--resume", dir}), &err), 0) << err;
}

// kill -9 of the trainer under `recipec run`: the advice names the run directory the runtime
// chose (no --run-dir given), and that command resumes it.
TEST_F(RecipecRunTest, AKilledTrainerNamesItsRunDirectoryToResume) {
  Child c = spawn(recipec({"tiny.recipe", "--log-every", "1"}), root_, 7);
  ASSERT_TRUE(c.readUntil("step 7/")) << c.text;
  std::ifstream children("/proc/" + std::to_string(c.pid) + "/task/" + std::to_string(c.pid) + "/children");
  pid_t trainer = -1;
  ASSERT_TRUE(children >> trainer) << "no child of recipec";
  ::kill(trainer, SIGKILL);
  EXPECT_EQ(c.finish(), 128 + SIGKILL) << c.text;
  const std::string say = "continue with `recipec run --resume ";
  const auto at = c.text.find(say);
  ASSERT_NE(at, std::string::npos) << c.text;
  const std::string dir = c.text.substr(at + say.size(), c.text.find('`', at + say.size()) - (at + say.size()));
  EXPECT_EQ(dir.find("DIR"), std::string::npos) << dir;
  ASSERT_TRUE(fs::is_directory(root_ / dir)) << dir;
  std::string err;
  EXPECT_EQ(runToEnd(recipec({"--resume", dir}), &err), 0) << err;
}

// Data edited between a run and its resume: refused by name, whatever the edit, before any
// checkpoint is read (never "the checkpoint is damaged"), with a way forward that works.
TEST_F(RecipecRunTest, AResumeOnChangedDataIsRefusedNamingTheFile) {
  const auto dir = runDir("edited");
  std::string err;
  ASSERT_EQ(runToEnd(recipec({"tiny.recipe", "--run-dir", dir, "--until-step", "5"}), &err), 0) << err;
  fs::path source;
  for (const auto& f : fs::directory_iterator(root_ / "corpus/a")) source = std::max(source, f.path());
  const std::string original = readFile(source.string());
  std::string edited = original;
  edited[edited.size() / 2] = edited[edited.size() / 2] == 'x' ? 'y' : 'x';  // same length
  std::ofstream(source, std::ios::binary) << edited;
  EXPECT_EQ(runToEnd(recipec({"--resume", dir}), &err), 1) << err;
  EXPECT_NE(err.find(source.filename().string() + "` was edited (the same size, different content)"), std::string::npos)
      << err;
  EXPECT_EQ(err.find("damaged"), std::string::npos) << err;
  EXPECT_NE(err.find("init from \"" + dir + "/checkpoints/step_"), std::string::npos) << err;
  std::ofstream(source, std::ios::binary) << original << "one more document\n";
  EXPECT_EQ(runToEnd(recipec({"--resume", dir}), &err), 1) << err;
  EXPECT_NE(err.find("` grew from " + std::to_string(original.size()) + " to "), std::string::npos) << err;
  // Restored, the run resumes and finishes.
  std::ofstream(source, std::ios::binary) << original;
  EXPECT_EQ(runToEnd(recipec({"--resume", dir}), &err), 0) << err;
}

TEST_F(RecipecRunTest, RunsListsEachRunWithItsStatus) {
  std::string err;
  ASSERT_EQ(runToEnd(recipec({"tiny.recipe", "--run-dir", runDir("done"), "--log-every", "1"}), &err), 0) << err;
  ASSERT_EQ(runToEnd(recipec({"tiny.recipe", "--run-dir", runDir("part"), "--until-step", "10"}), &err), 0) << err;
  Child c = spawn(recipec({"tiny.recipe", "--run-dir", runDir("term"), "--log-every", "1"}), root_, 12);
  ASSERT_TRUE(c.readUntil("step 12/")) << c.text;
  ::kill(c.pid, SIGTERM);
  ASSERT_EQ(c.finish(), 128 + SIGTERM) << c.text;
  const std::string list = stdoutOf({RECIPEC_BIN, "runs", runDir("")});
  auto lineOf = [&](const std::string& name) {
    const size_t at = list.find(runDir(name) + " ");
    return at == std::string::npos ? std::string() : list.substr(at, list.find('\n', at) - at);
  };
  EXPECT_NE(lineOf("done").find("finished"), std::string::npos) << list;
  EXPECT_NE(lineOf("done").find("40/40"), std::string::npos) << list;
  EXPECT_NE(lineOf("part").find("stopped (--until-step)"), std::string::npos) << list;
  EXPECT_NE(lineOf("part").find("10/40"), std::string::npos) << list;
  EXPECT_NE(lineOf("term").find("interrupted (SIGTERM)"), std::string::npos) << list;
  EXPECT_NE(lineOf("term").find("12/40"), std::string::npos) << list;
  // --json: one object per run, the loss as logged.
  const auto last = metrics(runDir("done"), "train").back();
  bool seen = false;
  std::istringstream json(stdoutOf({RECIPEC_BIN, "runs", "--json", runDir("")}));
  for (std::string line; std::getline(json, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j["run"] != runDir("done")) continue;
    seen = true;
    EXPECT_EQ(j["loss"].get<double>(), last["loss"].get<double>());
    EXPECT_EQ(j["status"], "finished");
  }
  EXPECT_TRUE(seen);
}

// `recipec explain` counts parameters as the runtime builds them (its start line).
TEST_F(RecipecRunTest, ExplainCountsTheParametersTheRunBuilds) {
  std::string text = readFile(root_ / "tiny.recipe");
  const std::string gpt2 = "model net = gpt2 { layers: 2, d_model: 32, heads: 2, vocab: 257, ctx: 32 }";
  text.replace(text.find(gpt2), gpt2.size(),
               "model net = llama { layers: 2, d_model: 32, heads: 4, kv_heads: 2, d_ff: 96, vocab: 257, ctx: 32 }");
  std::ofstream(root_ / "tiny-llama.recipe") << text;
  for (const std::string recipe : {"tiny.recipe", "tiny-llama.recipe"}) {
    Child c = spawn(recipec({recipe, "--run-dir", runDir(recipe), "--until-step", "1"}), root_);
    ASSERT_EQ(c.finish(), 0) << c.text;
    const size_t at = c.text.find("M params");
    ASSERT_NE(at, std::string::npos) << c.text;
    const std::string run = c.text.substr(c.text.rfind(' ', at) + 1, at - c.text.rfind(' ', at) - 1);
    const std::string explained = stdoutOf({RECIPEC_BIN, "explain", (root_ / recipe).string()});
    EXPECT_NE(explained.find("; " + run + "M parameters"), std::string::npos) << recipe << ": run says " << run << "M\n"
                                                                             << explained;
  }
}

TEST_F(RecipecRunTest, BadFlagsAndAMissingRecipeAreUserErrors) {
  std::string err;
  EXPECT_EQ(runToEnd(recipec({"tiny.recipe", "--threads", "100000"}), &err), 1) << err;
  EXPECT_EQ(runToEnd(recipec({"tiny.recipe", "--log-every", "0"}), &err), 1) << err;
  EXPECT_EQ(runToEnd(recipec({}), &err), 1) << err;
  EXPECT_NE(err.find("needs a recipe file"), std::string::npos) << err;
  EXPECT_EQ(runToEnd(recipec({"--resume", runDir("nowhere")}), &err), 1) << err;
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
}
#endif

}  // namespace
}  // namespace recipec::train
