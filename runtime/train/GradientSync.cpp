// GradientSync.cpp — bucketed gradient all-reduce launched from the backward pass (see
// GradientSync.h). The hooks are post-hooks on the parameters' gradient accumulators: they
// run once the accumulator has added this backward's contribution, so `param.grad()` is the
// step's gradient on this rank when the hook reads it.
#include "runtime/train/GradientSync.h"

#include <chrono>
#include <map>
#include <mutex>
#include <tuple>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "runtime/train/Distributed.h"

namespace recipec::train {

namespace {
constexpr int64_t kFirstBucketBytes = 1 << 20;
}

struct GradientSync::State {
  struct Bucket {
    std::vector<size_t> members;  // parameter indices
    int64_t numel = 0;
    at::Tensor flat;
  };

  Comm& comm;
  std::vector<at::Tensor> params;
  bool overlap;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;   // per parameter
  std::vector<int64_t> offset_of;  // per parameter: where its gradient sits in its bucket
  // kept alive: the hooks live on them (whichever pointer this LibTorch hands out)
  std::vector<decltype(torch::autograd::impl::grad_accumulator(std::declval<at::Tensor>()))> accumulators;
  std::vector<uintptr_t> hook_keys;

  std::mutex mu;  // the hooks run on the autograd engine's thread for the device
  bool armed = false;
  bool refired = false;
  std::exception_ptr error;
  std::vector<char> ready;         // per parameter: copied into its bucket this step
  std::vector<int64_t> remaining;  // per bucket: hooked members not yet ready
  size_t next = 0;                 // the next bucket to launch (launches go in bucket order)
  std::vector<std::unique_ptr<Comm::Pending>> pending;  // per bucket
  int64_t launched_in_backward = 0;  // of the last finished step
  double wait_s = 0;

  State(Comm& c, std::vector<at::Tensor> p, bool o) : comm(c), params(std::move(p)), overlap(o) {}

  void fill(size_t i) {
    auto slot = buckets[bucket_of[i]].flat.narrow(0, offset_of[i], params[i].numel());
    const auto& g = params[i].grad();
    if (g.defined()) slot.copy_(g.reshape({-1}));
    else slot.zero_();
    ready[i] = 1;
  }

  void launch(size_t k) {
    std::vector<at::Tensor> one{buckets[k].flat};
    pending[k] = comm.allreduceAsync(one, ReduceOp::kSum);
  }

  // Called by the hook of parameter i (under `mu`).
  void onReady(size_t i) {
    if (!armed || error) return;
    if (ready[i]) {  // a second contribution after its bucket may have gone: redo all in finish
      refired = true;
      return;
    }
    try {
      fill(i);
      if (--remaining[bucket_of[i]] > 0) return;
      while (!refired && next < buckets.size() && remaining[next] == 0) launch(next++);
    } catch (...) {
      error = std::current_exception();  // rethrown by finish, on the trainer's thread
    }
  }

  void hook(size_t i) {
    auto acc = torch::autograd::impl::grad_accumulator(params[i]);
    accumulators[i] = acc;
    hook_keys[i] = acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, i](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          std::lock_guard<std::mutex> lock(mu);
          onReady(i);
          return outputs;
        }));
  }
};

GradientSync::GradientSync(Comm& comm, std::vector<at::Tensor> params, int64_t bucket_bytes, bool overlap)
    : state_(std::make_shared<State>(comm, std::move(params), overlap)) {
  auto& s = *state_;
  if (!comm.distributed()) return;
  const size_t n = s.params.size();
  s.bucket_of.assign(n, 0);
  s.offset_of.assign(n, 0);
  // Reverse parameter order: the backward finishes the last layers first.
  std::map<std::tuple<int, int, int>, size_t> open;  // (dtype, device type, index) -> bucket
  for (size_t j = n; j-- > 0;) {
    const auto& p = s.params[j];
    const auto key = std::make_tuple(int(p.scalar_type()), int(p.device().type()), int(p.device().index()));
    auto it = open.find(key);
    const int64_t cap = it != open.end() && it->second == 0 ? std::min(bucket_bytes, kFirstBucketBytes) : bucket_bytes;
    if (it == open.end() || s.buckets[it->second].numel * int64_t(p.element_size()) >= cap) {
      s.buckets.emplace_back();
      it = open.insert_or_assign(key, s.buckets.size() - 1).first;
    }
    auto& b = s.buckets[it->second];
    b.members.push_back(j);
    s.bucket_of[j] = it->second;
    s.offset_of[j] = b.numel;
    b.numel += p.numel();
  }
  for (auto& b : s.buckets)
    b.flat = at::empty({b.numel}, s.params[b.members[0]].options().requires_grad(false));
  s.ready.assign(n, 0);
  s.remaining.assign(s.buckets.size(), 0);
  s.pending.resize(s.buckets.size());
  s.accumulators.resize(n);
  s.hook_keys.assign(n, 0);
  if (overlap)
    for (size_t i = 0; i < n; ++i)
      if (s.params[i].requires_grad()) s.hook(i);
}

