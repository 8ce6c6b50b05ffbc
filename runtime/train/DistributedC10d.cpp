// DistributedC10d.cpp — the process group over torch's c10d (see Distributed.h for the
// contract): rendezvous on a TCPStore hosted by rank 0, ProcessGroupGloo for CPU tensors,
// ProcessGroupNCCL for CUDA ones (only where LibTorch ships it: USE_C10D_NCCL).
//
// Faults. Each rank keeps a heartbeat counter in the store (its own client and thread). A
// collective that throws (Gloo sees a closed connection at once; a hung peer after the
// timeout) is diagnosed: ranks that reported a failure are quoted, ranks whose heartbeat
// stopped are named, an unreachable store means rank 0 is gone. The group is then
// abandoned (leaked, never joined) so the process exits promptly.
// Clean exit: every rank marks itself done in the store and rank 0, which hosts it, waits
// for all marks before closing it, so no rank loses the store mid-collective.
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "runtime/train/Distributed.h"

namespace recipec::train {
namespace {

using Ms = std::chrono::milliseconds;
constexpr auto kBeat = Ms(200);

std::string key(const char* what, int rank) { return std::string("recipec/") + what + "/" + std::to_string(rank); }

std::string firstLine(const std::string& s) {
  const auto n = s.find('\n');
  return n == std::string::npos ? s : s.substr(0, n);
}

std::string rankList(const std::vector<int>& ranks) {
  std::string out = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i) out += (i ? ", " : "") + std::to_string(ranks[i]);
  return out;
}

c10::intrusive_ptr<c10d::TCPStore> connectStore(const DistEnv& env, bool server, Ms timeout) {
  c10d::TCPStoreOptions so;
  so.port = uint16_t(env.master_port);
  so.isServer = server;
  so.numWorkers = env.world;
  so.waitWorkers = false;  // the rendezvous below names who is missing
  so.timeout = timeout;
  return c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
}

// Bumps recipec/hb/<rank> every kBeat from its own thread and store connection.
class Heartbeat {
 public:
  Heartbeat(const DistEnv& env, Ms timeout) : rank_(env.rank) {
    store_ = connectStore(env, false, timeout);
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        try {
          store_->add(key("hb", rank_), 1);
        } catch (const std::exception&) {
          return;  // the store is gone: the collectives will say so
        }
        cv_.wait_for(lock, kBeat, [this] { return stop_; });
      }
    });
  }
  // Stops the thread; its store connection is then free for the caller.
  c10d::TCPStore& stopAndBorrow() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return *store_;
  }
  ~Heartbeat() { stopAndBorrow(); }

 private:
  int rank_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

template <class PG>
class C10dComm : public Comm {
 public:
  C10dComm(DistEnv env, std::string backend, Ms timeout, c10::intrusive_ptr<c10d::TCPStore> store,
           c10::intrusive_ptr<PG> pg, std::unique_ptr<Heartbeat> hb)
      : env_(std::move(env)), backend_(std::move(backend)), timeout_(timeout), store_(std::move(store)),
        pg_(std::move(pg)), hb_(std::move(hb)) {}

  ~C10dComm() override {
    if (failed_) {  // abandon: a Gloo/NCCL group with a dead peer may block in its destructor
      (void)pg_.release();
      (void)store_.release();
      (void)hb_.release();
      return;
    }
    hb_.reset();
    try {
      store_->set(key("done", env_.rank), std::vector<uint8_t>{1});
      if (env_.rank == 0) {
        std::vector<std::string> keys;
        for (int r = 0; r < env_.world; ++r) keys.push_back(key("done", r));
        store_->wait(keys, timeout_);
      }
    } catch (const std::exception&) {
    }
  }

  int rank() const override { return env_.rank; }
  int world() const override { return env_.world; }
  int localRank() const override { return env_.local_rank; }
  std::string backend() const override { return backend_; }

  void allreduce(std::vector<at::Tensor>& tensors, ReduceOp op) override { allreduceAsync(tensors, op)->wait(); }

  // One c10d work per tensor (staged on the device for NCCL), all launched before any wait.
  struct Launched : Pending {
    C10dComm* comm;
    std::vector<decltype(std::declval<PG&>().barrier())> works;
    std::vector<at::Tensor> targets, staged;
    explicit Launched(C10dComm* c) : comm(c) {}
    void wait() override {
      comm->guarded("all-reduce", [&] {
        for (auto& w : works) w->wait(comm->timeout_);
        for (size_t i = 0; i < targets.size(); ++i)
          if (!staged[i].is_same(targets[i])) targets[i].copy_(staged[i]);
      });
    }
  };

