// Policy.h — one module per recipe method, hooked into the trainer at fixed points.
//
// Contract: every rule of a phase (`ACTION [when CONDITION] [every INTERVAL]`) becomes one
// Policy, made by the registry from its plan Action.kind. The trainer calls, in order:
//   fire(ctx)                 at a step boundary where the rule triggers (Rules.h says when)
//   beforeStep(ctx, step)     before the step's first forward (EST: choose the subnetwork)
//   atBoundary(ctx, step)     at every step boundary of the phase, after the rules fired
//   lossWeights(ctx, l)       per-sample losses of a pool of pool() micro-batches -> weights
//                             of their loss (IR-DRO, rank)
//   afterForward(ctx, mb)     per-sample losses of each micro-batch (LFR: record per block)
//   endPhase(ctx)             when the phase ends (undo what only the phase should see)
// A policy reads its parameters through param(), which checks them against the method's
// description (runtime/plan/Methods.h); the plan holds every one, defaults included.
// Policies talk to the run only through PolicyContext: the batch Selection (mixture,
// allowed blocks, order) that the trainer hands to the sampler, the shared BlockTable
// (LFR's per-block losses), the optimizer knobs `set` may change, and the stop / checkpoint
// requests. Anything a policy must remember across a checkpoint goes in state()/loadState();
// the table and the selection are saved by the trainer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "runtime/models/Model.h"
#include "runtime/plan/Methods.h"
#include "runtime/plan/Plan.h"

namespace recipec::train {

// The latest values rule conditions read (Rules.h).
struct RunMetrics {
  int64_t step = 0;     // optimizer steps completed
  int64_t tokens = 0;   // tokens trained on
  double loss = NAN;    // the last step's mean loss
  double grad_norm = NAN;
  std::map<std::string, double> val_ppl;  // "web.val" -> last evaluated perplexity
};

// LFR's per-block table: the mean token loss each training block had when last seen in a
// training forward (ppl = exp of it); NaN = not recorded. Lives on the training device so
// recording is an index_put_ with no host sync.
class BlockTable {
 public:
  void init(const std::vector<int64_t>& blocks_per_dataset, const at::Device& device);
  // losses (b) float, dataset_ids (b) int64, block_ids (b) int64, on the device.
  void record(const at::Tensor& losses, const at::Tensor& dataset_ids, const at::Tensor& block_ids);
  void reset();
  // One transfer: the whole table on the CPU, (total) float32.
  at::Tensor toCpu() const;
  void load(const at::Tensor& cpu_values);
  const at::Tensor& values() const { return values_; }  // (total) float32
  int64_t offset(size_t dataset) const { return offsets_[dataset]; }
  int64_t size(size_t dataset) const { return offsets_[dataset + 1] - offsets_[dataset]; }
  size_t datasets() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  // Whether any block of `dataset` is recorded, read from a toCpu() copy.
  bool anyRecorded(const at::Tensor& cpu_values, size_t dataset) const;

 private:
  at::Tensor values_;          // (total) float32
  at::Tensor offsets_dev_;     // (datasets) int64
  std::vector<int64_t> offsets_;
};

// How the next batches are drawn. Policies edit it; the trainer pushes it to the sampler
// whenever `changed` is set.
struct Selection {
  std::vector<plan::MixEntry> mixture;       // weight -> weight_end ramps over the range:
  int64_t ramp_start = 0, ramp_end = 0;      // [ramp_start, ramp_end) optimizer steps
  // Per dataset (index = dataset id): the blocks that may be drawn, nullopt = all.
  std::vector<std::optional<std::vector<int64_t>>> allowed;
  // Per dataset: a fixed visiting order (curriculum), nullopt = random.
  std::vector<std::optional<std::vector<int64_t>>> order;
  // `fresh`: only blocks never drawn before (the sampler records every draw for the run).
  bool fresh = false;
  bool changed = true;
};

// Each source's training loss over the current phase and the previous one, in kBuckets
// equal slices of the phase's steps, on the device (an index_add per step, no sync).
// `remix` compares the first and last slices of the previous phase.
class SourceMeter {
 public:
  static constexpr int64_t kBuckets = 100;
  struct Change {
    double start_loss = NAN, end_loss = NAN;  // mean loss of the first / last window
    int64_t start_samples = 0, end_samples = 0;
  };
  void init(size_t datasets, const at::Device& device);
  bool enabled() const { return sum_.defined(); }
  void startPhase(int64_t start, int64_t end);
  void add(int64_t step, const at::Tensor& losses, const at::Tensor& dataset_ids);  // (b), (b)
  void endPhase();
  bool hasPrevious() const { return has_prev_; }
  // Per dataset: the previous phase's first and last `window` (a fraction <= 0.5 of its
  // steps, at least one step each).
  std::vector<Change> previousChange(double window) const;
  nlohmann::json state() const;
  void loadState(const nlohmann::json& j);

