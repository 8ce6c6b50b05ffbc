// Optim.cpp — see Optim.h.
#include "runtime/train/Optim.h"

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
      auto it = state.find(c10::guts::to_string(p.unsafeGetTensorImpl()));
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
