// HfTokenizer.cpp — see HfTokenizer.h.
#include "runtime/data/HfTokenizer.h"

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <queue>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/data/Pcre2Pattern.h"

#include "runtime/data/ByteLevel.h"
#include "runtime/data/DataError.h"
#include "runtime/data/Sha256.h"

namespace recipec::data {
namespace {

std::atomic<uint64_t> g_next_hf{1};

// GPT-2's pre-tokenizer pattern, which a ByteLevel pre-tokenizer with use_regex runs.
constexpr const char* kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot read Hugging Face tokenizer file `" + path + "`");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t pairKey(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

constexpr const char* kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

// What a SentencePiece-style token decodes to: U+2581 is a space, <0xXX> the byte XX.
std::string sentencePieceText(const std::string& tok) {
  if (tok.size() == 6 && tok.compare(0, 3, "<0x") == 0 && tok[5] == '>')
    return std::string(1, char(std::stoi(tok.substr(3, 2), nullptr, 16)));
  std::string out;
  for (size_t i = 0; i < tok.size();) {
    if (tok.compare(i, 3, kSpace) == 0) { out += ' '; i += 3; }
    else out += tok[i++];
  }
  return out;
}

}  // namespace

#ifdef RECIPEC_HAVE_PCRE2
struct HfTokenizer::Regex {
  pcre2_code* code = nullptr;
  ~Regex() { if (code) pcre2_code_free(code); }
};
#else
struct HfTokenizer::Regex {};
#endif

std::string HfTokenizer::jsonPath(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) ? path + "/tokenizer.json" : path;
}

