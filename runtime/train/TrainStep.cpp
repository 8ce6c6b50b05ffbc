// TrainStep.cpp — one optimizer step, validation perplexity, and the train log line.
#include <algorithm>
#include <cmath>
#include <csignal>

#include <torch/autograd.h>
#include <torch/cuda.h>

#include "runtime/train/Device.h"
#include "runtime/train/Loss.h"
#include "runtime/train/Optim.h"
#include "runtime/train/Schedule.h"
#include "runtime/train/Signals.h"
#include "runtime/train/TrainerImpl.h"

namespace recipec::train {

Run::BatchShare Run::shareOfBatch() const {
  const int64_t n_micro = plan_.train.batch_seqs / plan_.train.micro_batch, mb = plan_.train.micro_batch;
  const int64_t W = comm_->world(), R = comm_->rank();
  // Whole micro-batches when there are enough for every rank (a contiguous share each; the
  // memory per forward is a single process's); else every micro-batch split by rows.
  if (n_micro >= W) return {n_micro * R / W, n_micro * (R + 1) / W, 0, mb};
  return {0, n_micro, mb * R / W, mb * (R + 1) / W};
}


StepOutcome Run::trainStep(int64_t s, const TrainBatch& batch) {
  const auto& tr = plan_.train;
  const int64_t B = tr.batch_seqs, mb = tr.micro_batch, T = tr.seq_len;
  auto& rules = rules_[phase_];
  setHyper(*optim_, learningRate(tr.schedule, ctx_.base_lr, s), ctx_.weight_decay);
  ctx_.flops_per_token = full_flops_per_token_;
  for (auto& r : rules) r.policy().beforeStep(ctx_, s);

  const bool async = device_.is_cuda();
  const auto tokens = batch.tokens.to(device_, async);        // (B, T+1) int64
  const auto dataset_ids = batch.dataset_ids.to(device_, async);  // (B)
  const auto block_ids = batch.block_ids.to(device_, async);      // (B)
  // Per-sample losses of the whole global batch (B): this rank fills its micro-batches'
  // rows; with several ranks the all-reduce below fills the others' (x + 0 is exact).
  auto losses = at::zeros({B}, at::TensorOptions().dtype(at::kFloat).device(device_));
  const auto work = shareOfBatch();
  const int64_t n_micro = B / mb, rows = work.row_end - work.row_begin;
  // Loss weights (IR-DRO, rank) are taken over a pool of micro-batches, one by default:
  // the pool's micro-batches keep their graphs until its weights are known.
  int64_t pool = 1;
  for (auto& r : rules) pool = std::max(pool, r.policy().pool());
  pool = std::min(pool, n_micro);
  // A pool that is split over ranks (by rows, or by micro-batches when pooled) first
  // gathers its per-sample losses (zeros + one all-reduce, exact), so the weights are a
  // single process's. Every rank takes part in every pool's all-reduce.
  const bool gather = comm_->world() > 1 && (rows != mb || pool > 1);
  for (int64_t g = 0; g < n_micro; g += pool) {
    const int64_t g_end = std::min(g + pool, n_micro), n = (g_end - g) * mb;
    const int64_t lo = std::max(g, work.first_micro), hi = std::min(g_end, work.end_micro);
    if (!gather && lo >= hi) continue;
    std::vector<at::Tensor> per_sample;  // (rows) fp32 each, graphs kept
    for (int64_t i = lo; i < hi; ++i) {
      const auto x = tokens.narrow(0, i * mb + work.row_begin, rows);  // (rows, T+1)
      AutocastGuard autocast(device_, bf16_);
      const auto logits = model_->forward(x.narrow(1, 0, T));  // (rows, T, V)
      per_sample.push_back(perSampleLoss(logits, x.narrow(1, 1, T)));
    }
    // Row of micro-batch i's first sample in the pool's (n) losses.
    auto at_row = [&](int64_t i) { return (i - g) * mb + work.row_begin; };
    at::Tensor whole;  // (n)
    if (gather) {
      std::vector<at::Tensor> buf{at::zeros({n}, losses.options())};
      for (int64_t i = lo; i < hi; ++i) buf[0].narrow(0, at_row(i), rows).copy_(per_sample[size_t(i - lo)].detach());
      comm_->allreduce(buf, ReduceOp::kSum);
      whole = buf[0];
    } else {
      whole = per_sample.size() == 1 ? per_sample[0].detach() : at::cat(per_sample).detach();
    }
    std::optional<at::Tensor> w;  // (n), sums to 1
    for (auto& r : rules)
      if (!w) w = r.policy().lossWeights(ctx_, whole);
    if (per_sample.empty()) continue;
    // The pool's share of the step's loss: n / B. Unweighted, each sample counts 1 / B.
    at::Tensor pool_loss;
    for (int64_t i = lo; i < hi; ++i) {
      const auto& l = per_sample[size_t(i - lo)];
      at::Tensor part;
      if (w) part = (w->narrow(0, at_row(i), rows) * l).sum();
      else if (rows == mb && pool == 1) part = l.mean();
      else part = l.sum() / double(n);
      pool_loss = pool_loss.defined() ? pool_loss + part : part;
      losses.narrow(0, i * mb + work.row_begin, rows).copy_(l.detach());
    }
    // This rank's last backward of the step launches the gradient buckets as they fill,
    // unless a pool's loss gather (a collective) is still to come on some rank.
    if (gather ? g_end >= n_micro : g_end >= work.end_micro) grad_sync_->armForLastBackward();
    (pool_loss * (double(n) / double(B))).backward();  // grads accumulate in place across pools
  }
  // Gradients summed over ranks (each micro-batch loss is already scaled by micro/batch, so
  // the sum is the whole batch's gradient), then the losses and the stop flags: how many
  // ranks received [SIGHUP, SIGINT, SIGTERM] (Signals.h), so that all stop after the same
  // step.
  const int signal_here = stopSignal();
  auto flags = at::tensor({signal_here == SIGHUP ? 1.0f : 0.0f, signal_here == SIGINT ? 1.0f : 0.0f,
                           signal_here == SIGTERM ? 1.0f : 0.0f}).to(device_);
  std::vector<at::Tensor> extra{losses, flags};
  grad_sync_->finish(extra);
  comm_wait_since_log_ += grad_sync_->waitSeconds();
  losses = extra[0];
  // The recipe machinery sees the whole batch on every rank, micro-batch by micro-batch in
  // a single process's order: the LFR table is the same everywhere, with no table merge.
  auto loss_sum = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(device_));
  const auto step_mean = ctx_.table_form == "relative" ? losses.mean() : at::Tensor();  // only it reads it
  for (int64_t i = 0; i < B / mb; ++i) {
    const auto l = losses.narrow(0, i * mb, mb);
    loss_sum.add_(l.sum());
    const MicroBatch m{l, dataset_ids.narrow(0, i * mb, mb), block_ids.narrow(0, i * mb, mb), step_mean};
    for (auto& r : rules) r.policy().afterForward(ctx_, m);
  }
  ctx_.sources.add(s, losses, dataset_ids);
  if (s == opt_.debug_nan_step && !skip_batches_.count(s)) loss_sum.fill_(NAN);
  const auto norm = clipGradNorm(params_, ctx_.grad_clip);
  // The step's one device -> host transfer: (mean loss, grad norm).
  const auto stats = at::cat({at::stack({loss_sum / double(B), norm.to(at::kFloat)}), extra[1]}).to(at::kCPU);
  StepOutcome o;
  o.stop_signal = stats[4].item<float>() > 0 ? SIGTERM : stats[3].item<float>() > 0 ? SIGINT
                 : stats[2].item<float>() > 0 ? SIGHUP : 0;
  if (o.stop_signal && !agreed_stop_signal_) agreed_stop_signal_ = o.stop_signal;
  o.loss = double(stats[0].item<float>());
  o.grad_norm = double(stats[1].item<float>());
  if (!std::isfinite(o.loss) || !std::isfinite(o.grad_norm) || o.loss > divergence_loss_) {
    zeroGrad(params_);
    o.applied = false;
    o.trigger = "nan";
    o.action = on_nan_;
    return o;
  }
  RunMetrics now = ctx_.metrics;  // this step's values, before the update
  now.loss = o.loss;
  now.grad_norm = o.grad_norm;
  for (auto& se : step_events_) {
    const double v = metricValue(*se.event.when, now);
    if (compare(*se.event.when, v, se.window)) {
      zeroGrad(params_);
      o.applied = false;
      o.trigger = se.event.on;
      o.action = se.event.action;
      return o;
    }
    se.window.push(v);  // flagged values stay out of the baseline
  }
  if (shards_) shards_->keepOwnGradients(params_);  // ZeRO-1: update only the owned ones
  adamwStep(*optim_, fused_adamw_);
  if (shards_) shards_->shareUpdatedParameters(params_);
  zeroGrad(params_);
  const double tokens_step = double(B * T);
  flops_done_ += ctx_.flops_per_token * tokens_step;
  flops_full_ += full_flops_per_token_ * tokens_step;
  flops_since_log_ += ctx_.flops_per_token * tokens_step;
  return o;
}

