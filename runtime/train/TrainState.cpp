// TrainState.cpp — what a checkpoint holds and how a run comes back from it.
//
// Files in a checkpoint folder (sealed by Checkpointer with a sha256 manifest):
//   model.safetensors  the weights under their Hugging Face names (readable by transformers)
//   optimizer.pt       AdamW state (moments, step counts, group options), torch::save
//   tensors.pt         RNG states (CPU, CUDA), LFR block table, focus/drop masks, orders
//   state.json         step, tokens, phase, rule and policy states, selection, sampler
//                      state, `set` values, event windows and skips, FLOP counters, the
//                      metrics.jsonl byte position, last metrics
// Everything the next step reads is here, which is what makes resume bit-exact.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <torch/serialize.h>

#include "runtime/models/Safetensors.h"
#include "runtime/train/Device.h"
#include "runtime/train/Errors.h"
#include "runtime/train/Optim.h"
#include "runtime/train/TrainerImpl.h"

namespace recipec::train {
namespace {

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// JSON has no NaN: non-finite doubles go out as null and come back as NaN.
nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
double num(const nlohmann::json& j) { return j.is_null() ? NAN : j.get<double>(); }

}  // namespace

nlohmann::json Run::eventWindows() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& se : step_events_) out.push_back(se.window.state());
  return out;
}

void Run::checkReplicas() {
  if (!comm_->distributed()) return;
  // The ranks apply the same update to the same weights: any difference is a bug, never
  // noise. One sum of every weight, compared by max and -max.
  double sum = 0;
  {
    at::NoGradGuard no_grad;
    auto acc = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(device_));
    for (const auto& p : params_) acc.add_(p.detach().sum(at::kDouble));  // no copy, no sync
    sum = acc.item<double>();
  }
  const auto m = comm_->max({sum, -sum});
  if (m[0] != -m[1])
    throw std::runtime_error("the weights differ between ranks (sum " + std::to_string(-m[1]) + " .. " +
                             std::to_string(m[0]) + ") at step " + std::to_string(ctx_.metrics.step));
}

void Run::saveCheckpoint(int64_t s) {
  // Every rank's generator state, gathered to rank 0, which alone writes the checkpoint.
  const at::Tensor rngs = comm_->allgather(cpuRngState());  // (world, n) uint8
  checkReplicas();
  if (shards_) shards_->gatherStateToLead(*optim_, params_);  // rank 0 writes the whole state
  if (!comm_->lead()) {
    last_ckpt_step_ = s;
    return;
  }
  nlohmann::json rules = nlohmann::json::array();
  for (auto& phase : rules_) {
    nlohmann::json p = nlohmann::json::array();
    for (auto& r : phase) p.push_back(r.state());
    rules.push_back(p);
  }
  nlohmann::json val = nlohmann::json::object();
  for (const auto& [k, v] : ctx_.metrics.val_ppl) val[k] = num(v);
  nlohmann::json skips = nlohmann::json::object();
  for (const auto& [k, v] : skip_batches_) skips[std::to_string(k)] = v;
  std::vector<std::string> mask_keys;
  for (const auto& [k, m] : ctx_.keep_masks) mask_keys.push_back(k);
  std::vector<int64_t> ordered;
  for (size_t d = 0; d < ctx_.selection.order.size(); ++d)
    if (ctx_.selection.order[d]) ordered.push_back(int64_t(d));

  nlohmann::json state{
      {"step", s},
      {"world_size", comm_->world()},
      {"tokens", ctx_.metrics.tokens},
      {"metrics", {{"loss", num(ctx_.metrics.loss)}, {"grad_norm", num(ctx_.metrics.grad_norm)}, {"val_ppl", val}}},
      {"metrics_position", metrics_->position()},
      {"phase", phase_},
      {"phase_entered", phase_entered_},
      {"base_lr", ctx_.base_lr},
      {"weight_decay", ctx_.weight_decay},
      {"grad_clip", ctx_.grad_clip},
      {"selection", {{"mixture", ctx_.selection.mixture}, {"ramp_start", ctx_.selection.ramp_start},
                     {"ramp_end", ctx_.selection.ramp_end}, {"fresh", ctx_.selection.fresh}}},
      {"sources", ctx_.sources.state()},
      {"keep_masks", mask_keys},
      {"ordered_datasets", ordered},
      {"rules", rules},
      {"sampler", feed_->state()},
      {"event_windows", eventWindows()},
      {"skip_batches", skips},
      {"rollbacks", rollbacks_},
      {"consecutive_skips", consecutive_skips_},
      {"flops_done", flops_done_},
      {"flops_full", flops_full_},
      {"last_eval_step", last_eval_step_}};

  std::string folder;
  try {
    folder = ckpt_->save(s, [&](const std::string& dir) {
      models::writeSafetensors(dir + "/model.safetensors", model_->hfStateDict());
      {
        CheckedFile f(dir + "/optimizer.pt");
        torch::save(*optim_, f.stream());
        f.close();
      }
      torch::serialize::OutputArchive ar;
      ar.write("rng_cpu", cpuRngState());
      for (int r = 0; r < comm_->world(); ++r) ar.write("rng_cpu_rank" + std::to_string(r), rngs[r].clone());
      if (auto cuda = cudaRngState(); cuda.defined()) ar.write("rng_cuda", cuda);
      ar.write("block_table", ctx_.table.toCpu());
      for (size_t i = 0; i < mask_keys.size(); ++i) ar.write("keep_" + std::to_string(i), ctx_.keep_masks[mask_keys[i]]);
      for (int64_t d : ordered)
        ar.write("order_" + std::to_string(d), at::tensor(*ctx_.selection.order[size_t(d)], at::kLong));
      {
        CheckedFile f(dir + "/tensors.pt");
        ar.save_to(f.stream());
        f.close();
      }
      writeFileChecked(dir + "/state.json", state.dump(1) + "\n");
    });
  } catch (const std::exception& e) {
    // A full disk, a quota, a vanished folder: the temporary folder is gone (Checkpointer
    // removes it) and every sealed checkpoint is as it was.
    const auto previous = ckpt_->latest();
    throw UserError("cannot save the checkpoint of step " + std::to_string(s) + ": " + firstLine(e.what()) +
                    (previous ? "; the previous checkpoint `" + *previous + "` is intact"
                              : std::string("; no checkpoint was saved before it")));
  }
  if (shards_) shards_->dropForeignState(*optim_, params_);
  last_ckpt_step_ = s;
  event("checkpoint", {{"path", folder}});
}

