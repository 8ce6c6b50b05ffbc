// Trainer.cpp — setup, the step loop and step boundaries (see Trainer.h for the contract;
// the step itself is in TrainStep.cpp, checkpoints in TrainState.cpp).
#include "runtime/train/Trainer.h"

#include "runtime/data/Sources.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <ATen/record_function.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

#include "runtime/data/DataError.h"
#include "runtime/data/Sha256.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/models/Safetensors.h"
#include "runtime/train/Device.h"
#include "runtime/train/Errors.h"
#include "runtime/train/FeedFromPlan.h"
#include "runtime/train/Optim.h"
#include "runtime/train/Schedule.h"
#include "runtime/train/Signals.h"
#include "runtime/train/TrainerImpl.h"

namespace recipec::train {

Run::Run(const RunOptions& opt, std::unique_ptr<DataFeed> feed)
    : opt_(opt), feed_(std::move(feed)) {}

void Run::log(const std::string& line) {
  if (!opt_.quiet) progress_.println(line);
}

void Run::writeMetrics(const nlohmann::json& record) {
  if (metrics_) metrics_->write(record);
}

void Run::openFeed() {
  if (feed_) return;  // given (tests)
  // Text datasets are tokenized into the shared cache on first use: one rank per machine
  // (local rank 0) does it while the others wait, then they read the cache it wrote.
  const bool first = comm_->localRank() == 0;
  if (!first) comm_->storeBarrier("datasets", 24 * 3600.0);
  feed_ = makeFeedFromPlan(plan_, opt_.quiet);
  if (first) comm_->storeBarrier("datasets", 24 * 3600.0);
}

void Run::event(const std::string& what, nlohmann::json detail) {
  detail["type"] = "event";
  detail["event"] = what;
  detail["step"] = ctx_.metrics.step;
  if (metrics_) metrics_->write(detail);
  // The log line: `step 30 focus: kept=33306 of=33426 ...` (metrics.jsonl has the JSON).
  std::string line = "step " + std::to_string(ctx_.metrics.step) + " " + what + ":";
  for (const auto& [k, v] : detail.items()) {
    if (k == "type" || k == "event" || k == "step") continue;
    char num[32];
    if (v.is_number_float()) std::snprintf(num, sizeof num, "%.4g", v.get<double>());
    line += " " + k + "=" + (v.is_number_float() ? std::string(num) : v.is_string() ? v.get<std::string>() : v.dump());
  }
  log(line);
}

void Run::setup() {
  // The command line checks these too; runPlan's other callers get the same answer.
  if (opt_.threads < 0 || opt_.threads > 1024) throw UserError("--threads " + std::to_string(opt_.threads) + " is out of range (1 to 1024)");
  if (opt_.log_every < 1) throw UserError("--log-every " + std::to_string(opt_.log_every) + " must be at least 1");
  if (opt_.peak_flops < 0 || !std::isfinite(opt_.peak_flops))
    throw UserError("--peak-flops must be a positive number of FLOP/s");
  plan_ = plan::readPlanFile(opt_.plan_path);
  if (opt_.threads > 0) at::set_num_threads(opt_.threads);
  device_ = pickDevice(opt_.device);
  // One GPU per local rank (the process group already made it the current device).
  if (device_.is_cuda() && comm_->distributed()) device_ = at::Device(at::kCUDA, c10::DeviceIndex(comm_->localRank()));
  // A stopped and resumed CPU run trains the same weights bit for bit (docs/runtime.md). Torch
  // 2.x has CPU kernels whose rounding depends on thread timing unless asked for their
  // deterministic form: without this, 1 run in ~20 ended with weights a few ulps apart.
  // Not the NaN fill of every uninitialised tensor that comes with it: a debugging aid, 22% of
  // a quickstart step (its aten::fill_ in the profile).
  if (device_.is_cpu()) {
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    at::globalContext().setDeterministicFillUninitializedMemory(false);
  }
  const auto& tr = plan_.train;
  if (tr.precision != "fp32" && tr.precision != "bf16")
    throw plan::PlanError("precision `" + tr.precision + "` is not supported (fp32 or bf16)");
  bf16_ = tr.precision == "bf16";
  if (tr.micro_batch <= 0 || tr.batch_seqs % tr.micro_batch != 0)
    throw plan::PlanError("batch of " + std::to_string(tr.batch_seqs) +
                          " sequences is not a multiple of micro_batch " + std::to_string(tr.micro_batch));
  torch::manual_seed(tr.seed);

  if (tr.batch_seqs / tr.micro_batch < comm_->world() && tr.micro_batch < comm_->world())
    throw plan::PlanError("a batch of " + std::to_string(tr.batch_seqs) + " sequences in micro-batches of " +
                          std::to_string(tr.micro_batch) + " cannot be shared by " + std::to_string(comm_->world()) +
                          " processes: each needs a micro-batch, or a row of each micro-batch (use fewer processes)");
  startupMark("setup");
  openFeed();
  startupMark("data");
  std::map<std::string, int64_t> train_blocks;
  std::vector<int64_t> per_dataset;
  for (size_t d = 0; d < feed_->datasets().size(); ++d) {
    train_blocks[feed_->datasets()[d]] = feed_->trainBlocks(d);
    per_dataset.push_back(feed_->trainBlocks(d));
  }
  timeline_ = resolveTimeline(plan_, train_blocks);
  try {
    validateSchedule(plan_.train.schedule);
  } catch (const plan::PlanError& e) {  // name the recipe line of the train block that set it
    auto at = plan_.sources.find("train");
    throw plan::PlanError(std::string(e.what()) + (at == plan_.sources.end() ? "" : " (train block at " + at->second + ")"));
  }
  plan_text_ = plan::planToText(plan_);

  // Model.
  const plan::Model* mcfg = nullptr;
  for (const auto& m : plan_.models)
    if (m.name == tr.model) mcfg = &m;
  if (!mcfg) throw plan::PlanError("train uses model `" + tr.model + "`, which the plan does not declare");
  if (tr.seq_len > mcfg->max_seq_len)
    throw plan::PlanError("seq_len " + std::to_string(tr.seq_len) + " exceeds model `" + mcfg->name +
                          "` max_seq_len " + std::to_string(mcfg->max_seq_len));
  try {
    model_ = models::buildModel(*mcfg, /*random_init=*/mcfg->init_from.empty());  // `init from` fills every weight
  } catch (const std::invalid_argument& e) {
    throw plan::PlanError(e.what());
  }
  starts_from_weights_ = !mcfg->init_from.empty();
  if (!mcfg->init_from.empty()) {
    const std::string path = data::resolvePath(mcfg->init_from, plan_.base_dir);
    try {
      model_->loadHfStateDict(models::readSafetensors(path).tensors);
    } catch (const std::invalid_argument& e) {
      throw UserError("init_from `" + path + "`: " + e.what());
    }
  }
  startupMark(mcfg->init_from.empty() ? "model (built, random init)" : "model (built, init from loaded)");
  model_->to(device_);
  startupMark("to device");
  model_->train();
  model_->setVocabPadding(vocabPaddingFor(opt_.pad_vocab, device_));
  params_ = model_->parameters();
  broadcastParameters(*comm_, params_);  // equal already (same seed); now by construction
  optim_ = makeAdamW(params_, tr.optimizer);
  fused_adamw_ = fusedAdamWFor(opt_.fused_adamw);
  if (opt_.shard_optimizer && comm_->distributed()) shards_ = std::make_unique<OptimizerShards>(*comm_, params_);
  grad_sync_ = std::make_unique<GradientSync>(*comm_, params_, int64_t(opt_.bucket_mib * double(1 << 20)),
                                              opt_.overlap == "on" || (opt_.overlap == "auto" && device_.is_cuda()));
  full_flops_per_token_ = model_->flopsPerToken(tr.seq_len);
  divergence_loss_ = std::max(10.0, 2.0 * std::log(double(std::max<int64_t>(2, mcfg->vocab_size))));

  setupRules(per_dataset);

  // Peak FLOP/s for MFU.
  if (!comm_->lead()) {
    peak_flops_ = 1;  // only rank 0 reports throughput
    peak_source_ = "not measured on this rank";
  } else if (opt_.peak_flops > 0) {
    peak_flops_ = opt_.peak_flops;
    peak_source_ = "--peak-flops";
  } else {
    peak_flops_ = measurePeakFlops(device_, bf16_ ? at::kBFloat16 : at::kFloat);
    peak_source_ = std::string("measured ") + (device_.is_cpu() ? "1024^3" : "8192^3") + " " +
                   (bf16_ ? "bf16" : "fp32") + " matmul on this " + (device_.is_cpu() ? "CPU" : "GPU");
  }
  startupMark("optimizer, rules, peak FLOP/s");
}

void Run::startupMark(const std::string& part) {
  const auto now = std::chrono::steady_clock::now();
  startup_.push_back({part, std::chrono::duration<double>(now - startup_mark_).count()});
  startup_mark_ = now;
}

void Run::reportStartup(int64_t step) {
  if (startup_reported_) return;
  startup_reported_ = true;
  startupMark("first step");
  double total = 0;
  nlohmann::json parts = nlohmann::json::object();
  std::string line;
  for (const auto& [part, s] : startup_) {
    total += s;
    parts[part] = s;
    char one[160];
    std::snprintf(one, sizeof one, "%s%s %.2f s", line.empty() ? "" : ", ", part.c_str(), s);
    line += one;
  }
  char head[96];
  std::snprintf(head, sizeof head, "start-up: %.2f s to the end of the first step (", total);
  log(head + line + ")");
  writeMetrics({{"type", "event"}, {"event", "startup"}, {"step", step}, {"seconds", total}, {"parts", parts}});
}

void Run::writeRunFiles(bool resumed) {
  if (resumed) {
    std::ifstream in(dir_->file("plan.json"));
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == plan_text_) return recordResume();
    nlohmann::json theirs, ours = nlohmann::json::parse(plan_text_);
    try {
      theirs = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::exception& e) {
      throw UserError("the run's plan `" + dir_->file("plan.json") + "` is unreadable: " + e.what());
    }
    // Where the recipe file was is provenance, not training: the same recipe reached by
    // another path resumes. Every other field must be equal.
    theirs.erase("recipe_path");
    ours.erase("recipe_path");
    const auto patch = nlohmann::json::diff(theirs, ours);
    if (patch.empty()) return recordResume();
    std::string fields;
    for (size_t i = 0; i < patch.size() && i < 5; ++i) {
      const std::string path = patch[i].at("path").get<std::string>();
      const nlohmann::json::json_pointer ptr(path);
      std::string field = path.substr(1);
      for (char& c : field) c = c == '/' ? '.' : c;
      auto shown = [](const nlohmann::json& j) {
        std::string t = j.dump();
        return t.size() > 80 ? t.substr(0, 77) + "..." : t;
      };
      fields += "\n  `" + field + "`: " + (theirs.contains(ptr) ? shown(theirs.at(ptr)) : "(absent)") +
                " in the run, " + (ours.contains(ptr) ? shown(ours.at(ptr)) : "(absent)") + " now";
    }
    if (patch.size() > 5) fields += "\n  ... and " + std::to_string(patch.size() - 5) + " more";
    throw UserError("this plan differs from the one run `" + dir_->path() + "` started with (" +
                    dir_->file("plan.json") + "):" + fields +
                    "\n  = help: `recipec run --resume " + dir_->path() +
                    "` alone continues the run with its own plan; a changed recipe is a new run");
  }
  dir_->writeFile("plan.json", plan_text_);
  if (!plan_.recipe_path.empty()) {
    std::ifstream in(data::resolvePath(plan_.recipe_path, plan_.base_dir), std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      dir_->writeFile("recipe.recipe", ss.str());
    }
  }
  nlohmann::json info{
      {"revision", sourceRevision()},
      {"recipe_name", plan_.recipe_name},
      {"compiler_version", plan_.compiler_version},
      {"plan_sha256", data::sha256Hex(plan_text_.data(), plan_text_.size())},
      {"seeds", {{"torch", plan_.train.seed}, {"sampler", plan_.train.seed}, {"subnet", plan_.train.seed}}},
      {"device", device_.str()},
      {"world_size", comm_->world()},
      {"backend", comm_->backend()},
      {"threads", at::get_num_threads()},
      {"torch_version", TORCH_VERSION},
      {"precision", plan_.train.precision},
      {"peak_flops", peak_flops_},  // per process; MFU divides by world_size x this
      {"peak_flops_source", peak_source_},
      {"flops_per_token", full_flops_per_token_},
      {"flops_formula", "6*N_matmul + 12*L*H*Q*T (PaLM appendix B)"},
      {"params", model_->numParams()},
      {"timeline", timeline_.describe()}};
  dir_->writeFile("run.json", info.dump(2) + "\n");
}

