// SentencePiece.h — SentencePiece models via Debian's libsentencepiece, and training new ones.
//
// Contract: the library is optional (RECIPEC_HAVE_SENTENCEPIECE; the GPU machine lacks it).
// Without it these declarations still link: constructing SentencePieceTokenizer or calling
// trainSentencePiece throws DataError saying the build has no SentencePiece.
// Ids are exactly the library's (`spm_encode --output_format=id` on the same text). The text
// of a document is encoded in one call, newlines included (the Llama model byte-falls-back
// to <0x0A>); end-of-text is the model's </s> (eos) unless the model has none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/data/Tokenizer.h"

namespace recipec::data {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;
  using Tokenizer::decode;
  std::string kind() const override { return "sentencepiece"; }
  void encodeInto(std::string_view text, std::vector<int32_t>& out) const override;
  std::string decode(const int32_t* ids, size_t n) const override;
  int64_t vocabSize() const override { return vocab_size_; }
  int32_t eotId() const override { return eot_id_; }
  std::string fingerprint() const override { return fingerprint_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t vocab_size_ = 0;
  int32_t eot_id_ = -1;
  std::string fingerprint_;
};

// `recipec prepare --train-tokenizer`: trains a model on documents read like prepare reads
// them (globs, JSON lines). Each document is fed line by line (SentencePiece trains on
// sentences); at most max_sentences lines, taken in file order. Deterministic for a given
// input and options (the library's random seed is fixed to `seed`).
struct TrainTokenizerOptions {
  std::vector<std::string> inputs;      // files or globs
  std::string base_dir;                 // inputs resolve against it
  std::string json_field;               // "" = auto (.jsonl -> "text")
  std::string out_model;                // e.g. data/mytok/tokenizer.model (.vocab written beside)
  int64_t vocab_size = 8000;
  std::string model_type = "bpe";       // "bpe" | "unigram" | "char" | "word"
  double character_coverage = 0.9995;
  bool byte_fallback = true;            // unknown characters become <0xNN> pieces, never <unk>
  int64_t max_sentences = 2'000'000;
  int threads = 0;                      // 0 = all cores
  uint32_t seed = 1234;
  bool verbose = false;                 // the library's own progress log on stderr
};

struct TrainTokenizerResult {
  std::string model_path;
  int64_t vocab_size = 0;
  int64_t sentences = 0;
  int32_t eot_id = -1;
};

TrainTokenizerResult trainSentencePiece(const TrainTokenizerOptions& options);

}  // namespace recipec::data
