// cmd_run.cpp — `recipec run F`: check (missing files are errors now), compile to a plan,
// and hand the plan to `recipec-runtime run` from the same bin/ folder. The runtime is a
// separate process because it loads LibTorch, which `recipec` itself never does.
//
// `recipec run --resume DIR` without a recipe continues DIR from the plan it holds
// (DIR/plan.json): nothing is recompiled, so the run cannot drift from what it started as.
//
// The trainer runs supervised (cli/Runtime.cpp): Ctrl-C, SIGTERM and SIGHUP reach it once
// each, so it saves a checkpoint and stops; it dies with `recipec`. The temporary plan is
// removed however the trainer ends, and its exit code is passed on (130/143 after a signal).
// With --nproc N the trainers are N ranks of one data-parallel run, started and supervised
// the same way by launchLocalWorkers (cli/Launch.h).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/Commands.h"
#include "cli/Launch.h"
#include "runtime/train/CliNumbers.h"

#include "runtime/data/DataError.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Tokenizer.h"

#ifdef RECIPEC_HAVE_MLIR
#include "compiler/mlir/Compile.h"
#endif

namespace fs = std::filesystem;

namespace recipec::cli {

namespace {


// Tokenizes every text dataset into the shared token cache before the runtime starts.
// The runtime reads the cached shards; it never needs libsentencepiece, which cannot share a
// process with LibTorch (each brings its own protobuf).
bool pretokenize(plan::Plan& p) {
  // Resolve each tokenizer's vocabulary size and end-of-text id here too, so the runtime
  // never has to open the tokenizer itself.
  for (auto& t : p.tokenizers) {
    if (t.vocab_size > 0 && t.eot_id >= 0) continue;
    try {
      auto loaded = data::loadTokenizer(t, p.base_dir);
      t.vocab_size = loaded->vocabSize();
      t.eot_id = loaded->eotId();
    } catch (const data::DataError& e) {
      std::cerr << "error: tokenizer `" << t.name << "`: " << e.what() << "\n";
      return false;
    }
  }
  for (const auto& ds : p.datasets) {
    if (ds.kind != "text") continue;
    const plan::Tokenizer* tok = nullptr;
    for (const auto& t : p.tokenizers)
      if (t.name == ds.tokenizer) tok = &t;
    try {
      data::datasetShardPaths(ds, tok, p.base_dir, data::defaultCacheRoot());
      if (!ds.val_paths.empty())
        data::datasetShardPaths(data::valFilesDataset(ds), tok, p.base_dir, data::defaultCacheRoot());
    } catch (const data::DataError& e) {
      std::cerr << "error: dataset `" << ds.name << "`: " << e.what() << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

// What to say when the runtime is killed: the run directory it had, named (the runtime
// writes it to RECIPEC_RUN_DIR_OUT once it has one), or that nothing was saved yet.
std::string resumeHint(const fs::path& runDirOut) {
  std::ifstream in(runDirOut);
  std::string dir;
  std::getline(in, dir);
  if (dir.empty()) return "it had not created its run directory yet: nothing was saved, start the run again";
  return "checkpoints it had sealed are intact: continue with `recipec run --resume " + dir + "`";
}

void addRun(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Compile a recipe and train it (runs recipec-runtime)");
  struct Args {
    std::string file, runDir, resume, device = "cpu", planOut;
    std::vector<std::string> sets;
    int64_t untilStep = -1, logEvery = -1;
    int threads = -1, nproc = 1;
    double distTimeout = -1, bucketMb = -1;
    int64_t profile = 0;
    std::string padVocab;
    bool quiet = false, shardOptimizer = false;
    std::string overlap;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("file", a->file, "Recipe file (optional with --resume: the run's own plan is used)");
  cmd->add_option("--set", a->sets, "Override a constant: --set lr=3e-4")->take_all();
  cmd->add_option("--run-dir", a->runDir, "Run directory (default runs/<recipe>-<timestamp>); must not exist");
  cmd->add_option("--resume", a->resume, "Continue this run directory from its latest checkpoint");
  cmd->add_option("--device", a->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--until-step", a->untilStep, "Stop (with a checkpoint) after this many steps")
      ->check(clinum::whole(0, INT64_MAX, "a step >= 0"));
  cmd->add_option("--log-every", a->logEvery, "A metrics line every N steps")->check(CLI::Range(int64_t(1), INT64_MAX));
  cmd->add_option("--threads", a->threads, "Intra-op threads (default: LibTorch's)")->check(CLI::Range(1, 1024));
  cmd->add_option("--nproc", a->nproc, "Data-parallel: N local worker processes (CPU: Gloo; CUDA: one GPU each)")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--dist-timeout", a->distTimeout, "With --nproc: seconds to wait for a peer before stopping (default 60)")
      ->check(clinum::number(0, 1e6, true, "seconds > 0"));
  cmd->add_flag("--shard-optimizer", a->shardOptimizer, "With --nproc: ZeRO-1, the optimizer state sharded over the workers");
  cmd->add_option("--bucket-mb", a->bucketMb, "With --nproc: MiB of gradients per all-reduce bucket (default 25)")
      ->check(clinum::number(0, 1024, true, "MiB > 0 and at most 1024"));
  cmd->add_option("--overlap", a->overlap,
                  "With --nproc: gradient all-reduce during the backward (on), after it (off), or on for CUDA only (auto, default)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->add_option("--profile", a->profile,
                  "Profile N steps (from the second): <run>/profile/ holds a trace and where the time went")
      ->check(clinum::whole(1, 1000000, "a number of steps >= 1"));
  cmd->add_option("--pad-vocab", a->padVocab,
                  "The output layer's product over the vocabulary rounded up to this multiple (auto: 128 on CUDA, none on "
                  "CPU; off; or a number)");
  cmd->add_option("--plan-out", a->planOut, "Also keep the compiled plan here");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress or log lines");
  cmd->callback([a] {
    auto runtimeArgs = [&](const std::string& planPath) {
      fs::path runtime = runtimePath();
      if (!fs::exists(runtime)) {
        std::cerr << "error: the runtime `" << runtime.string() << "` is missing\n"
                  << "  = help: build it (cmake with -DRECIPEC_RUNTIME=ON), or point RECIPEC_RUNTIME at it\n";
        throw Exit{kUserError};
      }
      std::vector<std::string> args{runtime.string(), "run", planPath, "--device", a->device};
      if (!a->runDir.empty()) args.insert(args.end(), {"--run-dir", a->runDir});
      if (!a->resume.empty()) args.insert(args.end(), {"--resume", a->resume});
      if (a->untilStep >= 0) args.insert(args.end(), {"--until-step", std::to_string(a->untilStep)});
      if (a->logEvery > 0) args.insert(args.end(), {"--log-every", std::to_string(a->logEvery)});
      int threads = a->threads;
      if (threads <= 0 && a->nproc > 1)  // the cores shared out, not each worker taking them all
        threads = std::max(1, int(std::thread::hardware_concurrency()) / a->nproc);
      if (threads > 0) args.insert(args.end(), {"--threads", std::to_string(threads)});
      if (a->distTimeout > 0) args.insert(args.end(), {"--dist-timeout", std::to_string(a->distTimeout)});
      if (a->shardOptimizer) args.push_back("--shard-optimizer");
      if (a->bucketMb > 0) args.insert(args.end(), {"--bucket-mb", std::to_string(a->bucketMb)});
      if (!a->overlap.empty()) args.insert(args.end(), {"--overlap", a->overlap});
      if (a->profile > 0) args.insert(args.end(), {"--profile", std::to_string(a->profile)});
      if (!a->padVocab.empty()) args.insert(args.end(), {"--pad-vocab", a->padVocab});
      if (a->quiet) args.push_back("--quiet");
      return args;
    };
    // One supervised runtime, or N of them as the ranks of one data-parallel run (Launch.h).
    auto start = [&](std::vector<std::string> args) {
      if (a->nproc > 1) return launchLocalWorkers(args, a->nproc);
      const fs::path runDirOut = fs::temp_directory_path() / ("recipec-run-dir-" + std::to_string(::getpid()));
      ::setenv("RECIPEC_RUN_DIR_OUT", runDirOut.c_str(), 1);
      std::error_code ec;
      fs::remove(runDirOut, ec);
      // The hint is read after the child ends; runSupervised prints it only when it was killed.
      struct Cleanup { fs::path p; ~Cleanup() { std::error_code e; fs::remove(p, e); } } cleanup{runDirOut};
      return runSupervised(std::move(args), [runDirOut] { return resumeHint(runDirOut); });
    };
    if (a->nproc <= 1)  // the data-parallel options do nothing in one process: say so
      for (const auto& [flag, given] : {std::pair{"--shard-optimizer", a->shardOptimizer}, {"--overlap", !a->overlap.empty()},
                                        {"--bucket-mb", a->bucketMb > 0}, {"--dist-timeout", a->distTimeout > 0}})
        if (given) std::cerr << "warning: " << flag << " applies to data-parallel runs (--nproc N, N > 1); this run is one process\n";
    if (a->file.empty()) {
      if (a->resume.empty()) {
        std::cerr << "error: `recipec run` needs a recipe file\n"
                  << "  = help: `recipec run FILE.recipe`, or `recipec run --resume DIR` to continue a run\n";
        throw Exit{kUserError};
      }
      if (!a->sets.empty()) {
        std::cerr << "error: --set changes the recipe, and a resumed run keeps the plan it started with\n"
                  << "  = help: start a new run with `recipec run FILE --set ...`\n";
        throw Exit{kUserError};
      }
      const fs::path plan = fs::path(a->resume) / "plan.json";
      if (!fs::exists(a->resume)) {
        std::cerr << "error: run directory `" << a->resume << "` does not exist\n"
                  << "  = help: `recipec runs` lists the runs under runs/\n";
        throw Exit{kUserError};
      }
      if (!fs::is_directory(a->resume) || !fs::exists(plan)) {
        std::cerr << "error: `" << a->resume << "` is not a run directory (no plan.json)\n";
        throw Exit{kUserError};
      }
      throw Exit{start(runtimeArgs(plan.string()))};
    }
    sema::Program program;
    bool ok = loadAndCheck(program, a->file, a->sets, /*checkFiles=*/true, /*missingFilesAreErrors=*/true);
    printDiagnostics(program, "run `" + a->file + "`");
    if (!ok) throw Exit{kUserError};
#ifdef RECIPEC_HAVE_MLIR
    plan::Plan compiled;
    size_t printed = program.diags().all().size();
    if (!compileToPlan(program, compiled)) {
      printNewDiagnostics(program, printed, "compile `" + a->file + "`");
      throw Exit{kUserError};
    }
    if (!pretokenize(compiled)) throw Exit{kUserError};
    std::string planText = plan::planToText(compiled);
    fs::path planPath = a->planOut.empty()
                            ? fs::temp_directory_path() / ("recipec-plan-" + std::to_string(::getpid()) + ".json")
                            : fs::path(a->planOut);
    auto args = runtimeArgs(planPath.string());
    {
      std::ofstream out(planPath);
      out << planText;
      out.flush();
      if (!out) {
        std::cerr << "error: cannot write the plan to `" << planPath.string() << "`\n";
        std::error_code ignored;
        fs::remove(planPath, ignored);
        throw Exit{kUserError};
      }
    }
    const int rc = start(std::move(args));
    if (a->planOut.empty()) fs::remove(planPath);
    throw Exit{rc};
#else
    std::cerr << "error: this recipec was built without MLIR, so it cannot compile plans\n";
    throw Exit{kUserError};
#endif
  });
}

}  // namespace recipec::cli
