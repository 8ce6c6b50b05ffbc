// Gpt2Bpe.cpp — tables from encoder.json/vocab.bpe, PCRE2 pre-tokenizer, BPE with a cache.
//
// Symbols are token ids throughout (every BPE symbol is a vocabulary entry), so a merge is one
// hash lookup on (left id, right id). Pieces repeat heavily in natural text, so each thread
// memoises piece -> ids; the cache is thread_local so parallel prepare needs no locks.
#include "runtime/data/Gpt2Bpe.h"

#include "runtime/data/Pcre2Pattern.h"

#include <atomic>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/data/ByteLevel.h"
#include "runtime/data/DataError.h"
#include "runtime/data/Pretokenize.h"
#include "runtime/data/Sha256.h"

namespace recipec::data {
namespace {

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot read GPT-2 tokenizer file `" + path + "`");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::atomic<uint64_t> g_next_instance{1};

// Open-addressed piece -> ids memo. std::unordered_map<std::string, ...> cost ~3x more per
// lookup (a string copy and a node hop), and lookups are most of the work on natural text.
uint64_t hashBytes(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

struct PieceCache {
  struct Slot { uint64_t hash = 0; uint32_t key_off = 0, key_len = 0, ids_off = 0, ids_len = 0; bool used = false; };
  uint64_t owner = 0;
  std::vector<Slot> slots;
  size_t count = 0;
  std::string keys;
  std::vector<int32_t> ids;
  void reset(uint64_t id) {
    owner = id;
    slots.assign(1 << 16, Slot());
    count = 0;
    keys.clear();
    ids.clear();
  }
  // Returns the slot for `piece`: used = hit, else the empty slot to fill.
  Slot& find(std::string_view piece, uint64_t h) {
    const size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots[i];
      if (!s.used) return s;
      if (s.hash == h && s.key_len == piece.size() && std::memcmp(keys.data() + s.key_off, piece.data(), piece.size()) == 0)
        return s;
    }
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots);
    slots.assign(old.size() * 2, Slot());
    const size_t mask = slots.size() - 1;
    for (const Slot& s : old) {
      if (!s.used) continue;
      size_t i = s.hash & mask;
      while (slots[i].used) i = (i + 1) & mask;
      slots[i] = s;
    }
  }
};
thread_local PieceCache t_cache;
constexpr size_t kMaxCachedPieces = 1 << 18;  // bounds memory (~25 MB a thread) on endless unique pieces

}  // namespace

#ifdef RECIPEC_HAVE_PCRE2
struct Gpt2Bpe::Regex {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Regex() { if (code) pcre2_code_free(code); }
};

// Per-thread match data and JIT stack; freed when the thread ends.
namespace {
struct MatchState {
  uint64_t owner = 0;
  pcre2_match_data* md = nullptr;
  pcre2_match_context* ctx = nullptr;
  pcre2_jit_stack* stack = nullptr;
  void release() {
    if (md) pcre2_match_data_free(md);
    if (ctx) pcre2_match_context_free(ctx);
    if (stack) pcre2_jit_stack_free(stack);
    md = nullptr; ctx = nullptr; stack = nullptr;
  }
  ~MatchState() { release(); }
};
thread_local MatchState t_match;
}  // namespace
#else
struct Gpt2Bpe::Regex {};
#endif

