// Trainer.h — executes a plan: phases, rules, steps, evaluation, checkpoints, run directory.
//
// Contract: `runPlan(options)` reads the plan, builds data, model and optimizer, creates (or
// with --resume reopens) the run directory and trains to the end of the timeline, the
// `--until-step`, or a `stop` rule. It returns normally on success and throws UserError /
// plan::PlanError / data::DataError for problems the user can fix (main maps them to exit
// 1) — with every checkpoint already saved left intact. The step loop (docs/runtime.md):
//   boundary(s): enter the next phase if s is its start; evaluate if due; fire the phase's
//                due rules; push the selection to the sampler; checkpoint if due.
//   step(s):     lr from the schedule; policies' beforeStep; per micro-batch: forward
//                (autocast for bf16), per-sample loss, weights, backward (grads accumulate
//                in place), afterForward; clip; ONE device->host transfer of (loss, norm);
//                NaN / spike events; optimizer step.
// A resumed run restores the state saved at boundary s (after that boundary ran) and
// continues with step s, so it is bit-identical to a run that never stopped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace recipec::train {

class DataFeed;

struct RunOptions {
  std::string plan_path;
  std::string run_dir;          // empty: runs/<recipe>-<timestamp> (or the resume dir)
  std::string resume_dir;       // non-empty: continue this run from its latest checkpoint
  std::string runs_root = "runs";
  std::string device = "cpu";
  double peak_flops = 0;        // 0: measure (Device.h)
  int64_t log_every = 10;       // metrics.jsonl train line every N steps (and the last)
  int64_t until_step = -1;      // stop after this many steps (checkpoint saved); -1 = end
  int threads = 0;              // 0: LibTorch's default
  bool quiet = false;           // no log lines on stderr (errors still print)
  // Distributed runs (RANK/WORLD_SIZE/... set by the launcher): how long a collective or the
  // rendezvous waits for a peer before the run stops with an error naming it.
  double dist_timeout_s = 60;
  // ZeRO stage 1 (ShardedOptim.h): each rank keeps the AdamW state of its share of the
  // parameters. Same weights as unsharded; no effect in a single process.
  bool shard_optimizer = false;
  // Distributed runs: gradients are all-reduced in buckets of about this many MiB (the
  // first at most 1 MiB), launched during the backward as they fill (GradientSync.h) when
  // `overlap` is "on", after it when "off"; "auto" is on for CUDA and off on CPU, where the
  // reduction runs on the cores the backward computes on (docs/runtime.md has the figures).
  double bucket_mib = 25;
  std::string overlap = "auto";
  // The output layer's vocabulary padding (Device.h vocabPaddingFor): auto, off or a multiple.
  std::string pad_vocab = "auto";
  // AdamW's update: torch's fused kernel (on), LibTorch's op-by-op AdamW::step (off), or
  // whichever measured faster on the device (auto: fused on both; Optim.h).
  std::string fused_adamw = "auto";
  // Profile this many steps (Profile.h): a trace under <run>/profile/. 0 = off.
  int64_t profile_steps = 0;
  // A c10d group even for a world of one (Distributed.h), to measure what the group costs.
  bool process_group = false;
  // Test-only fault injection: at the start of step N, rank R sends itself `signal`.
  int64_t debug_kill_step = -1;
  int debug_kill_rank = -1;
  int debug_kill_signal = 9;  // SIGKILL
  // Test-only fault injection: the loss of step N's first-drawn batch reads NaN (a "bad
  // batch": a rollback that skips it trains on). -1 = off; not on the command line.
  int64_t debug_nan_step = -1;
  // Test-only: at this step's boundary, wait for SIGINT/SIGTERM/SIGHUP before going on (so a
  // test can signal a run at a known step). From RECIPEC_TEST_PAUSE_AT_STEP. -1 = off.
  int64_t test_pause_step = -1;
};

struct RunResult {
  std::string run_dir;
  int64_t steps = 0;            // optimizer steps completed
  double final_loss = 0;
  bool stopped_by_rule = false;
  int interrupted = 0;          // SIGINT/SIGTERM/SIGHUP that stopped the run (checkpoint saved)
};

RunResult runPlan(const RunOptions& options);
// With a given data feed instead of the plan's datasets (tests).
RunResult runPlan(const RunOptions& options, std::unique_ptr<DataFeed> feed);

}  // namespace recipec::train
