// PerTokenNll.h — `recipec-runtime eval JOB.json`: every checkpoint's negative
// log-likelihood of every held-out token of every dataset (runtime/analyze/EvalJob.h).
//
// Contract: builds each checkpoint's model from its plan::Model, loads the safetensors
// (verifying the checkpoint folder's MANIFEST.json first when the job names one), opens each
// dataset from the token cache, and runs the first `max_blocks` blocks of the split in
// batches of `batch` sequences: no grad, fp32, the same packing and the same fused
// cross-entropy as the trainer's evaluation, so the mean of a dataset's NLLs is the `eval`
// loss a run logs for it. Writes the NLL file to job.out. Errors a user can fix (missing or
// corrupt weights, weights that do not fit the model, a dataset with no held-out blocks,
// token ids beyond the model's vocabulary, seq_len beyond max_seq_len) throw
// train::UserError / data::DataError / models::SafetensorsError naming the thing.
#pragma once

#include "runtime/analyze/EvalJob.h"

namespace recipec::eval {

void runEvalJob(const analyze::EvalJob& job, bool quiet);

}  // namespace recipec::eval