 private:
  at::Tensor sum_, count_, prev_sum_, prev_count_;  // (datasets, kBuckets) float64
  int64_t start_ = 0, end_ = 0, prev_len_ = 0;
  bool has_prev_ = false;
};

struct PolicyContext {
  const plan::Plan* plan = nullptr;
  std::vector<std::string> datasets;       // dataset id -> name
  models::LanguageModelImpl* model = nullptr;
  int64_t seq_len = 0;
  uint64_t seed = 0;
  int64_t phase_index = 0, phase_start = 0, phase_end = 0;
  BlockTable table;
  // What the table's values are: "" (each block's loss when trained on), "relative" (minus
  // its step's mean loss) or "rescored" (re-measured with the current model before each
  // focus/drop ranks it). One form per run: the `record` rules' (Trainer setup).
  std::string table_form;
  Selection selection;
  // focus/drop results: key -> (total) bool CPU mask of blocks kept. selection.allowed is
  // their intersection (rebuildAllowed), so re-ranking one rule never compounds with its
  // own earlier result. Cleared at every phase start.
  std::map<std::string, at::Tensor> keep_masks;
  void rebuildAllowed();
  RunMetrics metrics;
  double base_lr = 0, weight_decay = 0, grad_clip = 0;   // `set` changes these
  bool stop_requested = false;
  bool checkpoint_requested = false;
  // FLOPs per token of the forward about to run (EST changes it), for MFU and savings.
  double flops_per_token = 0;
  // Writes an {"type":"event"} line to metrics.jsonl and the log.
  std::function<void(const std::string& what, nlohmann::json detail)> event;
  // A scoring pass: the current model's loss of every training block of these datasets
  // (at most `max_blocks` of each, evenly spread, when > 0) written into `table`; sharded
  // over the ranks. Returns its cost {blocks, tokens, seconds}.
  std::function<nlohmann::json(const std::vector<size_t>& datasets, int64_t max_blocks)> score_blocks;
  // Per dataset, blocks drawn and distinct blocks drawn since the run began (the sampler's
  // record), for `fresh`'s report.
  std::function<std::vector<std::pair<int64_t, int64_t>>()> data_usage;
  SourceMeter sources;
};

// One micro-batch's results as afterForward sees them (all on the device, detached).
struct MicroBatch {
  at::Tensor losses;       // (b) float32 per-sample mean token loss
  at::Tensor dataset_ids;  // (b) int64
  at::Tensor block_ids;    // (b) int64
  at::Tensor step_mean;    // () float32: the whole step's mean loss (defined for a `relative` table)
};

class Policy {
 public:
  explicit Policy(plan::Rule rule) : rule_(std::move(rule)) {}
  virtual ~Policy() = default;
  const plan::Rule& rule() const { return rule_; }

  // True when `when` is a per-block predicate the action applies itself (focus/drop
  // `when ppl > p50`), not a trigger for the whole rule.
  virtual bool conditionFiltersBlocks() const { return false; }
  // Rules with no when/every fire at phase start; `checkpoint every N` should not.
  virtual bool fireAtPhaseStart() const { return true; }

  virtual void fire(PolicyContext& ctx) = 0;
  virtual void atBoundary(PolicyContext&, int64_t /*step*/) {}
  virtual void beforeStep(PolicyContext&, int64_t /*step*/) {}
  // How many consecutive micro-batches share one lossWeights call (IR-DRO `pool`).
  virtual int64_t pool() const { return 1; }
  // per_sample (n) -> weights (n), detached, summing to 1; nullopt = no opinion.
  virtual std::optional<at::Tensor> lossWeights(PolicyContext&, const at::Tensor& /*per_sample*/) {
    return std::nullopt;
  }
  virtual void afterForward(PolicyContext&, const MicroBatch&) {}
  virtual void endPhase(PolicyContext&) {}

  virtual nlohmann::json state() const { return nullptr; }
  virtual void loadState(const nlohmann::json&) {}

  std::string describe() const;  // "focus when ppl > p50 every 2000 steps (lfr.recipe:12:3)"

 protected:
  // The method's description; PlanError naming the rule when Methods.h has none.
  const plan::methods::Action& spec() const;
  // A parameter from the plan, checked against the description (name and range). The
  // compiler writes every default into the plan; a plan older than a parameter gets the
  // description's default, and one without a default is a PlanError.
  double param(const std::string& name) const;
  // PlanError for a parameter the description does not list.
  void checkParamNames() const;
  [[noreturn]] void fail(const std::string& what) const;  // PlanError "rule SOURCE: what"

  plan::Rule rule_;
};

using PolicyFactory = std::function<std::unique_ptr<Policy>(const plan::Rule&, const PolicyContext&)>;

// Action.kind -> factory. The built-in policies (runtime/train/methods/, one file per
// family: Lfr, Est, IrDro, Continual, Control) are registered on first use.
class PolicyRegistry {
 public:
  static PolicyRegistry& instance();
  void add(const std::string& kind, PolicyFactory f);
  // Throws plan::PlanError naming the rule for an unknown kind or bad parameters.
  std::unique_ptr<Policy> make(const plan::Rule& rule, const PolicyContext& ctx) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, PolicyFactory> factories_;
};

void registerBuiltinPolicies(PolicyRegistry& r);
namespace methods {
void registerLfr(PolicyRegistry& r);
void registerEst(PolicyRegistry& r);
void registerIrDro(PolicyRegistry& r);
void registerContinual(PolicyRegistry& r);
void registerControl(PolicyRegistry& r);
}  // namespace methods

}  // namespace recipec::train
