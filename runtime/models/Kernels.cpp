// Kernels.cpp — see Kernels.h. Built with -O3 -ffast-math (CMakeLists.txt): that is what
// lets GCC call libmvec's vector expf (within 4 ulp); -fno-finite-math-only would turn it
// off again. Under -ffast-math a division may become reciprocal + Newton step, which turns
// 1/inf into NaN, so 2u is clamped to [-80, 80] (sigmoid is 0 or 1 to float precision well
// inside that). A NaN input still gives NaN: the output is a product with the input, so a
// diverged run stays visible (test_models checks it).
#include "runtime/models/Kernels.h"

#include <cmath>

namespace recipec::models::kernels {

#if defined(__x86_64__)
#define RECIPEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RECIPEC_CLONES
#endif

namespace {
constexpr float kK = 1.5957691216057308f;  // 2 * sqrt(2 / pi)
constexpr float kA = 0.044715f;
constexpr float kZMax = 80.0f;  // expf(80) = 5.5e34, finite
}  // namespace

RECIPEC_CLONES
void geluTanhForward(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float z = fminf(fmaxf(kK * v * (1.0f + kA * v * v), -kZMax), kZMax);  // 2u
    y[i] = v / (1.0f + expf(-z));                  // v * sigmoid(2u)
  }
}

RECIPEC_CLONES
void geluTanhBackward(const float* x, const float* gy, float* gx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float z = fminf(fmaxf(kK * v * (1.0f + kA * v * v), -kZMax), kZMax);
    const float s = 1.0f / (1.0f + expf(-z));      // sigmoid(2u)
    // d/dv [v s(z)] = s + v s (1 - s) dz/dv,  dz/dv = kK (1 + 3 kA v^2)
    gx[i] = gy[i] * (s + v * s * (1.0f - s) * kK * (1.0f + 3.0f * kA * v * v));
  }
}

}  // namespace recipec::models::kernels
