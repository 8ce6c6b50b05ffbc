// Layers.cpp — see Layers.h.
#include "runtime/models/Layers.h"

#include <sstream>
#include <stdexcept>

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "runtime/models/Kernels.h"

namespace recipec::models::detail {

at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           double dropout_p, bool training) {
  const double p = training ? dropout_p : 0.0;
  // Torch 2.x's fused attention: flash / memory-efficient kernels on CUDA, a flash kernel on
  // the CPU. On the CPU it measured faster than the composite of baddbmm + softmax + bmm that
  // LibTorch 1.13 needed (docs/runtime.md, "Performance": bench/bench_attention.py).
  return at::scaled_dot_product_attention(q, k, v, {}, p, /*is_causal=*/true);
}

namespace {
constexpr int64_t kGrain = 1 << 15;  // elements per parallel chunk

struct GeluTanhFn : torch::autograd::Function<GeluTanhFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    at::Tensor y = at::empty_like(x);
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) {
      kernels::geluTanhForward(xp + b, yp + b, e - b);
    });
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    const at::Tensor gy = grads[0].contiguous();
    at::Tensor gx = at::empty_like(x);
    const float *xp = x.data_ptr<float>(), *gyp = gy.data_ptr<float>();
    float* gxp = gx.data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) {
      kernels::geluTanhBackward(xp + b, gyp + b, gxp + b, e - b);
    });
    return {gx};
  }
};
}  // namespace

at::Tensor geluTanh(const at::Tensor& x) {
  if (x.device().is_cpu() && x.scalar_type() == at::kFloat && x.is_contiguous())
    return GeluTanhFn::apply(x);
  return at::gelu(x, "tanh");
}

DeviceIndex::DeviceIndex(const std::vector<int64_t>& v)
    : cpu_(at::tensor(at::ArrayRef<int64_t>(v), at::kLong)) {}

const at::Tensor& DeviceIndex::on(const at::Device& d) {
  if (d.is_cpu()) return cpu_;
  if (!dev_.defined() || dev_.device() != d) dev_ = cpu_.to(d);
  return dev_;
}

std::vector<int64_t> blockIndices(const std::vector<int64_t>& blocks, int64_t width,
                                  int64_t offset) {
  std::vector<int64_t> out;
  out.reserve(blocks.size() * width);
  for (int64_t b : blocks)
    for (int64_t j = 0; j < width; ++j) out.push_back(offset + b * width + j);
  return out;
}

void require(bool ok, const plan::Model& cfg, const std::string& field, double value,
             const std::string& why) {
  if (ok) return;
  std::ostringstream v;
  v << value;  // 768, 0.5, 1e-05: no trailing zeros
  throw std::invalid_argument("model `" + cfg.name + "` (" + cfg.arch + "): " + field +
                              " = " + v.str() + ": " + why);
}

static std::string shapeText(at::IntArrayRef s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ")";
  return os.str();
}

HfLoader::HfLoader(const std::map<std::string, at::Tensor>& tensors, std::string prefix) {
  for (const auto& [name, t] : tensors) {
    std::string n = name;
    if (!prefix.empty() && n.rfind(prefix, 0) == 0) n = n.substr(prefix.size());
    tensors_[n] = t;
  }
}

void HfLoader::copy(const std::string& name, const at::Tensor& dst) {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    throw std::invalid_argument("weights: missing tensor `" + name + "` (expected shape " +
                                shapeText(dst.sizes()) + ")");
  if (it->second.sizes() != dst.sizes())
    throw std::invalid_argument("weights: tensor `" + name + "` has shape " +
                                shapeText(it->second.sizes()) + ", the model needs " +
                                shapeText(dst.sizes()));
  if (!it->second.is_floating_point())
    throw std::invalid_argument("weights: tensor `" + name + "` is not floating point");
  copies_.emplace_back(dst, it->second);
  used_.insert(name);
}

void HfLoader::ignoreIfShaped(const std::string& name, at::IntArrayRef shape) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return;
  if (it->second.sizes() != shape)
    throw std::invalid_argument("weights: tensor `" + name + "` has shape " +
                                shapeText(it->second.sizes()) + ", the model needs " +
                                shapeText(shape));
  used_.insert(name);
}

void HfLoader::finish(const std::function<bool(const std::string&)>& ignorable) {
  std::vector<std::string> extra;
  for (const auto& [name, t] : tensors_)
    if (!used_.count(name) && !ignorable(name)) extra.push_back(name);
  if (extra.empty()) {
    at::NoGradGuard no_grad;
    for (auto& [dst, src] : copies_) dst.copy_(src);
    return;
  }
  std::string list;
  for (size_t i = 0; i < extra.size() && i < 5; ++i) list += (i ? ", `" : "`") + extra[i] + "`";
  if (extra.size() > 5) list += " and " + std::to_string(extra.size() - 5) + " more";
  throw std::invalid_argument("weights: " + std::to_string(extra.size()) +
                              " unexpected tensor(s) for this model: " + list);
}

}  // namespace recipec::models::detail
