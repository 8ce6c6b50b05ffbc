// Loader.h — prefetching batch producer over a MixtureSampler and BlockStores.
//
// Contract:
//  * A background thread runs a private copy of the sampler and fills a bounded queue with
//    Batches; next() hands them out in order. The sampler runs only in that thread, in
//    order, so batch k is the same whatever the thread timing: exactly the batches that
//    B sequential sampler.next() calls and copyBlock() would give.
//  * The loader also keeps a "committed" sampler that advances when a batch is CONSUMED
//    (returned by next()); state() is that sampler's saveState(): the right thing to put in a
//    checkpoint, since prefetched-but-unused batches must be produced again after a resume.
//  * reconfigure(change) applies a sampler change (new mixture, LFR focus, curriculum order)
//    at the current consumption point: prefetched batches are discarded, the change is applied
//    to the committed sampler, and production restarts from it.
//  * An exception in the producer (e.g. every dataset exhausted) is rethrown by the next()
//    that would have returned that batch; earlier batches are still delivered.
//  * The destructor stops and joins the thread (no detached work, no leaks).
// Batch.tokens is (batch_seqs, seq_len + 1) int32 row-major: row i is block block_ids[i] of
// dataset dataset_ids[i]; inputs are [:, :-1] and targets [:, 1:] (the trainer wraps the
// buffer in a tensor without copying).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/data/Blocks.h"
#include "runtime/data/Sampler.h"

namespace recipec::data {

struct Batch {
  int64_t index = 0;               // 0-based count of batches since this loader started
  int64_t batch_seqs = 0;
  int64_t seq_len = 0;
  std::vector<int32_t> tokens;     // (batch_seqs, seq_len + 1)
  std::vector<int64_t> block_ids;  // (batch_seqs)
  std::vector<int32_t> dataset_ids;// (batch_seqs), index into the loader's stores
};

struct LoaderOptions {
  int64_t batch_seqs = 8;
  int prefetch = 4;                // batches produced ahead of consumption
};

class Loader {
 public:
  // stores[d] serves sampler dataset d (same order, same block counts; all one seq_len).
  Loader(std::vector<std::shared_ptr<const BlockStore>> stores, const MixtureSampler& sampler, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  Batch next();
  void reconfigure(const std::function<void(MixtureSampler&)>& change);
  std::string state() const;                        // committed sampler state (JSON text)
  const MixtureSampler& committed() const { return committed_; }  // as of the last consumed batch
  int64_t batchesConsumed() const { return consumed_; }

 private:
  void start();
  void stop();
  void produce();

  std::vector<std::shared_ptr<const BlockStore>> stores_;
  LoaderOptions opt_;
  int64_t seq_len_ = 0;
  MixtureSampler committed_;
  MixtureSampler producer_;
  int64_t consumed_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  std::exception_ptr error_;
  bool stop_ = false;
  bool failed_ = false;
  std::thread thread_;
};

}  // namespace recipec::data