// A resume may run on another machine or process count: run.json says what runs now
// (world_size, device, ...) and keeps each start in `starts`, the first one included.
// A resume reads the data the run started on, or nothing: its checkpoint's place in the
// blocks (and so every later batch) means only that data.
void Run::checkSources(bool resumed) {
  const nlohmann::json now = data::sourceFingerprints(plan_);
  const std::string record = dir_->file("sources.json");
  if (!resumed || !std::filesystem::exists(record)) {  // a start (or a run from before this record)
    dir_->writeFile("sources.json", now.dump(1) + "\n");
    return;
  }
  nlohmann::json then;
  try {
    then = nlohmann::json::parse(std::ifstream(record));
  } catch (const nlohmann::json::exception& e) {
    throw UserError("the run's record of its data `" + record + "` is unreadable: " + e.what());
  }
  const std::string changed = data::sourcesChanged(then, now);
  if (changed.empty()) return;
  const std::string ckpt = ckpt_->latest().value_or("");
  throw UserError("the data changed since run `" + dir_->path() + "` started: " + changed +
                  "; a resume reads the data its checkpoint points into, so it cannot continue on this data"
                  "\n  = help: restore the file to resume" +
                  (ckpt.empty() ? std::string(", or start a new run")
                                : ", or start a new run from the checkpoint's weights on the new data: `init from \"" +
                                      ckpt + "/model.safetensors\"` in the recipe's train block"));
}

