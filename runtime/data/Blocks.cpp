// Blocks.cpp — document table over shards; contiguous segments make copyBlock a few memcpys.
#include "runtime/data/Blocks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "runtime/data/DataError.h"

namespace recipec::data {

TokenCorpus::TokenCorpus(const std::vector<std::string>& shard_paths, int32_t eot_id, Verify verify)
    : eot_id_(eot_id) {
  if (shard_paths.empty()) throw DataError("a dataset needs at least one shard");
  shards_.reserve(shard_paths.size());
  bool max_known = true;
  for (const auto& p : shard_paths) {
    shards_.emplace_back(p, eot_id, verify);
    const ShardReader& s = shards_.back();
    const auto& starts = s.docStarts();
    for (size_t d = 0; d < starts.size(); ++d) {
      int64_t end = d + 1 < starts.size() ? starts[d + 1] : s.numTokens();
      docs_.push_back({int32_t(shards_.size() - 1), starts[d], end});
    }
    num_tokens_ += s.numTokens();
    if (s.maxToken() < 0) max_known = false;
    if (s.maxToken() > max_token_) {
      max_token_ = s.maxToken();
      max_token_shard_ = int(shards_.size()) - 1;
    }
  }
  if (!max_known) max_token_ = -1;
}

std::vector<int32_t> TokenCorpus::docTokens(int64_t i) const {
  const Doc& d = doc(i);
  std::vector<int32_t> out(size_t(d.end - d.begin));
  shards_[size_t(d.shard)].copyTokens(d.begin, d.end - d.begin, out.data());
  return out;
}

const char* splitName(Split s) { return s == Split::kTrain ? "train" : s == Split::kVal ? "val" : "all"; }

bool isValDocument(int64_t i, double f) {
  if (f <= 0) return false;
  if (f >= 1) return true;
  return std::floor(double(i + 1) * f + 0.5) > std::floor(double(i) * f + 0.5);
}

BlockStore::BlockStore(std::shared_ptr<const TokenCorpus> corpus, Split split, double val_fraction, int64_t seq_len)
    : corpus_(std::move(corpus)), split_(split), seq_len_(seq_len) {
  if (seq_len <= 0) throw std::invalid_argument("BlockStore: seq_len must be positive");
  if (val_fraction < 0 || val_fraction >= 1)
    throw DataError("val fraction " + std::to_string(val_fraction) + " is outside [0, 1)");
  for (int64_t i = 0; i < corpus_->numDocs(); ++i) {
    bool val = isValDocument(i, val_fraction);
    if (split == Split::kTrain ? val : split == Split::kVal ? !val : false) continue;
    const auto& d = corpus_->doc(i);
    ++num_docs_;
    if (!segments_.empty() && segments_.back().shard == d.shard && segments_.back().end == d.begin) {
      segments_.back().end = d.end;  // adjacent documents of one shard: one contiguous read
    } else {
      segments_.push_back({d.shard, d.begin, d.end, stream_len_});
    }
    stream_len_ += d.end - d.begin;
  }
  num_blocks_ = stream_len_ > seq_len_ ? (stream_len_ - 1) / seq_len_ : 0;
}

void BlockStore::copyBlock(int64_t id, int32_t* out) const {
  if (id < 0 || id >= num_blocks_)
    throw std::out_of_range("block " + std::to_string(id) + " outside [0, " + std::to_string(num_blocks_) + ")");
  int64_t pos = id * seq_len_, need = seq_len_ + 1;
  // The last segment whose offset <= pos.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), pos,
                             [](int64_t p, const Segment& s) { return p < s.offset; });
  --it;
  while (need > 0) {
    int64_t within = pos - it->offset;
    int64_t take = std::min(need, (it->end - it->begin) - within);
    corpus_->shard(it->shard).copyTokens(it->begin + within, take, out);
    out += take;
    pos += take;
    need -= take;
    ++it;
  }
}

}  // namespace recipec::data