  std::unique_ptr<Pending> allreduceAsync(std::vector<at::Tensor>& tensors, ReduceOp op) override {
    auto out = std::make_unique<Launched>(this);
    guarded("all-reduce", [&] {
      c10d::AllreduceOptions o;
      o.reduceOp = op == ReduceOp::kSum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX;
      o.timeout = timeout_;
      for (auto& t : tensors) {
        std::vector<at::Tensor> one{onDevice(t)};
        out->targets.push_back(t);
        out->staged.push_back(one[0]);
        out->works.push_back(pg_->allreduce(one, o));
      }
    });
    return out;
  }

  void broadcast(at::Tensor& t, int root) override {
    guarded("broadcast", [&] {
      c10d::BroadcastOptions o;
      o.rootRank = root;
      o.timeout = timeout_;
      std::vector<at::Tensor> one{onDevice(t)};
      pg_->broadcast(one, o)->wait(timeout_);
      if (!one[0].is_same(t)) t.copy_(one[0]);
    });
  }

  at::Tensor allgather(const at::Tensor& t) override {
    at::Tensor out;
    guarded("all-gather", [&] {
      std::vector<at::Tensor> in{onDevice(t.contiguous())};
      std::vector<std::vector<at::Tensor>> outs(1);
      for (int r = 0; r < env_.world; ++r) outs[0].push_back(at::empty_like(in[0]));
      c10d::AllgatherOptions o;
      o.timeout = timeout_;
      pg_->allgather(outs, in, o)->wait(timeout_);
      out = at::stack(outs[0]).to(t.device());
    });
    return out;
  }

  void barrier() override {
    guarded("barrier", [&] {
      c10d::BarrierOptions o;
      o.timeout = timeout_;
      pg_->barrier(o)->wait(timeout_);
    });
  }

  void storeBarrier(const std::string& name, double timeout_s) override {
    guarded("wait for `" + name + "`", [&] {
      const std::string k = "recipec/barrier/" + name;
      if (store_->add(k, 1) == env_.world) store_->set(k + "/go", std::vector<uint8_t>{1});
      // Polled, so that a rank failing meanwhile stops the wait with its message.
      const auto until = std::chrono::steady_clock::now() + Ms(int64_t(timeout_s * 1000));
      while (!store_->check({k + "/go"})) {
        for (int r = 0; r < env_.world; ++r)
          if (store_->check({key("failed", r)})) throw std::runtime_error("a peer failed");
        if (std::chrono::steady_clock::now() > until) throw std::runtime_error("timed out");
        std::this_thread::sleep_for(Ms(100));
      }
    });
  }

