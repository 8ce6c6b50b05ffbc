// LossKernels.h — row kernels of the fused cross-entropy (plain float arrays, no ATen).
//
// Contract: for each row r of `logits` (rows x V, row-major, fp32):
//   lseRows:   lse[r] = log(sum_v exp(logits[r, v]))                         (one pass)
//   gradRows:  grad[r, v] = (exp(logits[r, v] - lse[r]) - [v == target[r]]) * g[r]
// Compiled alone with target_clones (AVX-512 / AVX2 / baseline) and -ffast-math so the
// exp loops vectorise through glibc's libmvec; kept out of every ATen header so those
// flags cannot leak into inline ATen code.
#pragma once

#include <cstdint>

namespace recipec::train::kernels {

void lseRows(const float* logits, int64_t rows, int64_t V, float* lse);
void gradRows(const float* logits, const float* lse, const int64_t* target, const float* g,
              int64_t rows, int64_t V, float* grad);

}  // namespace recipec::train::kernels
