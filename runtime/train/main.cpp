// main.cpp — `recipec-runtime`: runs an execution plan (the `recipec run` back end).
//
//   recipec-runtime run PLAN.json [--run-dir D] [--resume D] [--device cpu|cuda]
//                   [--peak-flops F] [--log-every N] [--until-step N] [--threads N] [--quiet]
//                   [--dist-timeout S] [--shard-optimizer] [--bucket-mb M] [--overlap auto|on|off]
//                   [--process-group] [--profile N] [--pad-vocab auto|off|M]
//   (with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set, as torchrun or
//   `recipec run --nproc N` set them, it is one rank of a data-parallel run)
//   recipec-runtime eval JOB.json [--quiet]     (per-token NLL; runtime/eval/PerTokenNll.h)
//   recipec-runtime version | --version   (its version, the LibTorch it was built against,
//                                           and whether CUDA and NCCL were compiled in)
// Exit codes: 0 ok, 1 user error (plan, data, checkpoint, run directory, NaN, divergence, a
// full disk), 2 internal; 130 / 143 / 129 after SIGINT / SIGTERM / SIGHUP stopped the run
// with a checkpoint (runtime/train/Signals.h).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <torch/version.h>

#include "runtime/data/DataError.h"
#include "runtime/eval/PerTokenNll.h"
#include "runtime/models/Safetensors.h"
#include "runtime/plan/Plan.h"
#include "runtime/train/CliNumbers.h"
#include "runtime/train/Errors.h"
#include "runtime/train/RunDir.h"
#include "runtime/train/Signals.h"
#include "runtime/train/Trainer.h"