HfTokenizer::HfTokenizer(const std::string& path) : instance_id_(g_next_hf++), regex_(std::make_unique<Regex>()) {
  const std::string file = jsonPath(path);
  const std::string text = readWhole(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError("`" + file + "` is not valid JSON: " + e.what());
  }
  auto refuse = [&](const std::string& what) {
    throw DataError("`" + file + "`: " + what + ", which recipec's `hf` tokenizer does not implement "
                    "(it reads byte-level BPE: GPT-2, Llama-3, Qwen2, Mistral-Nemo; and SentencePiece-style BPE "
                    "with byte fallback: Llama-2, TinyLlama)");
  };
  auto typeOf = [](const nlohmann::json& x) { return x.is_object() ? x.value("type", std::string("?")) : std::string(); };
  if (!j.is_object() || !j.contains("model")) throw DataError("`" + file + "` is not a tokenizer.json (no `model`)");
  const auto& model = j["model"];
  if (typeOf(model) != "BPE") refuse("its model is " + typeOf(model));
  if (!model.value("dropout", nlohmann::json()).is_null()) refuse("its BPE model has dropout");
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (model.contains(k) && !model[k].is_null()) refuse(std::string("its BPE model has a ") + k);
  ignore_merges_ = model.value("ignore_merges", false);
  const auto& pre = j.value("pre_tokenizer", nlohmann::json());
  // SentencePiece-style (Llama-2, TinyLlama): the normalizer turns spaces into U+2581 and
  // prepends one, no pre-tokenizer, BPE over characters with byte fallback (<0xXX>).
  const auto& norm = j.value("normalizer", nlohmann::json());
  if (!norm.is_null()) {
    const bool sentencepiece = typeOf(norm) == "Sequence" && norm["normalizers"].size() == 2 &&
                               typeOf(norm["normalizers"][0]) == "Prepend" &&
                               norm["normalizers"][0].value("prepend", "") == kSpace &&
                               typeOf(norm["normalizers"][1]) == "Replace" &&
                               norm["normalizers"][1]["pattern"].value("String", "") == " " &&
                               norm["normalizers"][1].value("content", "") == kSpace;
    if (!sentencepiece) refuse("it has a " + typeOf(norm) + " normalizer");
    if (!pre.is_null()) refuse("it has a normalizer and a " + typeOf(pre) + " pre-tokenizer");
    if (!model.value("byte_fallback", false)) refuse("its SentencePiece-style BPE has no byte_fallback");
    metaspace_ = true;
  } else if (model.value("byte_fallback", false)) {
    refuse("its BPE model uses byte_fallback without the SentencePiece normalizer");
  }

  // Pre-tokenizer: ByteLevel, or Split(Regex, Isolated) then ByteLevel(use_regex false).
  std::string pattern;
  auto byteLevel = [&](const nlohmann::json& b, bool regexAllowed) {
    if (b.value("add_prefix_space", false)) refuse("its ByteLevel pre-tokenizer adds a prefix space");
    if (b.value("use_regex", true)) {
      if (!regexAllowed) refuse("it splits twice (a Split and ByteLevel's own pattern)");
      pattern = kGpt2Pattern;
    }
  };
  if (metaspace_) {
    // no pre-tokenizer: each text between added tokens is one word
  } else if (typeOf(pre) == "ByteLevel") {
    byteLevel(pre, true);
  } else if (typeOf(pre) == "Sequence" && pre["pretokenizers"].size() == 2 &&
             typeOf(pre["pretokenizers"][0]) == "Split" && typeOf(pre["pretokenizers"][1]) == "ByteLevel") {
    const auto& split = pre["pretokenizers"][0];
    if (!split["pattern"].contains("Regex")) refuse("its Split pattern is a plain string");
    if (split.value("behavior", "") != "Isolated" || split.value("invert", false))
      refuse("its Split behaves as " + split.value("behavior", std::string("?")));
    pattern = split["pattern"]["Regex"].get<std::string>();
    byteLevel(pre["pretokenizers"][1], false);
  } else {
    refuse("its pre-tokenizer is " + (pre.is_null() ? std::string("none") : typeOf(pre)));
  }
  if (!metaspace_ && j.contains("decoder") && !j["decoder"].is_null() && typeOf(j["decoder"]) != "ByteLevel")
    refuse("its decoder is " + typeOf(j["decoder"]));

  // Vocabulary (byte-level strings) and added tokens (raw text).
  const auto u2b = metaspace_ ? std::unordered_map<uint32_t, uint8_t>() : unicodeToByte();
  int64_t size = 0;
  for (const auto& [tok, id] : model["vocab"].items()) size = std::max<int64_t>(size, id.get<int64_t>() + 1);
  for (const auto& a : j.value("added_tokens", nlohmann::json::array()))
    size = std::max<int64_t>(size, a["id"].get<int64_t>() + 1);
  id_to_bytes_.assign(size_t(size), std::string());
  for (const auto& [tok, idj] : model["vocab"].items()) {
    const int32_t id = idj.get<int32_t>();
    // Byte-level tokens stand for raw bytes; SentencePiece-style ones are text (U+2581 for a
    // space, <0xXX> for a byte), keyed as written.
    std::string raw = metaspace_ ? tok : toRawBytes(tok, u2b, file);
    id_to_bytes_[size_t(id)] = metaspace_ ? sentencePieceText(tok) : raw;
    bytes_to_id_.emplace(std::move(raw), id);
  }
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    auto it = bytes_to_id_.find(metaspace_ ? std::string(hex) : std::string(1, char(b)));
    if (it == bytes_to_id_.end()) throw DataError("`" + file + "` lacks the token for byte " + std::to_string(b));
    byte_id_[b] = it->second;
  }
  for (const auto& a : j.value("added_tokens", nlohmann::json::array())) {
    const std::string content = a["content"].get<std::string>();
    for (const char* k : {"lstrip", "rstrip", "single_word"})
      if (a.value(k, false)) refuse("added token `" + content + "` uses " + k);
    const int32_t id = a["id"].get<int32_t>();
    id_to_bytes_[size_t(id)] = content;
    added_.emplace_back(content, id);
  }
  std::sort(added_.begin(), added_.end(), [](const auto& x, const auto& y) { return x.first.size() > y.first.size(); });
  for (const auto& a : added_)
    if (!a.first.empty()) added_by_first_[static_cast<unsigned char>(a.first[0])].push_back(&a);

  // Merges: "a b" strings (older files) or [a, b] pairs; the rank is the position.
  int32_t rank = 0;
  for (const auto& m : model["merges"]) {
    std::string a, b;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos) throw DataError("`" + file + "`: merge `" + s + "` is not two tokens");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    }
    auto ia = model["vocab"].find(a), ib = model["vocab"].find(b), im = model["vocab"].find(a + b);
    if (ia == model["vocab"].end() || ib == model["vocab"].end() || im == model["vocab"].end()) {
      ++rank;
      continue;  // a merge whose parts or result are not in the vocabulary never applies
    }
    merges_.emplace(pairKey(ia->get<int32_t>(), ib->get<int32_t>()), Merge{rank++, im->get<int32_t>()});
  }

  // End-of-text and beginning: tokenizer_config.json's names, else the usual added tokens.
  auto idOf = [&](const std::string& content) {  // an added token, else a model token (GPT-2's)
    for (const auto& [c, id] : added_)
      if (c == content) return id;
    auto it = bytes_to_id_.find(content);
    return it == bytes_to_id_.end() ? -1 : it->second;
  };
  const std::string config = std::filesystem::path(file).parent_path().string() + "/tokenizer_config.json";
  std::string config_text;
  if (std::ifstream in(config); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    config_text = ss.str();
    const nlohmann::json c = nlohmann::json::parse(config_text, nullptr, false);
    auto tokenName = [](const nlohmann::json& v) {
      return v.is_string() ? v.get<std::string>() : v.is_object() ? v.value("content", std::string()) : std::string();
    };
    if (c.is_object() && c.contains("eos_token")) eot_id_ = idOf(tokenName(c["eos_token"]));
    if (c.is_object() && c.contains("bos_token")) bos_id_ = idOf(tokenName(c["bos_token"]));
  }
  for (const char* name : {"<|endoftext|>", "<|end_of_text|>", "</s>"})
    if (eot_id_ < 0) eot_id_ = idOf(name);
  if (eot_id_ < 0)
    throw DataError("`" + file + "` names no end-of-text token: add tokenizer_config.json with `eos_token` beside it");

