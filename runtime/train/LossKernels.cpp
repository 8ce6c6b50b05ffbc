// LossKernels.cpp — see LossKernels.h. Built with -O3 -ffast-math (CMakeLists.txt): the
// max/exp/sum loops are what the fused loss spends its time in, and -ffast-math is what
// lets GCC call the vector expf of libmvec. Accuracy: libmvec expf is within 4 ulp.
#include "runtime/train/LossKernels.h"

#include <cmath>

namespace recipec::train::kernels {

#define RECIPEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

RECIPEC_CLONES
static float rowMax(const float* x, int64_t V) {
  float m = -INFINITY;
  for (int64_t v = 0; v < V; ++v) m = x[v] > m ? x[v] : m;
  return m;
}

RECIPEC_CLONES
static float rowSumExp(const float* x, int64_t V, float m) {
  float s = 0.f;
  for (int64_t v = 0; v < V; ++v) s += expf(x[v] - m);
  return s;
}

RECIPEC_CLONES
static void rowSoftmaxScaled(const float* x, int64_t V, float lse, float g, float* out) {
  for (int64_t v = 0; v < V; ++v) out[v] = expf(x[v] - lse) * g;
}

void lseRows(const float* logits, int64_t rows, int64_t V, float* lse) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * V;
    const float m = rowMax(x, V);
    // A row of -inf (never produced by a model) would give NaN: that is the right signal.
    lse[r] = m + logf(rowSumExp(x, V, m));
  }
}

void gradRows(const float* logits, const float* lse, const int64_t* target, const float* g,
              int64_t rows, int64_t V, float* grad) {
  for (int64_t r = 0; r < rows; ++r) {
    rowSoftmaxScaled(logits + r * V, V, lse[r], g[r], grad + r * V);
    grad[r * V + target[r]] -= g[r];
  }
}

}  // namespace recipec::train::kernels
