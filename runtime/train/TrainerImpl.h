// TrainerImpl.h — the trainer's internal state, shared by Trainer.cpp (setup, loop,
// boundaries), TrainStep.cpp (one optimizer step, evaluation) and TrainState.cpp
// (checkpoint save/load). Not a public header.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <torch/optim/adamw.h>

#include "runtime/models/Model.h"
#include "runtime/plan/Plan.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/DataFeed.h"
#include "runtime/train/Distributed.h"
#include "runtime/train/GradientSync.h"
#include "runtime/train/Metrics.h"
#include "runtime/train/Policy.h"
#include "runtime/train/Profile.h"
#include "runtime/train/RunDir.h"
#include "runtime/train/Rules.h"
#include "runtime/train/ShardedOptim.h"
#include "runtime/train/Timeline.h"
#include "runtime/train/Trainer.h"

namespace recipec::train {

struct StepOutcome {
  double loss = 0, grad_norm = 0;
  bool applied = true;         // false: no update was made (NaN or an event)
  std::string trigger;         // why not: "nan" or the event ("loss_spike", ...)
  std::string action;          // what the plan says to do: "rollback" | "skip" | "stop" | ""
  int stop_signal = 0;         // SIGHUP/INT/TERM received by any rank (all-reduced), else 0
};

// An `on ...` event checked after every step's backward, before the update.
struct StepEvent {
  plan::Event event;
  MetricWindow window;         // values of earlier, unflagged steps (sigma thresholds)
};

class Run {
 public:
  Run(const RunOptions& opt, std::unique_ptr<DataFeed> feed);
  RunResult execute();

  // ---- TrainStep.cpp
  // This rank's part of every global batch: micro-batches [first_micro, end_micro), rows
  // [row_begin, row_end) of each (all mb rows, or a slice when micro-batches are split).
  struct BatchShare {
    int64_t first_micro, end_micro, row_begin, row_end;
  };
  BatchShare shareOfBatch() const;
  StepOutcome trainStep(int64_t s, const TrainBatch& batch);
  void evaluate(int64_t s, bool all);  // all = every evaluation, else those due at s
  // PolicyContext::score_blocks: the current model's loss of training blocks into the table.
  nlohmann::json scoreBlocks(const std::vector<size_t>& datasets, int64_t max_blocks);

  void reportFailure(const std::string& message) { if (comm_) comm_->reportFailure(message); }

  // ---- TrainState.cpp
  void saveCheckpoint(int64_t s);  // every rank calls it; rank 0 writes
  void checkReplicas();             // internal error when the ranks' weights differ
  void loadCheckpoint(const std::string& folder);
  nlohmann::json eventWindows() const;

 private:
  void loadCheckpointFiles(const std::string& folder, std::string& reading);
  // --resume: the newest checkpoint that loads (damaged newer ones are set aside with a
  // warning); returns the step to continue from, 0 when the run never saved one.
  std::optional<int64_t> resumeFromNewestIntact();
  void warn(const std::string& line);
  RunResult trainLoop(bool restored, int64_t s);  // the step loop and the run's end
  bool summary_written_ = false;
  bool starts_from_weights_ = false;  // `init from`: every evaluation also runs at step 0

 private:
  void setup();
  void setupRules(const std::vector<int64_t>& per_dataset);  // TrainRules.cpp
  void writeRunFiles(bool resumed);
  void recordResume();  // run.json: what runs now, and each start
  void checkSources(bool resumed);  // sources.json: written at the start, compared on resume
  void boundary(int64_t s);
  void enterPhase(size_t index);
  void leavePhase();
  void logTrain(int64_t s, const StepOutcome& o, double lr);
  void log(const std::string& line);
  void writeMetrics(const nlohmann::json& record);  // rank 0 only
  void openFeed();
  void event(const std::string& what, nlohmann::json detail);
  // A step that was not applied: skip, stop, roll back (returns true: s moved back) or throw.
  bool handleRejected(int64_t& s, const StepOutcome& o);
  std::vector<std::string> activePolicies() const;
  size_t phaseAt(int64_t s) const;

 public:
  RunOptions opt_;
  // Data parallel (Distributed.h): every rank draws the whole global batch from the same
  // sampler and trains its own contiguous share of the micro-batches; rank 0 alone logs
  // and writes the run directory. World 1 is the single-process group.
  std::unique_ptr<Comm> comm_;
  std::string run_path_;       // the run directory on every rank (dir_ is rank 0's)
  int agreed_stop_signal_ = 0; // a stop signal any rank had at a step's all-reduce
  std::unique_ptr<OptimizerShards> shards_;  // --shard-optimizer with several ranks
  std::unique_ptr<GradientSync> grad_sync_;
  std::unique_ptr<StepProfiler> profiler_;  // --profile N  // the gradients' all-reduce (none in one process)
  plan::Plan plan_;
  std::string plan_text_;      // the resolved plan as written to plan.json
  Timeline timeline_;
  at::Device device_{at::kCPU};
  bool bf16_ = false;
  std::unique_ptr<DataFeed> feed_;
  models::LanguageModel model_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> optim_;
  bool fused_adamw_ = false;  // adamwStep with torch's _fused_adamw_ (Optim.h)
  PolicyContext ctx_;
  std::vector<std::vector<ArmedRule>> rules_;  // per phase
  size_t phase_ = 0;
  bool phase_entered_ = false;
  std::optional<RunDir> dir_;
  std::unique_ptr<RunLock> lock_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<Checkpointer> ckpt_;
  Progress progress_;

  // Events (`on nan: ...`, `on loss > 4 sigma: skip`, `on grad_norm > 6 sigma: stop`).
  std::string on_nan_;                       // "" | "rollback" | "skip" | "stop"
  std::vector<StepEvent> step_events_;
  std::map<int64_t, int64_t> skip_batches_;  // step -> batches to discard before training it
  int64_t rollbacks_ = 0;
  int64_t consecutive_skips_ = 0;            // steps skipped in a row (`on nan: skip`, ...)
  bool out_of_data_ = false;  // the failure is the data running out: a resume would fail again
  std::string failure_;                      // why the run ends unfinished (exit 1), after saving
  int interrupted_ = 0;                      // the stop signal that ended the run, 0 if none
  static constexpr int64_t kMaxConsecutiveSkips = 10;
  // A loss above this is divergence and is handled as NaN is (`on nan`): twice the loss of a
  // uniform guess over the vocabulary (2 ln V), and at least 10.
  double divergence_loss_ = 0;

  // Accounting.
  double peak_flops_ = 0;
  std::string peak_source_;
  double full_flops_per_token_ = 0;
  double flops_done_ = 0, flops_full_ = 0;   // executed vs full-model FLOPs (EST saving)
  int64_t last_eval_step_ = -1, last_ckpt_step_ = -1;
  std::chrono::steady_clock::time_point t_log_;
  int64_t tokens_since_log_ = 0;
  double flops_since_log_ = 0;
  double comm_wait_since_log_ = 0;  // seconds the steps waited for the gradient all-reduce
  // Start-up, part by part (seconds since the previous mark): logged, and written as a
  // `startup` event, once this process's first step is done.
  std::vector<std::pair<std::string, double>> startup_;
  std::chrono::steady_clock::time_point startup_mark_ = std::chrono::steady_clock::now();
  bool startup_reported_ = false;
  void startupMark(const std::string& part);
  void reportStartup(int64_t step);
  std::chrono::steady_clock::time_point t_start_;
  int64_t start_step_ = 0;
};

}  // namespace recipec::train
