// DataFeed.h — the trainer's view of the data layer (adapter over recipec_data).
//
// Contract: datasets are numbered in plan order (the dataset ids in batches and in the
// block table). `select` hands over the policies' Selection (mixture with its ramp,
// allowed blocks, visiting order, fresh blocks only); it takes effect from the next batch. `next(step)`
// returns the batch of optimizer step `step`: batch_seqs blocks, each seq_len + 1 tokens.
// `state()` describes the sampler after the last batch `next` returned (never a
// prefetched one), so a checkpoint resumes on exactly the following batch. `valBlocks`
// gives validation blocks [first, first + count) of a dataset, deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "runtime/train/Policy.h"

namespace recipec::train {

struct TrainBatch {
  at::Tensor tokens;       // (B, T + 1) int64, CPU
  at::Tensor dataset_ids;  // (B) int64, CPU
  at::Tensor block_ids;    // (B) int64, CPU
};

class DataFeed {
 public:
  virtual ~DataFeed() = default;
  virtual const std::vector<std::string>& datasets() const = 0;
  virtual int64_t trainBlocks(size_t dataset) const = 0;
  virtual int64_t valBlocks(size_t dataset) const = 0;
  virtual void select(const Selection& selection) = 0;
  virtual TrainBatch next(int64_t step) = 0;
  virtual at::Tensor valBatch(size_t dataset, int64_t first, int64_t count) = 0;  // (count, T+1) int64
  // Training blocks by id, for a scoring pass (not drawn: the sampler does not see them).
  virtual at::Tensor trainBlocksById(size_t dataset, const std::vector<int64_t>& ids) = 0;  // (n, T+1) int64
  // Per dataset: (blocks drawn, distinct blocks drawn) since the run began.
  virtual std::vector<std::pair<int64_t, int64_t>> usage() const = 0;
  virtual nlohmann::json state() const = 0;
  virtual void loadState(const nlohmann::json& state) = 0;
};

}  // namespace recipec::train
