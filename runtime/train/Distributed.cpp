// Distributed.cpp — the single-process group, the launcher's environment, and the
// parameter broadcast shared by every backend (see Distributed.h). The c10d groups are in
// DistributedC10d.cpp, compiled only where LibTorch ships c10d (RECIPEC_HAVE_C10D).
#include "runtime/train/Distributed.h"

#include <ATen/core/grad_mode.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

namespace recipec::train {

#ifdef RECIPEC_HAVE_C10D
std::unique_ptr<Comm> joinC10dGroup(const DistEnv& env, const at::Device& device, double timeout_s);
#endif

namespace {

class SingleProcess : public Comm {
 public:
  int rank() const override { return 0; }
  int world() const override { return 1; }
  int localRank() const override { return 0; }
  std::string backend() const override { return "none"; }
  void allreduce(std::vector<at::Tensor>&, ReduceOp) override {}
  void broadcast(at::Tensor&, int) override {}
  at::Tensor allgather(const at::Tensor& t) override { return t.unsqueeze(0).clone(); }
  void barrier() override {}
  void storeBarrier(const std::string&, double) override {}
  void reportFailure(const std::string&) override {}
};

int envInt(const char* name, bool required, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    if (required) throw UserError(std::string("distributed run: ") + name + " is not set (the launcher sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT)");
    return fallback;
  }
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > (1 << 30))
    throw UserError(std::string("distributed run: ") + name + "=`" + v + "` is not a non-negative integer");
  return int(x);
}

}  // namespace

DistEnv readDistEnv() {
  DistEnv e;
  e.world = envInt("WORLD_SIZE", false, 1);
  if (e.world == 0) throw UserError("distributed run: WORLD_SIZE=0");
  if (e.world == 1) return e;
  e.rank = envInt("RANK", true, 0);
  e.local_rank = envInt("LOCAL_RANK", false, e.rank);
  if (e.rank >= e.world)
    throw UserError("distributed run: RANK=" + std::to_string(e.rank) + " is not below WORLD_SIZE=" + std::to_string(e.world));
  const char* addr = std::getenv("MASTER_ADDR");
  e.master_addr = addr && *addr ? addr : "";
  if (e.master_addr.empty()) throw UserError("distributed run: MASTER_ADDR is not set");
  e.master_port = envInt("MASTER_PORT", true, 0);
  if (e.master_port == 0 || e.master_port > 65535)
    throw UserError("distributed run: MASTER_PORT=" + std::to_string(e.master_port) + " is not a port");
  return e;
}

std::unique_ptr<Comm> makeSingleProcessComm() { return std::make_unique<SingleProcess>(); }

// A port nobody listens on now (the kernel's pick), for a group of one.
static int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw UserError("--process-group: no free local port for the rendezvous store");
  return ntohs(a.sin_port);
}

std::unique_ptr<Comm> joinGroup(const at::Device& device, double timeout_s, bool always) {
  DistEnv env = readDistEnv();
  if (env.world == 1 && !always) return makeSingleProcessComm();
  if (env.world == 1) {
    const char* addr = std::getenv("MASTER_ADDR");
    env.master_addr = addr && *addr ? addr : "127.0.0.1";
    env.master_port = std::getenv("MASTER_PORT") ? envInt("MASTER_PORT", true, 0) : freePort();
  }
  if (!(timeout_s > 0)) throw UserError("--dist-timeout must be > 0 seconds");
#ifdef RECIPEC_HAVE_C10D
  return joinC10dGroup(env, device, timeout_s);
#else
  (void)device;
  throw UserError("WORLD_SIZE=" + std::to_string(env.world) +
                  " asks for a distributed run, but this recipec-runtime was built without torch's c10d "
                  "(install libgloo-dev and reconfigure)");
#endif
}

namespace {
struct Done : Comm::Pending {
  void wait() override {}
};
}  // namespace

std::unique_ptr<Comm::Pending> Comm::allreduceAsync(std::vector<at::Tensor>& tensors, ReduceOp op) {
  allreduce(tensors, op);
  return std::make_unique<Done>();
}

std::vector<double> Comm::sum(const std::vector<double>& v) {
  std::vector<at::Tensor> t{at::tensor(v, at::kDouble)};
  allreduce(t, ReduceOp::kSum);
  return {t[0].data_ptr<double>(), t[0].data_ptr<double>() + v.size()};
}

std::vector<double> Comm::max(const std::vector<double>& v) {
  std::vector<at::Tensor> t{at::tensor(v, at::kDouble)};
  allreduce(t, ReduceOp::kMax);
  return {t[0].data_ptr<double>(), t[0].data_ptr<double>() + v.size()};
}

std::string Comm::broadcastString(const std::string& s, int root) {
  if (!distributed()) return s;
  at::Tensor n = at::tensor({int64_t(s.size())}, at::kLong);
  broadcast(n, root);
  at::Tensor bytes = at::zeros({n.item<int64_t>()}, at::kByte);
  if (rank() == root) std::memcpy(bytes.data_ptr(), s.data(), s.size());
  broadcast(bytes, root);
  return std::string(static_cast<const char*>(bytes.data_ptr()), size_t(bytes.numel()));
}

namespace {

// Parameters grouped into flat buckets of one dtype and device, in parameter order.
struct Bucket {
  std::vector<size_t> members;
  int64_t numel = 0;
};

std::vector<Bucket> makeBuckets(const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
  std::vector<Bucket> out;
  std::map<std::tuple<int, int, int>, size_t> open;  // (dtype, device type, index) -> bucket
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    const auto key = std::make_tuple(int(p.scalar_type()), int(p.device().type()), int(p.device().index()));
    auto it = open.find(key);
    if (it == open.end() || out[it->second].numel * int64_t(p.element_size()) >= bucket_bytes) {
      out.emplace_back();
      it = open.insert_or_assign(key, out.size() - 1).first;
    }
    out[it->second].members.push_back(i);
    out[it->second].numel += p.numel();
  }
  return out;
}

}  // namespace

void broadcastParameters(Comm& comm, const std::vector<at::Tensor>& params) {
  if (!comm.distributed()) return;
  at::NoGradGuard no_grad;
  for (const auto& b : makeBuckets(params, 25 << 20)) {
    std::vector<at::Tensor> parts;
    for (size_t i : b.members) parts.push_back(params[i].detach().reshape({-1}));
    at::Tensor flat = at::cat(parts);
    comm.broadcast(flat, 0);
    int64_t at_ = 0;
    for (size_t i : b.members) {
      params[i].detach().copy_(flat.narrow(0, at_, params[i].numel()).view(params[i].sizes()));
      at_ += params[i].numel();
    }
  }
}

}  // namespace recipec::train
