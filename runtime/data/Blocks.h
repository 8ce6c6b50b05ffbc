// Blocks.h — a dataset's documents across its shards, and deterministic block packing.
//
// Contract:
//   TokenCorpus opens a dataset's shards in the given order; document i is the i-th document
//   of the concatenation (document boundaries from each shard's sidecar, or from end-of-text
//   tokens for shards without one). It never changes after construction.
//
//   Split by document: document i is held out for validation iff
//       floor((i+1)*f + 0.5) > floor(i*f + 0.5)        (f = val_fraction)
//   which picks round(D*f) documents spread evenly over the dataset, the first near index
//   0.5/f. No randomness: the split is a function of (document order, f) only.
//
//   BlockStore packs one split: the split's documents are concatenated in order (each begins
//   with its end-of-text token, so documents are joined by it) into a stream S of L tokens,
//   and block b is S[b*T, b*T + T + 1) for T = seq_len: input S[b*T .. b*T+T-1], target
//   shifted by one; consecutive blocks share their boundary token (nanoGPT). numBlocks() =
//   (L-1)/T; the final partial block is dropped. Block ids are therefore stable for a given
//   (shards, f, T): across epochs, restarts and machines. copyBlock() is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/data/Shard.h"

namespace recipec::data {

class TokenCorpus {
 public:
  TokenCorpus(const std::vector<std::string>& shard_paths, int32_t eot_id, Verify verify = Verify::kChecksum);

  struct Doc {
    int32_t shard;
    int64_t begin, end;  // token range within the shard
  };
  int64_t numDocs() const { return int64_t(docs_.size()); }
  int64_t numTokens() const { return num_tokens_; }
  const Doc& doc(int64_t i) const { return docs_.at(size_t(i)); }
  int numShards() const { return int(shards_.size()); }
  const ShardReader& shard(int i) const { return shards_.at(size_t(i)); }
  int32_t eotId() const { return eot_id_; }
  int32_t maxToken() const { return max_token_; }  // -1 if unknown (no scan)
  // "`file` holds token id N at token offset K": where maxToken() is, for messages.
  std::string whereMaxToken() const {
    if (max_token_shard_ < 0) return "token id " + std::to_string(max_token_);
    const ShardReader& s = shards_[size_t(max_token_shard_)];
    return "`" + s.path() + "` holds token id " + std::to_string(max_token_) + " at token offset " +
           std::to_string(s.maxTokenOffset());
  }
  std::vector<int32_t> docTokens(int64_t i) const;

 private:
  std::vector<ShardReader> shards_;
  std::vector<Doc> docs_;
  int64_t num_tokens_ = 0;
  int max_token_shard_ = -1;
  int32_t eot_id_;
  int32_t max_token_ = -1;
};

enum class Split { kTrain, kVal, kAll };
const char* splitName(Split s);

bool isValDocument(int64_t doc_index, double val_fraction);

class BlockStore {
 public:
  BlockStore(std::shared_ptr<const TokenCorpus> corpus, Split split, double val_fraction, int64_t seq_len);

  int64_t numBlocks() const { return num_blocks_; }
  int64_t seqLen() const { return seq_len_; }
  int64_t blockTokens() const { return seq_len_ + 1; }
  int64_t numTokens() const { return stream_len_; }  // tokens in the split's stream
  int64_t numDocs() const { return num_docs_; }
  Split split() const { return split_; }
  const TokenCorpus& corpus() const { return *corpus_; }
  // Writes blockTokens() tokens of block `id` to out; throws std::out_of_range for a bad id.
  void copyBlock(int64_t id, int32_t* out) const;

 private:
  struct Segment {
    int32_t shard;
    int64_t begin, end;  // within the shard
    int64_t offset;      // position of `begin` in the stream
  };
  std::shared_ptr<const TokenCorpus> corpus_;
  Split split_;
  int64_t seq_len_;
  std::vector<Segment> segments_;
  int64_t stream_len_ = 0, num_blocks_ = 0, num_docs_ = 0;
};

}  // namespace recipec::data