#ifdef RECIPEC_HAVE_PCRE2
  std::string error;
  if (!metaspace_) regex_->code = compilePattern(pattern, error);
  if (!metaspace_ && !regex_->code) throw DataError("`" + file + "`: its Split pattern does not compile: " + error);
  pcre2_jit_compile(regex_->code, PCRE2_JIT_COMPLETE);
#else
  if (!metaspace_) throw DataError("`" + file + "`: this build of recipec has no PCRE2, which byte-level BPE needs");
#endif
  fingerprint_ = "hf-" + sha256Hex(text.data(), text.size()).substr(0, 16) + "-" +
                 sha256Hex(config_text.data(), config_text.size()).substr(0, 8);
}

HfTokenizer::~HfTokenizer() = default;

void HfTokenizer::encodeInto(std::string_view text, std::vector<int32_t>& out) const {
  // Added tokens first: the text between them is what the pre-tokenizer sees. One pass: only
  // where a byte starts some added token are the candidates (longest first) compared.
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto& candidates = added_by_first_[static_cast<unsigned char>(text[i])];
    for (const auto* a : candidates) {
      if (text.compare(i, a->first.size(), a->first) != 0) continue;
      encodeSegment(text.substr(start, i - start), out);
      out.push_back(a->second);
      start = i + a->first.size();
      i = start - 1;
      break;
    }
  }
  encodeSegment(text.substr(start), out);
}

void HfTokenizer::encodeSegment(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  if (metaspace_) {
    std::string word = kSpace;
    for (char c : text) word += c == ' ' ? std::string(kSpace) : std::string(1, c);
    bpeWord(word, out);
    return;
  }
#ifdef RECIPEC_HAVE_PCRE2
  thread_local struct State {
    uint64_t owner = 0;
    pcre2_match_data* md = nullptr;
    ~State() { if (md) pcre2_match_data_free(md); }
  } st;
  if (st.owner != instance_id_) {
    if (st.md) pcre2_match_data_free(st.md);
    st.md = pcre2_match_data_create_from_pattern(regex_->code, nullptr);
    st.owner = instance_id_;
  }
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t off = 0, emitted = 0;
  while (off < text.size()) {
    const int rc = pcre2_match(regex_->code, subject, text.size(), off, 0, st.md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.md);
    if (ov[0] > emitted) bpePiece(text.substr(emitted, ov[0] - emitted), out);  // Isolated: gaps are pieces too
    if (ov[1] == ov[0]) {  // an empty match: step one character
      off = ov[1] + 1;
      while (off < text.size() && (static_cast<unsigned char>(text[off]) & 0xC0) == 0x80) ++off;
      continue;
    }
    bpePiece(text.substr(ov[0], ov[1] - ov[0]), out);
    emitted = off = ov[1];
  }
  if (emitted < text.size()) bpePiece(text.substr(emitted), out);
#else
  (void)out;
#endif
}

