// Sampler.h — which block comes next: mixture over datasets, per-dataset passes, curricula.
//
// Contract (docs/data.md, "Mixtures"):
//  * Mixture weights are sampling probabilities over datasets (normalised here). With end
//    weights the mixture ramps linearly from start to end over the next `ramp_samples` samples
//    (progress p in [0,1]; w(p) = start + (end - start) p), then holds the end weights.
//  * Which dataset sample k comes from: a golden-ratio (Weyl) low-discrepancy sequence
//    u_k = frac(offset(seed) + k * 0.6180339887...) looked up in the cumulative weights. This is
//    deterministic from (seed, k) alone and keeps the realised proportions within ~log(n)/n of
//    the weights at every point, which i.i.d. draws do not (±1/sqrt(n)).
//  * Which block of that dataset: each dataset walks a pass over its basis: all blocks, or
//    the allowed subset (setAllowed: LFR focus), in a Fisher-Yates shuffle seeded by
//    (seed, dataset name, pass number); or a given order (setOrder: curriculum, e.g. ascending
//    perplexity), the same every pass. At the end of a pass the next pass starts.
//    setAllowed/clearAllowed/setOrder/clearOrder start a new pass at once when they change
//    the basis; re-applying the current one is a no-op (so a trainer may re-apply its phase's
//    settings after a resume without disturbing the sequence).
//  * No reuse (rounds that never repeat data, Llama-3-SynE): every drawn block is recorded as
//    consumed, forever (across phases and mixtures; nothing rewinds it). With no-reuse on, a
//    dataset skips consumed blocks; once its basis is all consumed it is exhausted and drops
//    out of the mixture (weights renormalised over the rest); if all are exhausted next()
//    throws DataError.
//  * State: saveState() is JSON text holding everything above (the pass permutation is
//    regenerated from its seed, not stored); loadState() on a sampler built with the same
//    datasets (names and block counts, checked) continues with exactly the same sequence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/plan/Plan.h"

namespace recipec::data {

class MixtureSampler {
 public:
  struct DatasetInfo {
    std::string name;
    int64_t num_blocks = 0;
  };
  struct Draw {
    int32_t dataset = -1;
    int64_t block = -1;
  };

  MixtureSampler(std::vector<DatasetInfo> datasets, uint64_t seed);

  int numDatasets() const { return int(ds_.size()); }
  int datasetIndex(const std::string& name) const;  // throws DataError for an unknown name
  const std::string& datasetName(int d) const { return ds_.at(size_t(d)).name; }
  int64_t numBlocks(int d) const { return ds_.at(size_t(d)).n; }
  uint64_t seed() const { return seed_; }

  // Mixture. Weights are per dataset index; the ramp starts at the current sample.
  void setMixture(const std::vector<double>& weights);
  void setMixture(const std::vector<double>& start, const std::vector<double>& end, int64_t ramp_samples);
  // From a plan `mix` action; datasets it does not name get weight 0.
  void setMixture(const std::vector<plan::MixEntry>& entries, int64_t ramp_samples);
  // Same, with the ramp anchored at an absolute sample index (e.g. the phase's first sample,
  // phase.start_step * batch_seqs) instead of "now": calling it again after a resume, with the
  // same arguments, leaves the state unchanged, so re-applying a phase's mixture is harmless.
  void setMixtureAt(const std::vector<plan::MixEntry>& entries, int64_t ramp_start_sample, int64_t ramp_samples);
  double progress() const;
  std::vector<double> currentWeights() const;  // normalised; exhausted datasets at 0

  void setAllowed(int d, std::vector<int64_t> block_ids);
  void clearAllowed(int d);
  void setOrder(int d, std::vector<int64_t> block_ids);  // ids must be distinct
  void clearOrder(int d);
  void setNoReuse(int d, bool on);
  void setNoReuse(bool on);  // every dataset

  Draw next();

  int64_t samplesDrawn() const { return samples_; }
  int64_t pass(int d) const { return ds_.at(size_t(d)).epoch; }          // 0-based pass number
  int64_t positionInPass(int d) const { return ds_.at(size_t(d)).cursor; }
  int64_t passLength(int d) const;                                        // blocks in the basis
  int64_t drawsFrom(int d) const { return ds_.at(size_t(d)).draws; }
  int64_t consumedCount(int d) const { return ds_.at(size_t(d)).consumed_count; }
  bool isConsumed(int d, int64_t block) const;
  bool exhausted(int d) const { return !available(size_t(d)); }

  std::string saveState() const;
  void loadState(const std::string& json_text);

 private:
  struct Dataset {
    std::string name;
    int64_t n = 0;
    uint64_t name_hash = 0;
    bool restricted = false, ordered = false, no_reuse = false;
    std::vector<int64_t> allowed;  // sorted, when restricted
    std::vector<int64_t> order;    // when ordered
    int64_t epoch = 0, cursor = 0, draws = 0;
    std::vector<uint64_t> consumed;
    int64_t consumed_count = 0;
    int64_t unconsumed_in_basis = 0;
    std::vector<int64_t> perm;     // derived from (seed, name, epoch, basis)
    bool perm_valid = false;
  };
  bool available(size_t d) const;
  void newPass(Dataset& s);
  void recountBasis(Dataset& s);
  void buildPerm(Dataset& s) const;
  int64_t drawBlock(Dataset& s);
  std::vector<double> weightsAt(double p) const;
  void setWeights(const std::vector<double>& start, const std::vector<double>& end, int64_t ramp_start, int64_t ramp);
  std::pair<std::vector<double>, std::vector<double>> entryWeights(const std::vector<plan::MixEntry>& entries) const;

  std::vector<Dataset> ds_;
  uint64_t seed_;
  int64_t samples_ = 0;
  std::vector<double> w_start_, w_end_;
  int64_t ramp_start_ = 0, ramp_samples_ = 0;
};

}  // namespace recipec::data