int main(int argc, char** argv) {
  // Keep freed memory in the heap instead of returning it to the kernel: a training step
  // frees and reallocates the same large buffers (logits, their gradient, activations)
  // every step, and with glibc's defaults each one is a fresh mmap whose pages fault in
  // again — measured 2-3x on the fused loss alone (docs/runtime.md, "Performance").
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);

  CLI::App app{"recipec-runtime: executes a recipec plan with LibTorch"};
  app.require_subcommand(0, 1);
  bool version_flag = false;
  app.add_flag("--version", version_flag, "print the version, the LibTorch built against, CUDA and NCCL");
  recipec::train::RunOptions opt;
  auto* run = app.add_subcommand("run", "train according to PLAN.json");
  run->add_option("plan", opt.plan_path, "the execution plan (recipec compile --emit=plan)")->required();
  run->add_option("--run-dir", opt.run_dir, "run directory (default runs/<recipe>-<timestamp>); must not exist");
  run->add_option("--resume", opt.resume_dir, "continue this run directory from its latest checkpoint");
  run->add_option("--runs-root", opt.runs_root, "parent of default run directories")->capture_default_str();
  run->add_option("--device", opt.device, "cpu or cuda")->capture_default_str();
  run->add_option("--peak-flops", opt.peak_flops, "peak FLOP/s for MFU (default: measured matmul)")
      ->check(recipec::clinum::number(0, 1e21, true, "FLOP/s > 0"));
  run->add_option("--log-every", opt.log_every, "metrics line every N steps")->capture_default_str()
      ->check(CLI::Range(int64_t(1), INT64_MAX));
  run->add_option("--until-step", opt.until_step, "stop (with a checkpoint) after this many steps")
      ->check(recipec::clinum::whole(0, INT64_MAX, "a step >= 0"));
  run->add_option("--threads", opt.threads, "intra-op threads (default: LibTorch's)")->check(CLI::Range(1, 1024));
  run->add_flag("--quiet", opt.quiet, "no progress or log lines");
  run->add_flag("--shard-optimizer", opt.shard_optimizer,
                "distributed runs: ZeRO-1, each rank keeps the optimizer state of its share of the parameters");
  run->add_option("--bucket-mb", opt.bucket_mib,
                  "distributed runs: MiB of gradients per all-reduce bucket")->capture_default_str()
      ->check(recipec::clinum::number(0, 1024, true, "MiB > 0 and at most 1024"));
  run->add_option("--overlap", opt.overlap,
                  "distributed runs: all-reduce gradient buckets during the backward (on), after it (off), "
                  "or on for CUDA and off on CPU (auto)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "on", "off"}));
  run->add_option("--pad-vocab", opt.pad_vocab,
                  "the output layer's product over the vocabulary rounded up to this multiple (auto: 128 on CUDA, "
                  "none on CPU; off; or a number)")->capture_default_str();
  run->add_option("--fused-adamw", opt.fused_adamw,
                  "AdamW as one fused kernel (on), op by op (off), or where faster (auto: both devices)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "on", "off"}));
  run->add_option("--profile", opt.profile_steps,
                  "profile N steps (from the second): <run>/profile/trace.json and a table of where the time went")
      ->check(recipec::clinum::whole(1, 1000000, "a number of steps >= 1"));
  run->add_flag("--process-group", opt.process_group,
                "a c10d process group even without a launcher (a world of one), to measure its cost");
  run->add_option("--dist-timeout", opt.dist_timeout_s,
                  "distributed runs: seconds to wait for a peer before stopping with an error")->capture_default_str()
      ->check(recipec::clinum::number(0, 1e6, true, "seconds > 0"));
  std::string job_path;
  bool eval_quiet = false;
  auto* eval = app.add_subcommand("eval", "per-token NLL of checkpoints on datasets (the back end of recipec eval/analyze)");
  eval->add_option("job", job_path, "the job file recipec eval / analyze writes (runtime/analyze/EvalJob.h)")->required();
  eval->add_flag("--quiet", eval_quiet, "no progress lines");
  auto* version = app.add_subcommand("version", "print the build's revision and LibTorch version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (version->parsed() || version_flag) {
#ifdef RECIPEC_WITH_CUDA
    const char* cuda = "compiled in (RECIPEC_CUDA=ON)";
#else
    const char* cuda = "not compiled in (CPU build; RECIPEC_CUDA=ON builds it)";
#endif
#ifdef RECIPEC_WITH_NCCL
    const char* nccl = "compiled in";
#else
    const char* nccl = "not compiled in";
#endif
    std::printf("recipec-runtime %s (revision %s, plan version %d)\nLibTorch %s (built against)\nCUDA: %s\nNCCL: %s\n",
                RECIPEC_VERSION, recipec::train::sourceRevision().c_str(), recipec::plan::kPlanVersion,
                TORCH_VERSION, cuda, nccl);
    return 0;
  }
  if (!run->parsed() && !eval->parsed()) {
    std::fprintf(stderr, "error: a subcommand is required (run, eval or version); see --help\n");
    return 1;
  }
  if (!opt.resume_dir.empty() && !opt.run_dir.empty() && opt.run_dir != opt.resume_dir) {
    std::fprintf(stderr, "error: give either --run-dir or --resume, not both\n");
    return 1;
  }
  // Test-only fault injection (tests/runtime/test_distributed.cpp): RECIPEC_TEST_KILL=R:S[:SIG]
  // makes rank R send itself SIG (default SIGKILL) at the start of step S.
  if (const char* kill = std::getenv("RECIPEC_TEST_KILL"))
    std::sscanf(kill, "%d:%ld:%d", &opt.debug_kill_rank, &opt.debug_kill_step, &opt.debug_kill_signal);
  // In a distributed run every rank's errors name it (the launcher interleaves them).
  std::string who;
  if (const char* world = std::getenv("WORLD_SIZE"); world && std::atoi(world) > 1)
    if (const char* rank = std::getenv("RANK")) who = std::string("[rank ") + rank + "] ";
  if (const char* pause = std::getenv("RECIPEC_TEST_PAUSE_AT_STEP")) opt.test_pause_step = std::atoll(pause);
  // An error ends the terminal's progress line (a `\r` line) first; elsewhere it is one line.
  const char* nl = ::isatty(2) ? "\n" : "";
  try {
    if (eval->parsed()) {  // no stop handlers: an interrupted evaluation has nothing to save
      recipec::analyze::EvalJob job;
      try {
        job = nlohmann::json::parse(std::ifstream(job_path)).get<recipec::analyze::EvalJob>();
      } catch (const nlohmann::json::exception& e) {
        throw recipec::train::UserError("eval job `" + job_path + "` is unreadable: " + e.what());
      }
      recipec::eval::runEvalJob(job, eval_quiet);
      return 0;
    }
    recipec::train::installStopHandlers();
    const auto result = recipec::train::runPlan(opt);
    return result.interrupted ? recipec::train::exitCodeFor(result.interrupted) : 0;
  } catch (const std::filesystem::filesystem_error& e) {
    // A folder that cannot be created, renamed or read: the machine's state, not a bug.
    std::fprintf(stderr, "%s%serror: %s\n", nl, who.c_str(), e.what());
  } catch (const recipec::train::UserError& e) {
    std::fprintf(stderr, "%s%serror: %s\n", nl, who.c_str(), e.what());
  } catch (const recipec::plan::PlanError& e) {
    std::fprintf(stderr, "%s%serror: %s\n", nl, who.c_str(), e.what());
  } catch (const recipec::data::DataError& e) {
    std::fprintf(stderr, "%s%serror: %s\n", nl, who.c_str(), e.what());
  } catch (const recipec::models::SafetensorsError& e) {
    std::fprintf(stderr, "%s%serror: %s\n", nl, who.c_str(), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s%sinternal error: %s\n", nl, who.c_str(), e.what());
    return 2;
  }
  return 1;
}