void HfTokenizer::bpePiece(std::string_view piece, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    if (auto it = bytes_to_id_.find(std::string(piece)); it != bytes_to_id_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  thread_local std::unordered_map<std::string, std::vector<int32_t>> cache;
  thread_local uint64_t cache_owner = 0;
  if (cache_owner != instance_id_ || cache.size() > (1u << 18)) {
    cache.clear();
    cache_owner = instance_id_;
  }
  std::string key(piece);
  if (auto it = cache.find(key); it != cache.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
    return;
  }
  std::vector<int32_t> syms;
  syms.reserve(piece.size());
  for (unsigned char c : piece) syms.push_back(byte_id_[c]);
  // Merge the lowest-ranked adjacent pair (the leftmost among equals) until none applies.
  while (syms.size() > 1) {
    int32_t best_rank = INT32_MAX, merged = -1;
    size_t at = 0;
    for (size_t i = 0; i + 1 < syms.size(); ++i) {
      auto it = merges_.find(pairKey(syms[i], syms[i + 1]));
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        merged = it->second.merged;
        at = i;
      }
    }
    if (merged < 0) break;
    syms[at] = merged;
    syms.erase(syms.begin() + long(at) + 1);
  }
  out.insert(out.end(), syms.begin(), syms.end());
  cache.emplace(std::move(key), std::move(syms));
}

// SentencePiece-style BPE of one word (a whole normalized text): characters in the vocabulary
// are symbols, others their bytes' <0xXX> tokens; then the lowest-ranked adjacent pair (the
// leftmost among equals) merges, through a heap, so a long word costs n log n.
void HfTokenizer::bpeWord(const std::string& word, std::vector<int32_t>& out) const {
  std::vector<int32_t> sym;
  for (size_t i = 0; i < word.size();) {
    const unsigned char c = static_cast<unsigned char>(word[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    auto it = bytes_to_id_.find(word.substr(i, len));
    if (it != bytes_to_id_.end()) sym.push_back(it->second);
    else
      for (size_t k = 0; k < len && i + k < word.size(); ++k) sym.push_back(byte_id_[static_cast<unsigned char>(word[i + k])]);
    i += len;
  }
  const size_t n = sym.size();
  std::vector<int> next(n), prev(n);
  for (size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? int(i + 1) : -1;
    prev[i] = int(i) - 1;
  }
  struct Cand { int32_t rank; int pos; int32_t left, right; };
  auto later = [](const Cand& a, const Cand& b) { return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos; };
  std::priority_queue<Cand, std::vector<Cand>, decltype(later)> heap(later);
  auto consider = [&](int pos) {
    if (pos < 0 || next[size_t(pos)] < 0) return;
    auto it = merges_.find(pairKey(sym[size_t(pos)], sym[size_t(next[size_t(pos)])]));
    if (it != merges_.end()) heap.push({it->second.rank, pos, sym[size_t(pos)], sym[size_t(next[size_t(pos)])]});
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(int(i));
  std::vector<bool> gone(n, false);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const int r = next[size_t(c.pos)];
    if (gone[size_t(c.pos)] || r < 0 || sym[size_t(c.pos)] != c.left || sym[size_t(r)] != c.right) continue;  // stale
    sym[size_t(c.pos)] = merges_.at(pairKey(c.left, c.right)).merged;
    gone[size_t(r)] = true;
    next[size_t(c.pos)] = next[size_t(r)];
    if (next[size_t(r)] >= 0) prev[size_t(next[size_t(r)])] = c.pos;
    consider(prev[size_t(c.pos)]);
    consider(c.pos);
  }
  for (size_t i = 0; i < n; ++i)
    if (!gone[i]) out.push_back(sym[i]);
}

std::string HfTokenizer::decode(const int32_t* ids, size_t n) const {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || size_t(ids[i]) >= id_to_bytes_.size())
      throw DataError("id " + std::to_string(ids[i]) + " is outside the vocabulary of " +
                      std::to_string(id_to_bytes_.size()));
    s += id_to_bytes_[size_t(ids[i])];
  }
  if (metaspace_ && !s.empty() && s[0] == ' ') s.erase(0, 1);  // the prepended space (decoder Strip)
  return s;
}

}  // namespace recipec::data
