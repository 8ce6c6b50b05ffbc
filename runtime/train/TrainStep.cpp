// TrainStep.cpp — one optimizer step, validation perplexity, and the train log line.
#include <cmath>

#include <torch/autograd.h>
#include <torch/cuda.h>

#include "runtime/train/Device.h"
#include "runtime/train/Loss.h"
#include "runtime/train/Optim.h"
#include "runtime/train/Schedule.h"
#include "runtime/train/TrainerImpl.h"

namespace recipec::train {

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
  auto loss_sum = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(device_));
  const double micro_share = double(mb) / double(B);
  for (int64_t i = 0; i < B / mb; ++i) {
    const auto x = tokens.narrow(0, i * mb, mb);  // (mb, T+1)
    at::Tensor per_sample;                         // (mb) fp32
    {
      AutocastGuard autocast(device_, bf16_);
      const auto logits = model_->forward(x.narrow(1, 0, T));  // (mb, T, V)
      per_sample = perSampleLoss(logits, x.narrow(1, 1, T));
    }
    std::optional<at::Tensor> w;  // (mb), sums to 1
    for (auto& r : rules)
      if (!w) w = r.policy().lossWeights(per_sample);
    const auto micro_loss = w ? (*w * per_sample).sum() : per_sample.mean();
    (micro_loss * micro_share).backward();  // grads accumulate in place across micro-batches
    const auto detached = per_sample.detach();
    loss_sum.add_(detached.sum());
    const MicroBatch m{detached, dataset_ids.narrow(0, i * mb, mb), block_ids.narrow(0, i * mb, mb)};
    for (auto& r : rules) r.policy().afterForward(ctx_, m);
  }
  if (s == opt_.debug_nan_step && !skip_batches_.count(s)) loss_sum.fill_(NAN);
  const auto norm = clipGradNorm(params_, ctx_.grad_clip);
  // The step's one device -> host transfer: (mean loss, grad norm).
  const auto stats = at::stack({loss_sum / double(B), norm.to(at::kFloat)}).to(at::kCPU);
  StepOutcome o;
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
  optim_->step();
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
    auto sum = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(device_));
    for (int64_t first = 0; first < n; first += tr.micro_batch) {
      const int64_t count = std::min(tr.micro_batch, n - first);
      const auto x = feed_->valBatch(d, first, count).to(device_);  // (count, T+1)
      AutocastGuard autocast(device_, bf16_);
      const auto logits = model_->forward(x.narrow(1, 0, tr.seq_len));
      sum.add_(perSampleLoss(logits, x.narrow(1, 1, tr.seq_len)).sum().to(at::kDouble));
    }
    const double loss = sum.item<double>() / double(n);
    const double ppl = std::exp(loss);
    ctx_.metrics.val_ppl[e.dataset + "." + e.split] = ppl;
    metrics_->write({{"type", "eval"}, {"step", s}, {"metric", e.metric}, {"dataset", e.dataset}, {"split", e.split},
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

void Run::logTrain(int64_t s, const StepOutcome& o, double lr) {
  const auto& tr = plan_.train;
  const int64_t total = timeline_.total_steps;
  tokens_since_log_ += tr.batch_seqs * tr.seq_len;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - t_start_).count();
  const double per_step = elapsed / double(s + 1 - start_step_);
  const bool due = (s + 1) % std::max<int64_t>(1, opt_.log_every) == 0 || s + 1 == total || s == start_step_;
  if (!opt_.quiet) {
    const double tps = double(tr.batch_seqs * tr.seq_len) / std::max(1e-9, per_step);
    progress_.update(s + 1, total, o.loss, tps, per_step * double(total - s - 1));
  }
  if (!due) return;
  if (device_.is_cuda()) torch::cuda::synchronize();
  const double dt = std::chrono::duration<double>(now - t_log_).count();
  const double tps = double(tokens_since_log_) / std::max(1e-9, dt);
  const double mfu = flops_since_log_ / std::max(1e-9, dt) / peak_flops_;
  metrics_->write({{"type", "train"}, {"step", s + 1}, {"tokens", ctx_.metrics.tokens},
                   {"loss", o.loss}, {"lr", lr}, {"grad_norm", o.grad_norm},
                   {"tokens_per_s", tps}, {"mfu", mfu}, {"flops_per_token", ctx_.flops_per_token},
                   {"flops_formula", "6N+12LHQT"}, {"phase", timeline_.phases[phase_].name},
                   {"policies", activePolicies()}, {"applied", o.applied}});
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
}

}  // namespace recipec::train