Gpt2Bpe::Gpt2Bpe(const std::string& dir, Compat compat)
    : compat_(compat),
      spaces_(compat == Compat::kNpm ? SpaceSet::kJavaScript : SpaceSet::kUnicode),
      instance_id_(g_next_instance++),
      regex_(std::make_unique<Regex>()) {
  const std::string enc_path = dir + "/encoder.json", bpe_path = dir + "/vocab.bpe";
  const std::string enc_text = readWhole(enc_path), bpe_text = readWhole(bpe_path);
  const auto u2b = unicodeToByte();

  nlohmann::json enc;
  try {
    enc = nlohmann::json::parse(enc_text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError("`" + enc_path + "` is not valid JSON: " + e.what());
  }
  if (!enc.is_object() || enc.empty()) throw DataError("`" + enc_path + "` is not a token -> id object");
  id_to_bytes_.assign(enc.size(), std::string());
  std::vector<bool> seen(enc.size(), false);
  for (auto it = enc.begin(); it != enc.end(); ++it) {
    if (!it.value().is_number_integer()) throw DataError("`" + enc_path + "`: id of `" + it.key() + "` is not an integer");
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= int64_t(enc.size()) || seen[id])
      throw DataError("`" + enc_path + "`: ids are not a permutation of 0.." + std::to_string(enc.size() - 1));
    seen[id] = true;
    std::string raw = toRawBytes(it.key(), u2b, enc_path);
    id_to_bytes_[id] = raw;
    bytes_to_id_[raw] = int32_t(id);
    if (it.key() == "<|endoftext|>") eot_id_ = int32_t(id);
  }
  if (eot_id_ < 0) throw DataError("`" + enc_path + "` has no `<|endoftext|>` token");
  for (int b = 0; b < 256; ++b) {
    auto it = bytes_to_id_.find(std::string(1, char(b)));
    if (it == bytes_to_id_.end()) throw DataError("`" + enc_path + "` lacks the token for byte " + std::to_string(b));
    byte_id_[b] = it->second;
  }

  // Merges: line 0 is "#version", the last (empty after the final newline) is dropped.
  struct Line { std::string a, b; };
  std::vector<Line> lines;
  {
    std::istringstream in(bpe_text);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      if (first) { first = false; continue; }
      std::istringstream ls(line);
      std::string a, b;
      if (!(ls >> a >> b)) continue;
      lines.push_back({toRawBytes(a, u2b, bpe_path), toRawBytes(b, u2b, bpe_path)});
    }
  }
  if (lines.empty()) throw DataError("`" + bpe_path + "` has no merges");
  auto idOf = [&](const std::string& s) {
    auto it = bytes_to_id_.find(s);
    return it == bytes_to_id_.end() ? -1 : it->second;
  };
  // npm semantics: the rank of a pair is that of the last merge whose "a,b" string matches.
  std::unordered_map<std::string, int32_t> rank_by_string;
  if (compat_ == Compat::kNpm)
    for (size_t r = 0; r < lines.size(); ++r) rank_by_string[lines[r].a + "," + lines[r].b] = int32_t(r);
  for (size_t r = 0; r < lines.size(); ++r) {
    int32_t ia = idOf(lines[r].a), ib = idOf(lines[r].b);
    if (ia < 0 || ib < 0) throw DataError("`" + bpe_path + "`: merge " + std::to_string(r) + " names a token not in encoder.json");
    int32_t rank = compat_ == Compat::kNpm ? rank_by_string[lines[r].a + "," + lines[r].b] : int32_t(r);
    merges_[pairKey(ia, ib)] = {rank, idOf(lines[r].a + lines[r].b)};
  }
  if (compat_ == Compat::kNpm) {
    // Pairs (x, y) with x + "," + y equal to a merge's string but split at another comma.
    for (const auto& [key, rank] : rank_by_string) {
      for (size_t p = 0; p < key.size(); ++p) {
        if (key[p] != ',') continue;
        int32_t ix = idOf(key.substr(0, p)), iy = idOf(key.substr(p + 1));
        if (ix < 0 || iy < 0 || merges_.count(pairKey(ix, iy))) continue;
        merges_[pairKey(ix, iy)] = {rank, idOf(key.substr(0, p) + key.substr(p + 1))};
      }
    }
  }

  size_t cap = 1;
  while (cap < merges_.size() * 2) cap <<= 1;
  merge_table_.assign(cap, MergeSlot{~0ull, {0, 0}});
  merge_mask_ = cap - 1;
  for (const auto& [key, m] : merges_) {
    size_t i = size_t((key * 0x9E3779B97F4A7C15ull) >> 20) & merge_mask_;
    while (merge_table_[i].key != ~0ull) i = (i + 1) & merge_mask_;
    merge_table_[i] = {key, m};
  }