void Run::evaluate(int64_t s, bool all) {
  const auto& tr = plan_.train;
  const auto saved_subnet = model_->subnet();
  model_->setSubnet(std::nullopt);  // perplexity of the whole model, even mid-EST
  model_->eval();
  torch::NoGradGuard no_grad;
  for (const auto& e : plan_.evaluations) {
    if (!all && s % e.every.steps != 0) continue;
    const size_t d = size_t(std::find(ctx_.datasets.begin(), ctx_.datasets.end(), e.dataset) - ctx_.datasets.begin());
    const int64_t avail = feed_->valBlocks(d);
    const int64_t n = e.max_blocks > 0 ? std::min(e.max_blocks, avail) : avail;
    auto sum = at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(device_));
    // Sharded: micro-batch j of the validation blocks runs on rank j % world; the sums meet
    // in one all-reduce.
    int64_t j = 0;
    for (int64_t first = 0; first < n; first += tr.micro_batch, ++j) {
      if (j % comm_->world() != comm_->rank()) continue;
      const int64_t count = std::min(tr.micro_batch, n - first);
      const auto x = feed_->valBatch(d, first, count).to(device_);  // (count, T+1)
      AutocastGuard autocast(device_, bf16_);
      const auto logits = model_->forward(x.narrow(1, 0, tr.seq_len));
      sum.add_(perSampleLoss(logits, x.narrow(1, 1, tr.seq_len)).sum().to(at::kDouble));
    }
    std::vector<at::Tensor> reduce{sum};
    comm_->allreduce(reduce, ReduceOp::kSum);
    const double loss = reduce[0].item<double>() / double(n);
    const double ppl = std::exp(loss);
    ctx_.metrics.val_ppl[e.dataset + "." + e.split] = ppl;
    writeMetrics({{"type", "eval"}, {"step", s}, {"metric", e.metric}, {"dataset", e.dataset}, {"split", e.split},
                     {"loss", loss}, {"ppl", ppl}, {"blocks", n}});
    char line[160];
    std::snprintf(line, sizeof line, "eval step %lld | %s.%s loss %.4f ppl %.2f (%lld blocks)",
                  (long long)s, e.dataset.c_str(), e.split.c_str(), loss, ppl, (long long)n);
    log(line);
  }
  model_->train();
  model_->setSubnet(saved_subnet);
  last_eval_step_ = s;
}