void Run::recordResume() {
  nlohmann::json info;
  try {
    std::ifstream in(dir_->file("run.json"));
    info = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return;  // no readable run.json (a run that stopped before writing it): nothing to amend
  }
  if (!info.is_object()) return;
  nlohmann::json now{{"revision", sourceRevision()},  {"device", device_.str()},
                     {"world_size", comm_->world()},  {"backend", comm_->backend()},
                     {"threads", at::get_num_threads()}, {"torch_version", TORCH_VERSION}};
  if (!info.contains("starts")) {
    nlohmann::json first;
    for (const auto& [k, v] : now.items())
      if (info.contains(k)) first[k] = info[k];
    info["starts"] = nlohmann::json::array({first});
  }
  info["starts"].push_back(now);
  for (const auto& [k, v] : now.items()) info[k] = v;
  dir_->writeFile("run.json", info.dump(2) + "\n");
}

void Run::warn(const std::string& line) {
  progress_.println("warning: " + line);  // even with --quiet: it changes what the run does
}

std::optional<int64_t> Run::resumeFromNewestIntact() {
  if (!comm_->lead()) {
    // Rank 0 chooses (and sets damaged checkpoints aside); the others load what it chose.
    const std::string chosen = comm_->broadcastString(std::string());
    if (chosen.empty()) return std::nullopt;
    loadCheckpoint(chosen);
    return ctx_.metrics.step;
  }
  const auto candidates = ckpt_->candidates();
  if (candidates.empty()) {
    comm_->broadcastString(std::string());
    warn("`" + dir_->path() + "` has no checkpoint (the run stopped before its first); starting it again from step 0");
    metrics_ = std::make_unique<MetricsLog>(dir_->metrics(), 0);
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> skipped;  // folder, why
  std::string chosen;
  for (const auto& folder : candidates) {
    try {
      loadCheckpoint(folder);
      chosen = folder;
      break;
    } catch (const UserError& e) {
      skipped.emplace_back(folder, e.what());
    }
  }
  if (chosen.empty()) {
    std::string why;
    for (const auto& [f, w] : skipped) why += "\n  " + w;
    throw UserError("no checkpoint in `" + dir_->checkpoints() + "` can be loaded:" + why +
                    "\n  = help: nothing was changed; restore a checkpoint from a backup, or start a new run");
  }
  comm_->broadcastString(chosen);
  for (const auto& [folder, why] : skipped) {
    const std::string moved = ckpt_->setAside(folder);
    warn("skipped a damaged checkpoint: " + why + "; moved to `" + moved + "`; resuming from `" + chosen + "`");
    metrics_->write({{"type", "event"}, {"event", "skipped_checkpoint"}, {"step", ctx_.metrics.step},
                     {"checkpoint", folder}, {"moved_to", moved}, {"why", why}});
  }
  return ctx_.metrics.step;
}

RunResult Run::execute() {
  const bool resume = !opt_.resume_dir.empty();
  // Fail before the (possibly long) data and model setup; create() re-checks atomically.
  comm_ = joinGroup(pickDevice(opt_.device), opt_.dist_timeout_s, opt_.process_group);
  if (comm_->distributed()) startupMark("process group");
  const bool lead = comm_->lead();
  if (!lead) opt_.quiet = true;  // rank 0 alone prints, holds the lock and writes the run directory
  if (resume) {
    if (lead) {
      dir_ = RunDir::open(opt_.resume_dir);
      lock_ = std::make_unique<RunLock>(dir_->path());
    }
  } else if (!opt_.run_dir.empty() && std::filesystem::exists(opt_.run_dir)) {
    RunDir::create(opt_.run_dir);
  }
  setup();
  if (!resume && lead) {
    dir_ = RunDir::create(opt_.run_dir.empty() ? RunDir::defaultPath(plan_.recipe_name, opt_.runs_root)
                                               : opt_.run_dir);
    lock_ = std::make_unique<RunLock>(dir_->path());
  }
  // The other ranks learn the directory, and whether it had started, from rank 0.
  run_path_ = comm_->broadcastString(lead ? dir_->path() : std::string());
  const bool started = comm_->broadcastString(lead && resume && dir_->started() ? "1" : "0") == "1";
  if (lead) writeRunFiles(started);
  if (const char* out = std::getenv("RECIPEC_RUN_DIR_OUT"); out && lead) {
    std::ofstream(out) << run_path_ << "\n";  // for `recipec run`'s advice if this process is killed
  }
  ckpt_ = std::make_unique<Checkpointer>(run_path_ + "/checkpoints", plan_.checkpoint.keep);
  if (lead) checkSources(started);
  std::optional<int64_t> from;
  startupMark("run directory");
  if (started) {
    from = resumeFromNewestIntact();  // truncates metrics.jsonl to the checkpoint's position
    startupMark("checkpoint");
  }
  if (!metrics_ && lead) metrics_ = std::make_unique<MetricsLog>(dir_->metrics(), resume ? 0 : -1);
  const bool restored = from.has_value();
  log("run " + run_path_ + (restored ? " (resumed at step " + std::to_string(*from) + ")" : "") +
      (comm_->distributed() ? "; " + std::to_string(comm_->world()) + (comm_->world() == 1 ? " process" : " processes") +
                                  " (" + comm_->backend() + ")" : ""));
  char model_line[320];
  std::snprintf(model_line, sizeof model_line,
                "model %s: %.4gM params, %.4g MFLOPs/token (6N + 12LHQT); peak %.4g GFLOP/s (%s)%s; %d intra-op thread%s",
                plan_.train.model.c_str(), double(model_->numParams()) / 1e6, full_flops_per_token_ / 1e6,
                peak_flops_ / 1e9, peak_source_.c_str(), comm_->distributed() ? " per process" : "", at::get_num_threads(),
                at::get_num_threads() == 1 ? "" : "s");
  log(timeline_.describe() + model_line);
  if (model_->paddedVocab() != model_->config().vocab_size) {
    log("output layer: the product runs over " + std::to_string(model_->paddedVocab()) + " rows, the vocabulary of " +
        std::to_string(model_->config().vocab_size) + " padded to a multiple of " + std::to_string(model_->vocabPadding()) +
        " (zero rows for the GEMM only; --pad-vocab off turns it off)");
  }
  if (comm_->distributed()) {
    int64_t bytes = 0;
    for (size_t b = 0; b < grad_sync_->buckets(); ++b) bytes += grad_sync_->bucketBytes(b);
    char line[240];
    std::snprintf(line, sizeof line, "gradients: %.4g MiB all-reduced in %zu bucket%s (first %.3g MiB), %s",
                  double(bytes) / double(1 << 20), grad_sync_->buckets(), grad_sync_->buckets() == 1 ? "" : "s",
                  double(grad_sync_->bucketBytes(0)) / double(1 << 20),
                  grad_sync_->overlapping() ? "launched during the backward as they fill"
                  : opt_.overlap == "off" ? "after the backward (--overlap off)"
                                          : "after the backward (--overlap auto: on CPU the backward's cores would do the reduction)");
    log(line);
  }
  if (shards_) {
    const auto owned = comm_->allgather(at::tensor({shards_->ownedElements()}, at::kLong));  // (world, 1)
    std::string per_rank;
    for (int r = 0; r < comm_->world(); ++r) {
      char mb[32];
      std::snprintf(mb, sizeof mb, "%s%.4g", r ? " / " : "", double(owned[r][0].item<int64_t>()) * 8 / 1e6);
      per_rank += mb;
    }
    char line[400];
    std::snprintf(line, sizeof line, "optimizer state sharded over %d processes: %s MB per rank (AdamW moments, fp32), %.4g MB unsharded",
                  comm_->world(), per_rank.c_str(), double(shards_->totalElements()) * 8 / 1e6);
    log(line);
  }

  try {
    return trainLoop(restored, from.value_or(0));
  } catch (const UserError& e) {
    // The run ends unfinished: say so in metrics.jsonl too (`recipec runs` reads it); a
    // resume truncates this line away with the rest written after its checkpoint.
    if (!summary_written_ && metrics_) metrics_->write({{"type", "summary"}, {"step", ctx_.metrics.step}, {"tokens", ctx_.metrics.tokens},
                     {"loss", ctx_.metrics.loss}, {"finished", false}, {"failed", e.what()}});
    throw;
  }
}

RunResult Run::trainLoop(bool restored, int64_t s) {
  const bool lead = comm_->lead();
  RunResult result;
  result.run_dir = run_path_;
  const int64_t total = timeline_.total_steps;
  bool boundary_done = restored;  // a checkpoint holds the state after its boundary ran
  t_start_ = t_log_ = std::chrono::steady_clock::now();
  start_step_ = s;
  if (opt_.profile_steps > 0) {
    profiler_ = std::make_unique<StepProfiler>(opt_.profile_steps, run_path_, comm_->rank(), comm_->world(),
                                               device_.is_cuda(), [this](const std::string& l) { log(l); });
    profiler_->plan(s, opt_.until_step >= 0 ? std::min(total, opt_.until_step) : total);
  }
  tokens_since_log_ = 0;
  flops_since_log_ = 0;
  comm_wait_since_log_ = 0;
  while (true) {
    if (ctx_.stop_requested) {
      result.stopped_by_rule = failure_.empty();
      break;
    }
    if (s == opt_.debug_kill_step && comm_->rank() == opt_.debug_kill_rank) {
      opt_.debug_kill_step = -1;  // once (a rollback may replay the step)
      std::raise(opt_.debug_kill_signal);
    }
    if (!boundary_done && s < total) boundary(s);
    boundary_done = false;
    if (ctx_.stop_requested) {
      result.stopped_by_rule = failure_.empty();
      break;
    }
    if (s >= total || (opt_.until_step >= 0 && s >= opt_.until_step)) break;
    if (s == opt_.test_pause_step) waitForStopSignal();
    // After the boundary: the checkpoint below resumes at step s. With several ranks, the
    // flag every rank contributed to the last step's all-reduce, so all stop at the same s.
    if (const int sig = comm_->distributed() ? agreed_stop_signal_ : stopSignal()) {
      interrupted_ = sig;
      break;
    }
    TrainBatch batch;
    try {
      batch = feed_->next(s);
    } catch (const data::DataError& e) {
      // Out of data (a `fresh` round longer than the blocks never trained on): stop with the
      // state of this boundary saved, as for any other failure.
      failure_ = "step " + std::to_string(s) + ": " + e.what() +
                 (ctx_.selection.fresh ? " (`fresh` draws only blocks never trained on)" : "");
      // The same plan on the same data runs out at the same step: a resume cannot help.
      out_of_data_ = true;
      break;
    }
    if (auto it = skip_batches_.find(s); it != skip_batches_.end())
      for (int64_t k = 0; k < it->second; ++k) batch = feed_->next(s);
    StepOutcome o;
    if (profiler_ && profiler_->beforeStep(s)) {
      const std::string range = "step " + std::to_string(s + 1);
      RECORD_USER_SCOPE(range.c_str());
      o = trainStep(s, batch);
    } else {
      o = trainStep(s, batch);
    }
    if (profiler_) profiler_->afterStep(s);
    reportStartup(s + 1);
    if (!o.applied && handleRejected(s, o)) {
      boundary_done = true;  // restored to a boundary already processed
      continue;
    }
    consecutive_skips_ = o.applied ? 0 : consecutive_skips_ + 1;
    ctx_.metrics.step = s + 1;
    ctx_.metrics.tokens += plan_.train.batch_seqs * plan_.train.seq_len;
    ctx_.metrics.loss = o.loss;
    ctx_.metrics.grad_norm = o.grad_norm;
    result.final_loss = o.loss;
    logTrain(s, o, learningRate(plan_.train.schedule, ctx_.base_lr, s));
    ++s;
    if (consecutive_skips_ >= kMaxConsecutiveSkips) {
      // Every step skipped is the model not training: a run that only skips has diverged.
      throw UserError("the last " + std::to_string(consecutive_skips_) + " steps (" +
                      std::to_string(s - consecutive_skips_) + " to " + std::to_string(s - 1) +
                      ") were all skipped (`on " + o.trigger + ": skip`): training has diverged; nothing was saved "
                      "after the last checkpoint" +
                      (ckpt_->latest() ? " `" + *ckpt_->latest() + "`" : std::string()) +
                      "; lower the learning rate or use `on nan: rollback`");
    }
  }
  progress_.finish();
  if (profiler_) profiler_->finish();
  ctx_.metrics.step = s;
  const bool finished = failure_.empty() && interrupted_ == 0 && (s >= total || result.stopped_by_rule);
  if (finished) {
    if (last_eval_step_ != s && !plan_.evaluations.empty()) evaluate(s, /*all=*/true);
    leavePhase();
  }
  if (last_ckpt_step_ != s) saveCheckpoint(s);
  if (finished && lead) {
    const std::string path = dir_->file("model.safetensors");
    models::writeSafetensors(path, model_->hfStateDict(), {{"recipe", plan_.recipe_name}, {"step", std::to_string(s)}});
  }
  nlohmann::json summary{{"type", "summary"}, {"step", s}, {"tokens", ctx_.metrics.tokens},
                         {"loss", ctx_.metrics.loss}, {"finished", finished},
                         {"stopped_by_rule", result.stopped_by_rule}, {"rollbacks", rollbacks_}};
  if (interrupted_) summary["interrupted"] = signalName(interrupted_);
  if (!failure_.empty()) summary["failed"] = failure_;
  if (flops_full_ > 0) {
    summary["flops_executed"] = flops_done_;
    summary["flops_full_model"] = flops_full_;
    summary["flops_saved_pct"] = 100.0 * (1.0 - flops_done_ / flops_full_);
  }
  writeMetrics(summary);
  summary_written_ = true;
  result.steps = s;
  result.interrupted = interrupted_;
  // The same world size resumes bit-exactly (docs/runtime.md): say it in the hint.
  const std::string resume_hint = "continue with `recipec run --resume " + run_path_ +
                                  (comm_->world() > 1 ? " --nproc " + std::to_string(comm_->world()) : "") +
                                  (shards_ ? " --shard-optimizer" : "") + "`";
  if (!failure_.empty() && out_of_data_) {
    // What works: the weights so far, and a recipe changed to need no more data than there is.
    std::string phase;
    for (const auto& p : timeline_.phases)
      if (s >= p.start && s < p.end) phase = p.name;
    const std::string weights = dir_ ? dir_->file("model-step-" + std::to_string(s) + ".safetensors") : std::string();
    if (lead)
      models::writeSafetensors(weights, model_->hfStateDict(), {{"recipe", plan_.recipe_name}, {"step", std::to_string(s)}});
    throw UserError(failure_ + "; a resume would run out at this step again, so change the recipe: " +
                    (phase.empty() ? std::string("shorten the phase") : "end phase `" + phase + "` by step " + std::to_string(s)) +
                    ", add data to its mixture, or drop `fresh`" +
                    (lead ? "; then start a new run from the weights so far with `init from \"" + weights + "\"`" : ""));
  }
  if (!failure_.empty())
    throw UserError(failure_ + "; the checkpoint at step " + std::to_string(s) + " is saved; " + resume_hint);
  char line[256];
  std::snprintf(line, sizeof line, "step %lld of %lld, %s tokens, loss %.4f", (long long)s, (long long)total,
                formatCount(double(ctx_.metrics.tokens)).c_str(), ctx_.metrics.loss);
  if (interrupted_ && lead) {
    progress_.println(std::string("stopped by ") + signalName(interrupted_) + " at " + line + "; checkpoint saved; " +
                      resume_hint);
  } else if (finished) {
    log("done: " + std::string(line) + "; weights in " + run_path_ + "/model.safetensors");
  } else {
    log("stopped at " + std::string(line) + " (--until-step); checkpoint saved; " + resume_hint);
  }
  return result;
}

bool Run::handleRejected(int64_t& s, const StepOutcome& o) {
  const std::string what = o.trigger != "nan" ? "event `on " + o.trigger + "` fired"
                           : !std::isfinite(o.loss) ? "loss is NaN"
                           : !std::isfinite(o.grad_norm) ? "gradient norm is NaN"
                           : "loss " + formatCount(o.loss) + " is above " + formatCount(divergence_loss_) +
                                 " (twice a uniform guess's; training has diverged)";
  if (o.action == "skip") {
    event(o.trigger, {{"action", "skip"}, {"at_step", s}, {"loss", o.loss}, {"grad_norm", o.grad_norm}});
    return false;
  }
  if (o.action == "stop") {
    // The guard did its job: the update was not applied, the run ends here with a
    // checkpoint past the batch that failed, and the exit code says it did not finish.
    event(o.trigger, {{"action", "stop"}, {"at_step", s}, {"loss", o.loss}, {"grad_norm", o.grad_norm}});
    failure_ = what + " at step " + std::to_string(s) + "; stopped by `on " + o.trigger + ": stop` without applying it";
    ctx_.stop_requested = true;
    return false;
  }
  auto latest = ckpt_->latest();
  if (o.action == "rollback") {
    if (!latest) throw UserError(what + " at step " + std::to_string(s) + " and there is no checkpoint to roll back to");
    const int64_t bad = s;
    if (++skip_batches_[bad] > 3)
      throw UserError(what + " at step " + std::to_string(bad) + " again after 3 rollbacks; giving up (last checkpoint `" + *latest + "`)");
    auto skips = skip_batches_;
    loadCheckpoint(*latest);
    for (const auto& [k, v] : skips) skip_batches_[k] = std::max(skip_batches_[k], v);
    ++rollbacks_;
    s = ctx_.metrics.step;
    event(o.trigger, {{"action", "rollback"}, {"at_step", bad}, {"to_step", s}, {"checkpoint", *latest}});
    return true;
  }
  // NaN or divergence with no `on nan` event: nothing after the last good state is saved.
  throw UserError(what + " at step " + std::to_string(s) + " (phase `" + timeline_.phases[phase_].name +
                  "`); the update was not applied and nothing was saved after it" +
                  (latest ? "; the last good checkpoint is `" + *latest + "`" : std::string()) +
                  "; add `on nan: rollback` to the recipe to roll back and skip the batch");
}

RunResult runPlan(const RunOptions& options) { return runPlan(options, nullptr); }

RunResult runPlan(const RunOptions& options, std::unique_ptr<DataFeed> feed) {
  Run run(options, std::move(feed));
  try {
    return run.execute();
  } catch (const PeerError&) {
    throw;  // the group is gone already
  } catch (const std::exception& e) {
    run.reportFailure(e.what());  // peers name this rank and quote the message
    throw;
  }
}

}  // namespace recipec::train
