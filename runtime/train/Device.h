// Device.h — device choice, mixed precision, RNG state and the peak FLOP/s for MFU.
//
// Contract: `pickDevice("cpu"|"cuda")` returns the device or throws UserError when CUDA is
// asked for and torch::cuda::is_available() is false. AutocastGuard turns autocast on for
// the forward pass in `dtype` (bf16) on the device while it lives (torch 2.4+'s DeviceType
// API). In a CPU build (RECIPEC_CUDA off) `pickDevice("cuda")` says so. RNG states are
// the default CPU generator's and, when CUDA is present, device 0's. `measurePeakFlops`
// times a square matmul in the compute dtype (1024 on CPU, 8192 on CUDA, best of 5): the
// MFU denominator is what this machine's BLAS actually reaches, stated in the log, unless
// --peak-flops gives a datasheet figure.
#pragma once

#include <string>

#include <ATen/ATen.h>

namespace recipec::train {

at::Device pickDevice(const std::string& name);

// The multiple the output layer's vocabulary is padded to (LanguageModelImpl::
// setVocabPadding) for `option`: "auto" = 128 on CUDA (the GEMM kernels' tile) and 1 on the
// CPU (where padding measured no faster), "off" = 1, or a number >= 1. Throws UserError on
// anything else.
int64_t vocabPaddingFor(const std::string& option, const at::Device& device);

class AutocastGuard {
 public:
  AutocastGuard(const at::Device& device, bool enabled, at::ScalarType dtype = at::kBFloat16);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  at::DeviceType type_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

// Byte tensors of the generator states (CPU always; "cuda" only when available).
at::Tensor cpuRngState();
void setCpuRngState(const at::Tensor& s);
at::Tensor cudaRngState();             // undefined tensor when there is no CUDA
void setCudaRngState(const at::Tensor& s);

double measurePeakFlops(const at::Device& device, at::ScalarType dtype);

}  // namespace recipec::train