nlohmann::json Run::scoreBlocks(const std::vector<size_t>& datasets, int64_t max_blocks) {
  const auto& tr = plan_.train;
  const auto t0 = std::chrono::steady_clock::now();
  const auto saved_subnet = model_->subnet();
  model_->setSubnet(std::nullopt);
  model_->eval();
  torch::NoGradGuard no_grad;
  int64_t blocks = 0;
  for (size_t d : datasets) {
    const int64_t total = feed_->trainBlocks(d);
    const int64_t n = max_blocks > 0 ? std::min(max_blocks, total) : total;
    std::vector<int64_t> ids(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i * total / n;  // evenly spread
    auto loss = at::zeros({n}, at::TensorOptions().dtype(at::kFloat).device(device_));
    // Micro-batch j of the blocks runs on rank j % world; the losses meet in one all-reduce.
    int64_t j = 0;
    for (int64_t first = 0; first < n; first += tr.micro_batch, ++j) {
      if (j % comm_->world() != comm_->rank()) continue;
      const int64_t count = std::min(tr.micro_batch, n - first);
      const std::vector<int64_t> part(ids.begin() + first, ids.begin() + first + count);
      const auto x = feed_->trainBlocksById(d, part).to(device_);  // (count, T+1)
      AutocastGuard autocast(device_, bf16_);
      const auto logits = model_->forward(x.narrow(1, 0, tr.seq_len));
      loss.narrow(0, first, count).copy_(perSampleLoss(logits, x.narrow(1, 1, tr.seq_len)).to(at::kFloat));
    }
    std::vector<at::Tensor> reduce{loss};
    comm_->allreduce(reduce, ReduceOp::kSum);
    const auto opts = at::TensorOptions().dtype(at::kLong).device(device_);
    ctx_.table.record(reduce[0], at::full({n}, int64_t(d), opts), at::tensor(ids, at::kLong).to(device_));
    blocks += n;
  }
  model_->train();
  model_->setSubnet(saved_subnet);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {{"blocks", blocks}, {"tokens", blocks * tr.seq_len}, {"seconds", seconds}};
}

void Run::logTrain(int64_t s, const StepOutcome& o, double lr) {
  if (!comm_->lead()) return;
  const auto& tr = plan_.train;
  const int64_t total = timeline_.total_steps;
  tokens_since_log_ += tr.batch_seqs * tr.seq_len;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - t_start_).count();
  const double per_step = elapsed / double(s + 1 - start_step_);
  // Every N steps, the first and the last of the run, and the last before --until-step stops it.
  const bool due = (s + 1) % std::max<int64_t>(1, opt_.log_every) == 0 || s + 1 == total || s == start_step_ ||
                   s + 1 == opt_.until_step;
  if (!opt_.quiet) {
    const double tps = double(tr.batch_seqs * tr.seq_len) / std::max(1e-9, per_step);
    progress_.update(s + 1, total, o.loss, tps, per_step * double(total - s - 1));
  }
  if (!due) return;
  if (device_.is_cuda()) torch::cuda::synchronize();
  const double dt = std::chrono::duration<double>(now - t_log_).count();
  const double tps = double(tokens_since_log_) / std::max(1e-9, dt);
  // Every rank computes at its own peak: the run's peak is world x rank 0's.
  const double mfu = flops_since_log_ / std::max(1e-9, dt) / (peak_flops_ * comm_->world());
  nlohmann::json record{{"type", "train"}, {"step", s + 1}, {"tokens", ctx_.metrics.tokens},
                        {"loss", o.loss}, {"lr", lr}, {"grad_norm", o.grad_norm},
                        {"tokens_per_s", tps}, {"mfu", mfu}, {"flops_per_token", ctx_.flops_per_token},
                        {"flops_formula", "6N+12LHQT"}, {"phase", timeline_.phases[phase_].name},
                        {"policies", activePolicies()}, {"applied", o.applied}};
  if (comm_->distributed()) {
    // The gradient all-reduce: seconds per step the trainer waited for it after the backward
    // (what the backward did not hide; on CUDA the wait is queued, not timed), and how many
    // of the last step's buckets were launched during the backward.
    const int64_t steps = std::max<int64_t>(1, tokens_since_log_ / (tr.batch_seqs * tr.seq_len));
    record["allreduce_wait_s"] = comm_wait_since_log_ / double(steps);
    record["buckets"] = grad_sync_->buckets();
    record["buckets_in_backward"] = grad_sync_->launchedDuringBackward();
  }
  writeMetrics(record);
  if (!progress_.tty() && !opt_.quiet) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "step %lld/%lld | loss %.4f | lr %.2e | gnorm %.3f | %s tok/s | MFU %.1f%% | %s | ETA %s",
                  (long long)(s + 1), (long long)total, o.loss, lr, o.grad_norm, formatCount(tps).c_str(),
                  100.0 * mfu, timeline_.phases[phase_].name.c_str(),
                  formatDuration(per_step * double(total - s - 1)).c_str());
    log(line);
  }
  t_log_ = now;
  tokens_since_log_ = 0;
  flops_since_log_ = 0;
  comm_wait_since_log_ = 0;
}

}  // namespace recipec::train
