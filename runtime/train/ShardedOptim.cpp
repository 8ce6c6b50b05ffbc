// ShardedOptim.cpp — see ShardedOptim.h.
#include "runtime/train/ShardedOptim.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <type_traits>

#include <torch/optim/adamw.h>

#include "runtime/train/Distributed.h"
#include "runtime/train/Optim.h"

namespace recipec::train {
OptimizerShards::OptimizerShards(Comm& comm, const std::vector<at::Tensor>& params) : comm_(comm) {
  owner_.assign(params.size(), 0);
  std::vector<size_t> order(params.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return params[a].numel() > params[b].numel(); });
  std::vector<int64_t> load(size_t(comm.world()), 0);
  for (size_t i : order) {
    const int r = int(std::min_element(load.begin(), load.end()) - load.begin());
    owner_[i] = r;
    load[size_t(r)] += params[i].numel();
  }
  for (const auto& p : params) {
    numel_.push_back(p.numel());
    total_ += p.numel();
  }
}

int64_t OptimizerShards::ownedElements() const {
  int64_t n = 0;
  for (size_t i = 0; i < owner_.size(); ++i)
    if (owner_[i] == comm_.rank()) n += numel_[i];
  return n;
}

void OptimizerShards::keepOwnGradients(const std::vector<at::Tensor>& params) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (owner_[i] != comm_.rank() && params[i].grad().defined()) {
      auto p = params[i];
      p.mutable_grad() = at::Tensor();
    }
}

void OptimizerShards::shareUpdatedParameters(const std::vector<at::Tensor>& params) {
  at::NoGradGuard no_grad;
  for (int r = 0; r < comm_.world(); ++r) {
    std::vector<at::Tensor> parts;
    for (size_t i = 0; i < params.size(); ++i)
      if (owner_[i] == r) parts.push_back(params[i].detach().reshape({-1}));
    if (parts.empty()) continue;
    at::Tensor flat = at::cat(parts);
    comm_.broadcast(flat, r);
    if (r == comm_.rank()) continue;
    int64_t at_ = 0;
    for (size_t i = 0; i < params.size(); ++i)
      if (owner_[i] == r) {
        params[i].detach().copy_(flat.narrow(0, at_, numel_[i]).view(params[i].sizes()));
        at_ += numel_[i];
      }
  }
}

void OptimizerShards::gatherStateToLead(torch::optim::AdamW& optim, const std::vector<at::Tensor>& params) {
  auto& state = optim.state();
  for (int r = 1; r < comm_.world(); ++r) {
    std::vector<size_t> mine;
    for (size_t i = 0; i < params.size(); ++i)
      if (owner_[i] == r) mine.push_back(i);
    if (mine.empty()) continue;
    // Which of them have state (a parameter never updated yet has none), with its step.
    at::Tensor header = at::zeros({int64_t(mine.size()), 2}, at::kDouble);
    std::vector<at::Tensor> parts;
    if (comm_.rank() == r) {
      for (size_t k = 0; k < mine.size(); ++k) {
        auto it = state.find(optimStateKey(state, params[mine[k]]));
        if (it == state.end()) continue;
        auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
        header[int64_t(k)][0] = 1.0;
        header[int64_t(k)][1] = double(st.step());
        parts.push_back(st.exp_avg().reshape({-1}).to(at::kFloat));
        parts.push_back(st.exp_avg_sq().reshape({-1}).to(at::kFloat));
      }
    }
    comm_.broadcast(header, r);
    int64_t n = 0;
    for (size_t k = 0; k < mine.size(); ++k)
      if (header[int64_t(k)][0].item<double>() > 0) n += 2 * numel_[mine[k]];
    if (n == 0) continue;
    at::Tensor flat = comm_.rank() == r ? at::cat(parts) : at::empty({n}, at::TensorOptions().dtype(at::kFloat).device(params[0].device()));
    comm_.broadcast(flat, r);
    if (comm_.rank() != 0) continue;
    int64_t at_ = 0;
    for (size_t k = 0; k < mine.size(); ++k) {
      if (header[int64_t(k)][0].item<double>() == 0) continue;
      const auto& p = params[mine[k]];
      auto st = std::make_unique<torch::optim::AdamWParamState>();
      st->step(int64_t(header[int64_t(k)][1].item<double>()));
      st->exp_avg(flat.narrow(0, at_, p.numel()).view(p.sizes()).to(p.dtype()).clone());
      at_ += p.numel();
      st->exp_avg_sq(flat.narrow(0, at_, p.numel()).view(p.sizes()).to(p.dtype()).clone());
      at_ += p.numel();
      state[optimStateKey(state, p)] = std::move(st);
    }
  }
}

void OptimizerShards::dropForeignState(torch::optim::AdamW& optim, const std::vector<at::Tensor>& params) const {
  auto& state = optim.state();
  for (size_t i = 0; i < params.size(); ++i)
    if (owner_[i] != comm_.rank()) state.erase(optimStateKey(state, params[i]));
}

}  // namespace recipec::train