#ifdef RECIPEC_HAVE_PCRE2
  const std::string space = spaceClass(spaces_);
  const std::string pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" + space + "\\p{L}\\p{N}]+|[" + space +
                              "]+(?![^" + space + "])|[" + space + "]+";
  std::string error;
  regex_->code = compilePattern(pattern, error);
  if (!regex_->code) throw std::logic_error("GPT-2 pattern does not compile: " + error);
  regex_->jit = pcre2_jit_compile(regex_->code, PCRE2_JIT_COMPLETE) == 0;
#endif

  fingerprint_ = "gpt2_bpe-" + std::string(compat_ == Compat::kNpm ? "npm" : "openai") + "-" +
                 sha256Hex(enc_text.data(), enc_text.size()).substr(0, 16) + "-" +
                 sha256Hex(bpe_text.data(), bpe_text.size()).substr(0, 16);
}

Gpt2Bpe::~Gpt2Bpe() = default;

const Gpt2Bpe::Merge* Gpt2Bpe::findMerge(int32_t a, int32_t b) const {
  const uint64_t key = pairKey(a, b);
  for (size_t i = size_t((key * 0x9E3779B97F4A7C15ull) >> 20) & merge_mask_;; i = (i + 1) & merge_mask_) {
    const MergeSlot& s = merge_table_[i];
    if (s.key == key) return &s.m;
    if (s.key == ~0ull) return nullptr;
  }
}

template <class F>
void Gpt2Bpe::forEachPiece(std::string_view text, F&& f) const {
#ifdef RECIPEC_HAVE_PCRE2
  MatchState& ms = t_match;
  if (ms.owner != instance_id_) {
    ms.release();
    ms.owner = instance_id_;
    ms.md = pcre2_match_data_create_from_pattern(regex_->code, nullptr);
    if (regex_->jit) {
      // Long whitespace or punctuation runs backtrack through the lookahead: give JIT room.
      ms.stack = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, nullptr);
      ms.ctx = pcre2_match_context_create(nullptr);
      pcre2_jit_stack_assign(ms.ctx, nullptr, ms.stack);
    }
  }
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t off = 0;
  while (off < text.size()) {
    int rc = regex_->jit ? pcre2_jit_match(regex_->code, subject, text.size(), off, 0, ms.md, ms.ctx)
                         : pcre2_match(regex_->code, subject, text.size(), off, 0, ms.md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      f(text.substr(off));
      break;
    }
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof(msg));
      throw DataError(std::string("GPT-2 pre-tokenizer failed: ") + reinterpret_cast<char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ms.md);
    if (ov[0] > off) f(text.substr(off, ov[0] - off));  // invalid UTF-8 bytes
    f(text.substr(ov[0], ov[1] - ov[0]));
    off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
  }
#else
  thread_local std::vector<std::string_view> pieces;
  pieces.clear();
  splitGpt2(text, spaces_, pieces);
  for (std::string_view piece : pieces) f(piece);
#endif
}

std::vector<std::string_view> Gpt2Bpe::pretokenize(std::string_view text) const {
  std::vector<std::string_view> pieces;
  forEachPiece(text, [&](std::string_view p) { pieces.push_back(p); });
  return pieces;
}

std::vector<std::string_view> Gpt2Bpe::pretokenizeBuiltin(std::string_view text) const {
  std::vector<std::string_view> pieces;
  splitGpt2(text, spaces_, pieces);
  return pieces;
}

bool Gpt2Bpe::usesPcre2() {
#ifdef RECIPEC_HAVE_PCRE2
  return true;
#else
  return false;
#endif
}

