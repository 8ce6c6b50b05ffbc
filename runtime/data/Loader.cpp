// Loader.cpp — one producer thread, a bounded deque, and a committed sampler for checkpoints.
#include "runtime/data/Loader.h"

#include <stdexcept>

#include "runtime/data/DataError.h"

namespace recipec::data {

Loader::Loader(std::vector<std::shared_ptr<const BlockStore>> stores, const MixtureSampler& sampler,
               LoaderOptions options)
    : stores_(std::move(stores)), opt_(options), committed_(sampler), producer_(sampler) {
  if (opt_.batch_seqs <= 0) throw std::invalid_argument("Loader: batch_seqs must be positive");
  if (opt_.prefetch < 1) opt_.prefetch = 1;
  if (int(stores_.size()) != sampler.numDatasets())
    throw std::invalid_argument("Loader: one BlockStore per sampler dataset expected");
  for (size_t d = 0; d < stores_.size(); ++d) {
    if (!stores_[d]) throw std::invalid_argument("Loader: null BlockStore");
    if (stores_[d]->numBlocks() != sampler.numBlocks(int(d)))
      throw std::invalid_argument("Loader: sampler dataset `" + sampler.datasetName(int(d)) +
                                  "` has a different block count than its BlockStore");
    if (d == 0) seq_len_ = stores_[d]->seqLen();
    if (stores_[d]->seqLen() != seq_len_) throw std::invalid_argument("Loader: stores differ in seq_len");
  }
  start();
}

Loader::~Loader() { stop(); }

void Loader::start() {
  stop_ = false;
  failed_ = false;
  error_ = nullptr;
  thread_ = std::thread([this] { produce(); });
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  queue_.clear();
}

void Loader::produce() {
  const int64_t B = opt_.batch_seqs, W = seq_len_ + 1;
  int64_t index = consumed_;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || int(queue_.size()) < opt_.prefetch; });
      if (stop_) return;
    }
    Batch b;
    b.index = index++;
    b.batch_seqs = B;
    b.seq_len = seq_len_;
    try {
      b.tokens.resize(size_t(B * W));
      b.block_ids.resize(size_t(B));
      b.dataset_ids.resize(size_t(B));
      for (int64_t i = 0; i < B; ++i) {
        MixtureSampler::Draw d = producer_.next();
        b.block_ids[size_t(i)] = d.block;
        b.dataset_ids[size_t(i)] = d.dataset;
        stores_[size_t(d.dataset)]->copyBlock(d.block, b.tokens.data() + i * W);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::current_exception();
      failed_ = true;
      cv_.notify_all();
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(b));
    cv_.notify_all();
  }
}

Batch Loader::next() {
  Batch b;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || failed_; });
    if (queue_.empty()) std::rethrow_exception(error_);
    b = std::move(queue_.front());
    queue_.pop_front();
  }
  cv_.notify_all();
  // Advance the committed sampler by the same draws; the producer made them from the same
  // state, so they must agree (a mismatch would be a bug in the sampler's determinism).
  for (int64_t i = 0; i < b.batch_seqs; ++i) {
    MixtureSampler::Draw d = committed_.next();
    if (d.dataset != b.dataset_ids[size_t(i)] || d.block != b.block_ids[size_t(i)])
      throw std::logic_error("Loader: producer and committed sampler diverged at batch " + std::to_string(b.index));
  }
  ++consumed_;
  return b;
}

void Loader::reconfigure(const std::function<void(MixtureSampler&)>& change) {
  stop();
  MixtureSampler changed = committed_;  // a change that throws leaves the loader as it was
  try {
    change(changed);
  } catch (...) {
    producer_ = committed_;
    start();
    throw;
  }
  committed_ = changed;
  producer_ = committed_;
  start();
}

std::string Loader::state() const { return committed_.saveState(); }

}  // namespace recipec::data
