// Optim.cpp — see Optim.h.
#include "runtime/train/Optim.h"

#include <map>
#include <stdexcept>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/_fused_adamw.h>

namespace recipec::train {

std::unique_ptr<torch::optim::AdamW> makeAdamW(const std::vector<at::Tensor>& params,
                                               const plan::Optimizer& cfg) {
  if (cfg.kind != "adamw")
    throw plan::PlanError("optimizer `" + cfg.kind + "` is not supported (this runtime has adamw)");
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& p : params) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto opts = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(cfg.lr)
            .betas(std::make_tuple(cfg.beta1, cfg.beta2))
            .eps(cfg.eps)
            .weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, opts(cfg.weight_decay));
  groups.emplace_back(no_decay, opts(0.0));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(cfg.lr));
}

void setHyper(torch::optim::AdamW& opt, double lr, double weight_decay) {
  auto& groups = opt.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(groups[i].options());
    o.lr(lr);
    if (i == 0) o.weight_decay(weight_decay);
  }
}

void adamwStep(torch::optim::AdamW& opt, bool fused) {
  if (!fused) {
    opt.step();
    return;
  }
  at::NoGradGuard no_grad;
  auto& state = opt.state();
  for (auto& group : opt.param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    // One 0-dim step tensor per distinct step count (the parameters share the model's device):
    // parameters that skipped steps (an EST subnet's layers without gradients) have their own.
    std::map<int64_t, at::Tensor> step_tensors;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto key = optimStateKey(state, p);
      auto it = state.find(key);
      if (it == state.end()) {  // as AdamW::step starts a parameter's state
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->step(0);
        st->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        st->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        it = state.emplace(key, std::move(st)).first;
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
      st.step(st.step() + 1);
      auto& t = step_tensors[st.step()];
      if (!t.defined()) t = at::full({}, double(st.step()), p.options().dtype(at::kFloat));
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(st.exp_avg());
      exp_avg_sqs.push_back(st.exp_avg_sq());
      steps.push_back(t);
    }
    if (params.empty()) continue;
    if (o.amsgrad()) throw std::logic_error("adamwStep: amsgrad is not supported fused");
    const auto [beta1, beta2] = o.betas();
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, o.lr(), beta1, beta2,
                      o.weight_decay(), o.eps(), /*amsgrad=*/false, /*maximize=*/false);
  }
}

bool fusedAdamWFor(const std::string& option) { return option != "off"; }

at::Tensor clipGradNorm(const std::vector<at::Tensor>& params, double max_norm) {
  std::vector<at::Tensor> norms;
  norms.reserve(params.size());
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(2).to(at::kFloat));
  if (norms.empty()) return at::zeros({}, at::kFloat);
  auto total = at::stack(norms).norm(2);  // 0-dim, on the device
  if (max_norm > 0) {
    const auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    for (const auto& p : params)
      if (p.grad().defined()) p.mutable_grad().mul_(coef);
  }
  return total;
}

void placeStateWithParams(torch::optim::AdamW& opt) {
  auto& state = opt.state();
  for (auto& group : opt.param_groups()) {
    for (auto& p : group.params()) {
      auto it = state.find(optimStateKey(state, p));
      if (it == state.end()) continue;
      auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
      const auto where = p.options();  // device and dtype of the parameter
      if (st.exp_avg().defined()) st.exp_avg(st.exp_avg().to(where));
      if (st.exp_avg_sq().defined()) st.exp_avg_sq(st.exp_avg_sq().to(where));
      if (st.max_exp_avg_sq().defined()) st.max_exp_avg_sq(st.max_exp_avg_sq().to(where));
    }
  }
}

void zeroGrad(const std::vector<at::Tensor>& params) {
  for (const auto& p : params)
    if (p.grad().defined()) p.mutable_grad() = at::Tensor();
}

}  // namespace recipec::train