GradientSync::~GradientSync() {
  auto& s = *state_;
  for (size_t i = 0; i < s.accumulators.size(); ++i)
    if (s.accumulators[i]) s.accumulators[i]->del_post_hook(s.hook_keys[i]);
}

void GradientSync::armForLastBackward() {
  auto& s = *state_;
  if (!s.comm.distributed() || !s.overlap) return;
  std::lock_guard<std::mutex> lock(s.mu);
  std::fill(s.remaining.begin(), s.remaining.end(), 0);
  for (size_t i = 0; i < s.params.size(); ++i) {
    if (!s.params[i].requires_grad()) continue;
    // A parameter whose accumulator was replaced (its data swapped for another dtype or
    // device) gets the hook again on the new one.
    if (torch::autograd::impl::try_get_grad_accumulator(s.params[i]) != s.accumulators[i]) {
      if (s.accumulators[i]) s.accumulators[i]->del_post_hook(s.hook_keys[i]);
      s.hook(i);
    }
    ++s.remaining[s.bucket_of[i]];  // hooked members this backward must finish
  }
  s.armed = true;
}

void GradientSync::finish(std::vector<at::Tensor>& extra) {
  auto& s = *state_;
  if (!s.comm.distributed()) return;
  std::lock_guard<std::mutex> lock(s.mu);
  const bool was_armed = s.armed;
  s.armed = false;
  auto reset = [&] {
    std::fill(s.ready.begin(), s.ready.end(), 0);
    for (auto& p : s.pending) p.reset();
    s.next = 0;
    s.refired = false;
  };
  if (s.error) {
    auto e = s.error;
    s.error = nullptr;
    reset();
    std::rethrow_exception(e);
  }
  if (s.refired) {  // launched buckets may hold a partial gradient: wait, then reduce all again
    for (size_t k = 0; k < s.next; ++k) s.pending[k]->wait();
    reset();
  }
  const int64_t in_backward = was_armed ? int64_t(s.next) : 0;
  for (size_t k = s.next; k < s.buckets.size(); ++k) {
    for (size_t i : s.buckets[k].members)
      if (!s.ready[i]) s.fill(i);
    s.launch(k);
  }
  s.next = s.buckets.size();
  std::unique_ptr<Comm::Pending> extra_pending;
  if (!extra.empty()) extra_pending = s.comm.allreduceAsync(extra, ReduceOp::kSum);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& p : s.pending) p->wait();
  if (extra_pending) extra_pending->wait();
  s.wait_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < s.params.size(); ++i) {
    const auto& g = s.params[i].grad();
    if (g.defined()) g.copy_(s.buckets[s.bucket_of[i]].flat.narrow(0, s.offset_of[i], g.numel()).view(g.sizes()));
  }
  reset();
  s.launched_in_backward = in_backward;
}

size_t GradientSync::buckets() const { return state_->buckets.size(); }
int64_t GradientSync::bucketBytes(size_t b) const {
  return state_->buckets[b].flat.numel() * int64_t(state_->buckets[b].flat.element_size());
}
bool GradientSync::overlapping() const { return state_->overlap && state_->comm.distributed(); }
int64_t GradientSync::launchedDuringBackward() const { return state_->launched_in_backward; }
double GradientSync::waitSeconds() const { return state_->wait_s; }

}  // namespace recipec::train
