// Tokenizer.h — the tokenizer interface of recipec_data and the factory from a plan entry.
//
// Contract: a Tokenizer is immutable after construction and every method is safe to call from
// several threads at once (prepare tokenizes files in parallel). encode() never adds the
// end-of-text token: documents are joined with eotId() by the shard writer, not here.
// Kinds (plan::Tokenizer::kind):
//   "gpt2_bpe"      path = folder with encoder.json + vocab.bpe (GPT-2 byte-level BPE)
//   "sentencepiece" path = a .model file (needs the build with libsentencepiece)
//   "bytes"         no files: ids 0..255 are the UTF-8 bytes, 256 is end-of-text
// fingerprint() hashes the kind and the model files' contents: cached token shards are keyed
// by it, so editing a vocabulary invalidates them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plan/Plan.h"

namespace recipec::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;
  // Appends the ids of `text` to `out` (appending lets callers reuse one buffer).
  virtual void encodeInto(std::string_view text, std::vector<int32_t>& out) const = 0;
  virtual std::string decode(const int32_t* ids, size_t n) const = 0;
  virtual int64_t vocabSize() const = 0;
  virtual int32_t eotId() const = 0;
  virtual std::string fingerprint() const = 0;

  std::vector<int32_t> encode(std::string_view text) const {
    std::vector<int32_t> out;
    encodeInto(text, out);
    return out;
  }
  std::string decode(const std::vector<int32_t>& ids) const { return decode(ids.data(), ids.size()); }
};

// Byte-level tokenizer: a fallback that needs no files, and a small-vocab option for tests.
class ByteTokenizer final : public Tokenizer {
 public:
  using Tokenizer::decode;
  std::string kind() const override { return "bytes"; }
  void encodeInto(std::string_view text, std::vector<int32_t>& out) const override;
  std::string decode(const int32_t* ids, size_t n) const override;
  int64_t vocabSize() const override { return 257; }
  int32_t eotId() const override { return 256; }
  std::string fingerprint() const override { return "bytes-v1"; }
};

// True when this build links libsentencepiece (optional: the GPU machine lacks it).
bool haveSentencePiece();

// Loads the tokenizer a plan names; relative paths resolve against `base_dir`. If the plan
// gives vocab_size / eot_id (non-zero / non-negative) they must agree with the files: a
// mismatch throws DataError, since the model's embedding size is built from the plan.
std::unique_ptr<Tokenizer> loadTokenizer(const plan::Tokenizer& spec, const std::string& base_dir = "");

// Resolves `path` against `base_dir` unless it is absolute or base_dir is empty.
std::string resolvePath(const std::string& path, const std::string& base_dir);

}  // namespace recipec::data