  void reportFailure(const std::string& message) override {
    if (failed_) return;
    failed_ = true;
    try {
      const std::string text = firstLine(message);
      store_->set(key("failed", env_.rank), std::vector<uint8_t>(text.begin(), text.end()));
      pg_.reset();  // closes this rank's connections: peers in a collective notice at once
      if (env_.rank != 0) return;
      // Rank 0 hosts the store: keep it up until every peer has read the message (or has
      // failed itself), at most a few seconds.
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (int r = 1; r < env_.world; ++r)
        while (!store_->check({key("ack", r)}) && !store_->check({key("failed", r)}) &&
               std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(Ms(50));
    } catch (const std::exception&) {
    }
  }

 private:
  // NCCL reduces CUDA tensors only: host values (flags, strings, RNG states) go through the
  // device; Gloo takes either.
  at::Tensor onDevice(const at::Tensor& t) const {
    return backend_ == "nccl" && t.is_cpu() ? t.to(at::Device(at::kCUDA, c10::DeviceIndex(env_.local_rank))) : t;
  }

  template <class F>
  void guarded(const std::string& what, F&& f) {
    if (failed_ || !pg_) throw PeerError("rank " + std::to_string(env_.rank) + ": the process group already failed");
    try {
      f();
    } catch (const std::exception& e) {
      failed_ = true;
      throw PeerError(diagnose(what, e.what()));
    }
  }

  // Who is gone? Reported failures first, then silent heartbeats, else the timeout.
  std::string diagnose(const std::string& what, const std::string& cause) {
    const std::string me = "rank " + std::to_string(env_.rank) + ": " + what + " failed";
    const std::string detail = " (" + firstLine(cause).substr(0, 200) + ")";
    try {
      auto& store = hb_->stopAndBorrow();
      std::string reported;
      for (int r = 0; r < env_.world; ++r) {
        if (r == env_.rank || !store.check({key("failed", r)})) continue;
        const auto bytes = store.get(key("failed", r));
        reported += "; rank " + std::to_string(r) + " failed: " + std::string(bytes.begin(), bytes.end());
      }
      store.set(key("ack", env_.rank), std::vector<uint8_t>{1});
      if (!reported.empty()) return me + ":" + reported.substr(1);
      std::vector<int64_t> before(size_t(env_.world));
      for (int r = 0; r < env_.world; ++r) before[size_t(r)] = store.add(key("hb", r), 0);
      std::this_thread::sleep_for(kBeat * 8);
      std::vector<int> silent;
      for (int r = 0; r < env_.world; ++r)
        if (r != env_.rank && store.add(key("hb", r), 0) == before[size_t(r)]) silent.push_back(r);
      if (!silent.empty()) return me + ": " + rankList(silent) + (silent.size() == 1 ? " is" : " are") + " gone (no heartbeat)" + detail;
      return me + ": no rank is gone, but a peer did not answer within " + std::to_string(timeout_.count() / 1000) +
             " s (a rank is stuck or much slower; --dist-timeout raises the limit)" + detail;
    } catch (const std::exception&) {
      if (env_.rank == 0) return me + detail;
      return me + ": rank 0 is gone (it hosts the rendezvous store at " + env_.master_addr + ":" +
             std::to_string(env_.master_port) + ")" + detail;
    }
  }

  DistEnv env_;
  std::string backend_;
  Ms timeout_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  c10::intrusive_ptr<PG> pg_;
  std::unique_ptr<Heartbeat> hb_;
  bool failed_ = false;
};

std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string& addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (addr == "127.0.0.1" || addr == "localhost" || addr == "::1")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

std::unique_ptr<Comm> joinC10dGroup(const DistEnv& env, const at::Device& device, double timeout_s) {
  const Ms timeout(int64_t(timeout_s * 1000));
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  const std::string me = "rank " + std::to_string(env.rank) + " of " + std::to_string(env.world);
  c10::intrusive_ptr<c10d::TCPStore> store;
  try {
    store = connectStore(env, env.rank == 0, timeout);
  } catch (const std::exception& e) {
    if (env.rank == 0)
      throw UserError(me + ": cannot host the rendezvous store on " + where + " (" + firstLine(e.what()) +
                      "); is the port in use? set MASTER_PORT to a free one");
    throw UserError(me + ": cannot reach rank 0's rendezvous store at " + where + " within " +
                    std::to_string(int(timeout_s)) + " s (is rank 0 running? MASTER_ADDR, MASTER_PORT)");
  }
  std::vector<std::string> joined;
  for (int r = 0; r < env.world; ++r) joined.push_back(key("joined", r));
  try {
    store->set(key("joined", env.rank), std::vector<uint8_t>{1});
    store->wait(joined, timeout);
  } catch (const std::exception& e) {
    std::vector<int> missing;
    try {
      for (int r = 0; r < env.world; ++r)
        if (!store->check({joined[size_t(r)]})) missing.push_back(r);
    } catch (const std::exception&) {
      throw UserError(me + ": rank 0 left the rendezvous at " + where);
    }
    if (missing.empty()) throw UserError(me + ": rendezvous at " + where + " failed: " + firstLine(e.what()));
    throw UserError(me + ": " + rankList(missing) + " never joined within " + std::to_string(int(timeout_s)) +
                    " s (rendezvous at " + where + ")");
  }
  auto hb = std::make_unique<Heartbeat>(env, timeout);
  try {
    if (device.is_cuda()) {
#ifdef USE_C10D_NCCL
      c10::cuda::set_device(c10::DeviceIndex(env.local_rank));
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world, opts);
      return std::make_unique<C10dComm<c10d::ProcessGroupNCCL>>(env, "nccl", timeout, store, pg, std::move(hb));
#else
      throw UserError("distributed training on CUDA needs NCCL, and this LibTorch has no ProcessGroupNCCL");
#endif
    }
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(glooDevice(env.master_addr));
    opts->threads = 2;
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world, opts);
    return std::make_unique<C10dComm<c10d::ProcessGroupGloo>>(env, "gloo", timeout, store, pg, std::move(hb));
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    throw UserError(me + ": cannot build the process group (" + firstLine(e.what()) + ")");
  }
}

}  // namespace recipec::train