void Run::loadCheckpoint(const std::string& folder) {
  Checkpointer::verify(folder);  // every file against its sha256 first
  // Files whose checksums hold can still be wrong inside (written by another build, edited
  // by hand, truncated before sealing by a foreign tool): every failure while reading them
  // is a UserError naming the file being read, never an internal error.
  std::string reading = "state.json";
  try {
    loadCheckpointFiles(folder, reading);
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    throw UserError("checkpoint file `" + folder + "/" + reading + "` is damaged: " + firstLine(e.what()));
  }
  // The checkpoint event of this step was written just after the position the checkpoint
  // recorded, so the truncation above removed it: write it again, as it was.
  writeMetrics({{"type", "event"}, {"event", "checkpoint"}, {"step", ctx_.metrics.step}, {"path", folder}});
}

void Run::loadCheckpointFiles(const std::string& folder, std::string& reading) {
  nlohmann::json state;
  {
    std::ifstream in(folder + "/state.json");
    state = nlohmann::json::parse(in);
  }
  for (const char* key : {"step", "tokens", "metrics", "metrics_position", "phase", "phase_entered", "base_lr",
                          "weight_decay", "grad_clip", "selection", "keep_masks", "ordered_datasets", "rules",
                          "sampler", "event_windows", "skip_batches", "rollbacks", "flops_done", "flops_full",
                          "last_eval_step"})
    if (!state.is_object() || !state.contains(key)) throw std::runtime_error(std::string("it has no `") + key + "`");
  reading = "model.safetensors";
  try {
    model_->loadHfStateDict(models::readSafetensors(folder + "/model.safetensors").tensors);
  } catch (const std::invalid_argument& e) {
    throw UserError("checkpoint `" + folder + "/model.safetensors` does not fit the model: " + e.what());
  }
  model_->setSubnet(std::nullopt);  // beforeStep sets it again when a subnet policy is active
  reading = "optimizer.pt";
  torch::load(*optim_, folder + "/optimizer.pt");
  placeStateWithParams(*optim_);  // a checkpoint moves between CPU and CUDA in both directions
  if (shards_) shards_->dropForeignState(*optim_, params_);
  reading = "tensors.pt";

  torch::serialize::InputArchive ar;
  ar.load_from(folder + "/tensors.pt");
  // A fresh tensor per read: InputArchive::read into a defined tensor calls set_() on it,
  // which keeps the old dtype over the new storage.
  auto read = [&](const std::string& key) {
    at::Tensor t;
    ar.read(key, t);
    return t;
  };
  // This rank's generator state; a rank the checkpoint did not have (a larger world) takes
  // rank 0's. All ranks hold the same state unless something draws per rank.
  if (at::Tensor mine; ar.try_read("rng_cpu_rank" + std::to_string(comm_->rank()), mine)) setCpuRngState(mine);
  else setCpuRngState(read("rng_cpu"));
  if (at::Tensor cuda; ar.try_read("rng_cuda", cuda)) setCudaRngState(cuda);
  ctx_.table.load(read("block_table"));
  ctx_.keep_masks.clear();
  const auto keys = state.at("keep_masks").get<std::vector<std::string>>();
  for (size_t i = 0; i < keys.size(); ++i) {
    ctx_.keep_masks[keys[i]] = read("keep_" + std::to_string(i)).to(at::kBool).clone();
  }
  ctx_.rebuildAllowed();
  ctx_.selection.order.assign(ctx_.datasets.size(), std::nullopt);
  bool any_order = false;
  for (int64_t d : state.at("ordered_datasets").get<std::vector<int64_t>>()) {
    const auto t = read("order_" + std::to_string(d)).contiguous();
    ctx_.selection.order[size_t(d)] = std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    any_order = true;
  }
  if (!any_order) ctx_.selection.order.clear();

  reading = "state.json";
  ctx_.metrics.step = state.at("step").get<int64_t>();
  ctx_.metrics.tokens = state.at("tokens").get<int64_t>();
  const auto& m = state.at("metrics");
  ctx_.metrics.loss = num(m.at("loss"));
  ctx_.metrics.grad_norm = num(m.at("grad_norm"));
  ctx_.metrics.val_ppl.clear();
  for (const auto& [k, v] : m.at("val_ppl").items()) ctx_.metrics.val_ppl[k] = num(v);
  phase_ = state.at("phase").get<size_t>();
  phase_entered_ = state.at("phase_entered").get<bool>();
  const auto& p = timeline_.phases.at(phase_);
  ctx_.phase_index = int64_t(phase_);
  ctx_.phase_start = p.start;
  ctx_.phase_end = p.end;
  ctx_.base_lr = state.at("base_lr").get<double>();
  ctx_.weight_decay = state.at("weight_decay").get<double>();
  ctx_.grad_clip = state.at("grad_clip").get<double>();
  const auto& sel = state.at("selection");
  ctx_.selection.mixture = sel.at("mixture").get<std::vector<plan::MixEntry>>();
  ctx_.selection.ramp_start = sel.at("ramp_start").get<int64_t>();
  ctx_.selection.ramp_end = sel.at("ramp_end").get<int64_t>();
  ctx_.selection.fresh = sel.value("fresh", false);
  ctx_.sources.loadState(state.value("sources", nlohmann::json()));
  const auto& rules = state.at("rules");
  if (rules.size() != rules_.size()) throw UserError("checkpoint `" + folder + "` was written for a different plan");
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules[i].size() != rules_[i].size()) throw UserError("checkpoint `" + folder + "` was written for a different plan");
    for (size_t j = 0; j < rules_[i].size(); ++j) rules_[i][j].loadState(rules[i][j]);
  }
  // The sampler takes the selection first and its position second, as it had them.
  feed_->select(ctx_.selection);
  ctx_.selection.changed = false;
  feed_->loadState(state.at("sampler"));
  const auto& windows = state.at("event_windows");
  if (windows.size() != step_events_.size()) throw UserError("checkpoint `" + folder + "` was written for a different plan");
  for (size_t i = 0; i < step_events_.size(); ++i) step_events_[i].window.loadState(windows[i]);
  skip_batches_.clear();
  for (const auto& [k, v] : state.at("skip_batches").items()) skip_batches_[std::stoll(k)] = v.get<int64_t>();
  rollbacks_ = state.at("rollbacks").get<int64_t>();
  consecutive_skips_ = state.value("consecutive_skips", int64_t(0));
  flops_done_ = state.at("flops_done").get<double>();
  flops_full_ = state.at("flops_full").get<double>();
  last_eval_step_ = state.at("last_eval_step").get<int64_t>();
  last_ckpt_step_ = ctx_.metrics.step;
  const int64_t saved_world = state.value("world_size", int64_t(1));
  if (saved_world != comm_->world())
    log("note: the checkpoint was written by " + std::to_string(saved_world) + " processes, this run has " +
        std::to_string(comm_->world()) + ": same batches and recipe state, losses equal up to float summation order");
  if (!comm_->lead()) return;
  metrics_.reset();  // close before truncating
  metrics_ = std::make_unique<MetricsLog>(dir_->metrics(), state.at("metrics_position").get<int64_t>());
}

}  // namespace recipec::train
