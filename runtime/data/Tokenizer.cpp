// Tokenizer.cpp — the byte tokenizer and loadTokenizer (plan entry -> Tokenizer).
#include "runtime/data/Tokenizer.h"

#include "runtime/data/DataError.h"
#include "runtime/data/Gpt2Bpe.h"
#include "runtime/data/HfTokenizer.h"
#include "runtime/data/SentencePiece.h"

namespace recipec::data {

void ByteTokenizer::encodeInto(std::string_view text, std::vector<int32_t>& out) const {
  for (unsigned char c : text) out.push_back(int32_t(c));
}

std::string ByteTokenizer::decode(const int32_t* ids, size_t n) const {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] > 256) throw DataError("token id " + std::to_string(ids[i]) + " is outside the byte vocabulary");
    if (ids[i] < 256) s += char(ids[i]);
  }
  return s;
}

std::string resolvePath(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir.back() == '/' ? base_dir + path : base_dir + "/" + path;
}

std::unique_ptr<Tokenizer> loadTokenizer(const plan::Tokenizer& spec, const std::string& base_dir) {
  std::unique_ptr<Tokenizer> tok;
  const std::string where = "tokenizer `" + spec.name + "`";
  if (spec.kind == "gpt2_bpe") {
    tok = std::make_unique<Gpt2Bpe>(resolvePath(spec.path, base_dir));
  } else if (spec.kind == "sentencepiece") {
    tok = std::make_unique<SentencePieceTokenizer>(resolvePath(spec.path, base_dir));
  } else if (spec.kind == "hf") {
    tok = std::make_unique<HfTokenizer>(resolvePath(spec.path, base_dir));
  } else if (spec.kind == "bytes") {
    tok = std::make_unique<ByteTokenizer>();
  } else {
    throw DataError(where + " has unknown kind `" + spec.kind + "` (expected gpt2_bpe, hf, sentencepiece or bytes)");
  }
  if (spec.vocab_size > 0 && spec.vocab_size != tok->vocabSize())
    throw DataError(where + " declares vocab_size " + std::to_string(spec.vocab_size) + " but `" + spec.path +
                    "` has " + std::to_string(tok->vocabSize()));
  if (spec.eot_id >= 0 && spec.eot_id != tok->eotId())
    throw DataError(where + " declares eot_id " + std::to_string(spec.eot_id) + " but `" + spec.path +
                    "` has " + std::to_string(tok->eotId()));
  if (tok->eotId() < 0) throw DataError(where + ": `" + spec.path + "` defines no end-of-text token");
  return tok;
}

}  // namespace recipec::data
