// Kernels.h — elementwise CPU kernels on plain float arrays (no ATen in this header or its
// TU, so the TU's -O3 -ffast-math cannot reach inline ATen code).
//
// GELU, tanh approximation (HF "gelu_new"): gelu(x) = 0.5 x (1 + tanh(u)),
// u = sqrt(2/pi) (x + 0.044715 x^3). Computed as x * sigmoid(2u), the same function
// (0.5 (1 + tanh(u)) == sigmoid(2u)), because one vector expf is ~4x cheaper than the
// scalar-ish tanh LibTorch 1.13's CPU kernel uses (2M elements, 1 thread: 5.5 ms fwd +
// 6.3 ms bwd in ATen). Results agree with at::gelu(x, "tanh") to a few ulp.
#pragma once

#include <cstdint>

namespace recipec::models::kernels {

// y[i] = gelu_tanh(x[i]) for i in [0, n)
void geluTanhForward(const float* x, float* y, int64_t n);
// gx[i] = gy[i] * gelu_tanh'(x[i])
void geluTanhBackward(const float* x, const float* gy, float* gx, int64_t n);

}  // namespace recipec::models::kernels