void Gpt2Bpe::bpeUncached(std::string_view piece, std::vector<int32_t>& out) const {
  // syms[i] are the current symbols; rank[i]/merged[i] describe the pair (i, i+1). A merge
  // only changes the pairs next to merged symbols (`dirty`), so each step does two lookups
  // per merge instead of one per pair. Buffers are reused: most pieces are a few bytes.
  thread_local std::vector<int32_t> syms, rank, merged;
  thread_local std::vector<uint8_t> dirty;
  size_t n = piece.size();
  syms.resize(n);
  rank.resize(n);
  merged.resize(n);
  dirty.assign(n, 0);
  for (size_t i = 0; i < n; ++i) syms[i] = byte_id_[uint8_t(piece[i])];
  auto lookup = [&](size_t i) {
    const Merge* m = findMerge(syms[i], syms[i + 1]);
    rank[i] = m ? m->rank : INT32_MAX;
    merged[i] = m ? m->merged : -1;
  };
  for (size_t i = 0; i + 1 < n; ++i) lookup(i);
  while (n > 1) {
    size_t best = SIZE_MAX;
    int32_t best_rank = INT32_MAX;
    for (size_t i = 0; i + 1 < n; ++i)
      if (rank[i] <= best_rank && rank[i] != INT32_MAX) {  // `<=`: ties go to the rightmost
        best_rank = rank[i];                                  // pair, as in gpt-3-encoder
        best = i;
      }
    if (best == SIZE_MAX) break;
    const int32_t a = syms[best], b = syms[best + 1], ab = merged[best];
    if (ab < 0)
      throw DataError("GPT-2 merge of `" + id_to_bytes_[a] + "` + `" + id_to_bytes_[b] +
                      "` yields a token missing from encoder.json");
    // Merge every occurrence of (a, b) left to right, in place (write index <= read index).
    size_t w = 0;
    for (size_t i = 0; i < n;) {
      if (i + 1 < n && syms[i] == a && syms[i + 1] == b) {
        syms[w] = ab;
        dirty[w] = 1;
        i += 2;
      } else {
        syms[w] = syms[i];
        rank[w] = rank[i];
        merged[w] = merged[i];
        dirty[w] = 0;
        ++i;
      }
      ++w;
    }
    n = w;
    for (size_t i = 0; i + 1 < n; ++i)
      if (dirty[i] || dirty[i + 1]) lookup(i);
    std::fill(dirty.begin(), dirty.begin() + int64_t(n), uint8_t(0));
  }
  out.insert(out.end(), syms.begin(), syms.begin() + int64_t(n));
}

void Gpt2Bpe::bpePiece(std::string_view piece, std::vector<int32_t>& out) const {
  PieceCache& c = t_cache;
  if (c.owner != instance_id_ || c.count >= kMaxCachedPieces || c.keys.size() > (1u << 30) || c.ids.size() > (1u << 28))
    c.reset(instance_id_);
  const uint64_t h = hashBytes(piece);
  PieceCache::Slot* slot = &c.find(piece, h);
  if (slot->used) {
    out.insert(out.end(), c.ids.begin() + slot->ids_off, c.ids.begin() + slot->ids_off + slot->ids_len);
    return;
  }
  const size_t before = out.size();
  bpeUncached(piece, out);
  if (2 * (c.count + 1) > c.slots.size()) {
    c.grow();
    slot = &c.find(piece, h);
  }
  *slot = {h, uint32_t(c.keys.size()), uint32_t(piece.size()), uint32_t(c.ids.size()), uint32_t(out.size() - before), true};
  c.keys.append(piece.data(), piece.size());
  c.ids.insert(c.ids.end(), out.begin() + int64_t(before), out.end());
  ++c.count;
}

void Gpt2Bpe::encodeInto(std::string_view text, std::vector<int32_t>& out) const {
  forEachPiece(text, [&](std::string_view piece) { bpePiece(piece, out); });
}

std::string Gpt2Bpe::decode(const int32_t* ids, size_t n) const {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || size_t(ids[i]) >= id_to_bytes_.size())
      throw DataError("token id " + std::to_string(ids[i]) + " is outside the GPT-2 vocabulary (" +
                      std::to_string(id_to_bytes_.size()) + ")");
    s += id_to_bytes_[ids[i]];
  }
  return s;
}

}  // namespace recipec::data
