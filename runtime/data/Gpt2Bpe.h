// Gpt2Bpe.h — GPT-2 byte-level BPE from encoder.json + vocab.bpe, in C++.
//
// Contract: encode() gives the ids of the reference implementation; which reference is
// chosen by Gpt2Bpe::Compat:
//   kNpm    (default) byte-identical to npm gpt-3-encoder@1.1.4, the reference this project
//           can run (tests/data compare on the whole default corpus). It differs from OpenAI's
//           Python encoder in two corners, both reproduced on purpose: `\s` is JavaScript's
//           whitespace set (U+FEFF yes, U+0085 no), and a merge pair is looked up by the string
//           "a,b", so 11 non-merge pairs such as ('",', '"') collide with a real merge and take
//           its rank (where several pairs tie, the rightmost wins, as in the JS loop).
//   kOpenAI OpenAI's encoder.py semantics: `\s` = Unicode White_Space, pairs looked up as tuples.
// The pre-tokenizer is the GPT-2 pattern run by PCRE2 (UTF + UCP, JIT) when the build has
// PCRE2, else an equivalent hand-written matcher (Pretokenize.h; the GPU machine has no
// Debian -dev packages). Bytes of invalid UTF-8 that no alternative matches become pieces of
// their own rather than being dropped (node would have turned them into U+FFFD on reading).
// Thread-safe: the tables are immutable; each thread keeps its own piece cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/data/Pretokenize.h"
#include "runtime/data/Tokenizer.h"

namespace recipec::data {

class Gpt2Bpe final : public Tokenizer {
 public:
  enum class Compat { kNpm, kOpenAI };
  // `dir` holds encoder.json and vocab.bpe; throws DataError naming a missing/bad file.
  explicit Gpt2Bpe(const std::string& dir, Compat compat = Compat::kNpm);
  ~Gpt2Bpe() override;

  using Tokenizer::decode;
  std::string kind() const override { return "gpt2_bpe"; }
  void encodeInto(std::string_view text, std::vector<int32_t>& out) const override;
  std::string decode(const int32_t* ids, size_t n) const override;
  int64_t vocabSize() const override { return int64_t(id_to_bytes_.size()); }
  int32_t eotId() const override { return eot_id_; }
  std::string fingerprint() const override { return fingerprint_; }

  // The pre-tokenizer alone (for tests and benchmarks): the pieces BPE runs on, in order.
  std::vector<std::string_view> pretokenize(std::string_view text) const;
  // The hand-written pre-tokenizer (Pretokenize.h), which pretokenize() uses when the build
  // has no PCRE2; tests check the two agree.
  std::vector<std::string_view> pretokenizeBuiltin(std::string_view text) const;
  static bool usesPcre2();
  // BPE of one piece (raw bytes), appending ids; uses the calling thread's cache.
  void bpePiece(std::string_view piece, std::vector<int32_t>& out) const;

 private:
  struct Merge { int32_t rank; int32_t merged; };
  struct MergeSlot { uint64_t key; Merge m; };    // key ~0 = empty
  static uint64_t pairKey(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  const Merge* findMerge(int32_t a, int32_t b) const;
  void bpeUncached(std::string_view piece, std::vector<int32_t>& out) const;
  template <class F> void forEachPiece(std::string_view text, F&& f) const;

  Compat compat_;
  SpaceSet spaces_;
  uint64_t instance_id_;                          // tells thread-local caches apart
  std::vector<std::string> id_to_bytes_;          // id -> raw bytes
  std::unordered_map<std::string, int32_t> bytes_to_id_;
  int32_t byte_id_[256];                          // single-byte symbols
  std::unordered_map<uint64_t, Merge> merges_;    // (left id, right id) -> rank, merged id
  std::vector<MergeSlot> merge_table_;            // the same, open-addressed for the hot loop
  uint64_t merge_mask_ = 0;
  int32_t eot_id_ = -1;
  std::string fingerprint_;
  struct Regex;                                   // PCRE2 code, kept out of this header
  std::unique_ptr<Regex> regex_;
};

}  // namespace recipec::data
