// HfTokenizer.h — a Hugging Face `tokenizer.json`, read in C++: the `hf("path")` tokenizer kind.
//
// Contract: `path` is a tokenizer.json or a folder holding one (and, optionally,
// tokenizer_config.json, whose eos_token / bos_token name the end-of-text and beginning ids).
// Supported, each as Hugging Face's `tokenizers` runs it (tests/data compare ids on the whole
// default corpus):
//   - model BPE (byte_fallback false, no dropout, no subword prefix/suffix), `ignore_merges`;
//   - pre-tokenizers ByteLevel (with GPT-2's pattern when use_regex) or a Sequence of a
//     Split (a Regex, behavior Isolated) and ByteLevel (use_regex false): GPT-2, Llama-3,
//     Qwen2, Mistral-Nemo. The Split pattern is the file's own, run by PCRE2 (UTF, UCP);
//   - no normalizer; ByteLevel decoding;
//   - or SentencePiece-style BPE (Llama-2, TinyLlama): the normalizer Prepend(U+2581) +
//     Replace(" ", U+2581), no pre-tokenizer, BPE over characters with byte_fallback
//     (<0xXX>), merged through a heap (a whole text is one word), decoded back to spaces;
//   - added tokens, matched in the text before pre-tokenizing (longest first), without
//     lstrip / rstrip / single_word.
// Anything else (another normalizer or pre-tokenizer, WordPiece, Unigram, ...) is refused
// with a DataError naming the component. Needs PCRE2 (the GPU machine tokenizes nothing: its
// runtime reads the token cache that `recipec run` fills).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/data/Tokenizer.h"

namespace recipec::data {

class HfTokenizer final : public Tokenizer {
 public:
  explicit HfTokenizer(const std::string& path);
  ~HfTokenizer() override;

  using Tokenizer::decode;
  std::string kind() const override { return "hf"; }
  void encodeInto(std::string_view text, std::vector<int32_t>& out) const override;
  std::string decode(const int32_t* ids, size_t n) const override;
  int64_t vocabSize() const override { return int64_t(id_to_bytes_.size()); }
  int32_t eotId() const override { return eot_id_; }
  int32_t bosId() const { return bos_id_; }
  std::string fingerprint() const override { return fingerprint_; }

  // The tokenizer.json a path names (the file, or the one in the folder).
  static std::string jsonPath(const std::string& path);

 private:
  struct Merge { int32_t rank; int32_t merged; };
  void encodeSegment(std::string_view text, std::vector<int32_t>& out) const;
  void bpePiece(std::string_view piece, std::vector<int32_t>& out) const;
  void bpeWord(const std::string& word, std::vector<int32_t>& out) const;  // SentencePiece-style

  std::vector<std::string> id_to_bytes_;                 // id -> raw bytes ("" for a gap)
  std::unordered_map<std::string, int32_t> bytes_to_id_;  // raw bytes -> id (model vocab)
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_id_[256];
  bool ignore_merges_ = false;
  bool metaspace_ = false;  // SentencePiece-style: U+2581 for spaces, byte fallback, no pre-tokenizer
  std::vector<std::pair<std::string, int32_t>> added_;   // content -> id, longest first
  std::vector<const std::pair<std::string, int32_t>*> added_by_first_[256];  // by first byte
  int32_t eot_id_ = -1, bos_id_ = -1;
  std::string fingerprint_;
  uint64_t instance_id_;
  struct Regex;
  std::unique_ptr<Regex> regex_;
};

}  // namespace recipec::data
