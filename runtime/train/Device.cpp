// Device.cpp — see Device.h.
#include "runtime/train/Device.h"

#include <chrono>
#include <cstdlib>
#include <mutex>

#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>

#include "runtime/train/Errors.h"

namespace recipec::train {

at::Device pickDevice(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name == "cuda") {
#ifndef RECIPEC_WITH_CUDA
    throw UserError("--device cuda: this recipec-runtime is a CPU build (see `recipec-runtime --version`); "
                    "build the CUDA one with scripts/build_runtime.sh --cuda, or use --device cpu");
#endif
    if (!torch::cuda::is_available())
      throw UserError("--device cuda: no CUDA device is available to this LibTorch "
                      "(torch::cuda::is_available() is false); use --device cpu");
    return at::Device(at::kCUDA, 0);
  }
  throw UserError("unknown --device `" + name + "` (expected cpu or cuda)");
}

int64_t vocabPaddingFor(const std::string& option, const at::Device& device) {
  if (option == "auto") return device.is_cuda() ? 128 : 1;
  if (option == "off") return 1;
  char* end = nullptr;
  const long long m = std::strtoll(option.c_str(), &end, 10);
  if (option.empty() || *end != '\0' || m < 1 || m > 65536)
    throw UserError("--pad-vocab `" + option + "`: expected auto, off or a multiple from 1 to 65536");
  return int64_t(m);
}

AutocastGuard::AutocastGuard(const at::Device& device, bool enabled, at::ScalarType dtype)
    : enabled_(enabled), type_(device.type()) {
  if (!enabled_) return;
  prev_enabled_ = at::autocast::is_autocast_enabled(type_);
  prev_dtype_ = at::autocast::get_autocast_dtype(type_);
  at::autocast::set_autocast_enabled(type_, true);
  at::autocast::set_autocast_dtype(type_, dtype);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  // The cast cache holds bf16 copies of the weights for this forward only.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(type_, prev_enabled_);
  at::autocast::set_autocast_dtype(type_, prev_dtype_);
}

at::Tensor cpuRngState() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void setCpuRngState(const at::Tensor& s) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s);
}

at::Tensor cudaRngState() {
  if (!torch::cuda::is_available()) return {};
  auto gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, 0));
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void setCudaRngState(const at::Tensor& s) {
  if (!s.defined() || !torch::cuda::is_available()) return;
  auto gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, 0));
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s);
}

double measurePeakFlops(const at::Device& device, at::ScalarType dtype) {
  const int64_t n = device.is_cpu() ? 1024 : 8192;
  auto opts = at::TensorOptions().dtype(dtype).device(device);
  // Constant inputs: drawing random ones would advance the generator the run is seeded with.
  auto a = at::full({n, n}, 0.5, opts), b = at::full({n, n}, 0.25, opts);
  auto c = at::empty({n, n}, opts);
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  at::mm_out(c, a, b);  // warm-up: BLAS threads, cuBLAS handles
  sync();
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    at::mm_out(c, a, b);
    sync();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 2.0 * double(n) * double(n) * double(n) / best;
}

}  // namespace recipec::train
