// TokenClass.cpp — token classes from decoded text (rules in TokenClass.h).
#include "runtime/analyze/TokenClass.h"

#include <cstdio>
#include <stdexcept>
#include <unordered_map>

#include "runtime/data/UnicodeTables.h"

namespace recipec::analyze {
namespace {

constexpr const char* kNames[kNumTokenClasses] = {"special", "whitespace", "cjk",  "word_initial", "word_cont",
                                                  "digits",  "punctuation", "code", "other"};

template <size_t N>
bool inRanges(const uint32_t (&ranges)[N][2], uint32_t cp) {
  size_t lo = 0, hi = N;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (cp < ranges[mid][0]) hi = mid;
    else if (cp > ranges[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

bool isSpace(uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
bool isCjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x3134F) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
         (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F);
}
bool isLetter(uint32_t c) { return inRanges(data::unicode::kLetterRanges, c); }
bool isDigit(uint32_t c) { return inRanges(data::unicode::kNumberRanges, c); }
bool isCodeSymbol(uint32_t c) {
  switch (c) {
    case '{': case '}': case '[': case ']': case '<': case '>': case '=': case '+': case '*': case '/':
    case '\\': case '|': case '&': case '^': case '%': case '$': case '#': case '@': case '~': case '`':
    case '_':
      return true;
    default:
      return false;
  }
}
bool isPunctuation(uint32_t c) {
  switch (c) {
    case '.': case ',': case ';': case ':': case '!': case '?': case '\'': case '"': case '(': case ')':
    case '-':
      return true;
    default:
      break;
  }
  return (c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) ||  // ¡ « » ¿ ...
         (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||     // — ‘ ’ “ ” …
         (c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011) ||     // 、 。 《 》 「 」
         (c >= 0x3014 && c <= 0x301F) || (c >= 0xFF01 && c <= 0xFF0F) ||     // fullwidth ！ ，
         (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65);
}

struct CodePoint {
  uint32_t cp;
  int64_t begin;  // byte offset in the stream
};

// UTF-8 -> code points; a byte that does not begin a complete, valid sequence is U+FFFD.
std::vector<CodePoint> decodeUtf8(const std::string& s) {
  std::vector<CodePoint> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = uint8_t(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = len > 0 && i + size_t(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto c = uint8_t(s[i + size_t(k)]);
      ok = (c >> 6) == 2;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (!ok) {
      out.push_back({0xFFFD, int64_t(i)});
      ++i;
      continue;
    }
    out.push_back({cp, int64_t(i)});
    i += size_t(len);
  }
  return out;
}

}  // namespace

const char* className(TokenClass c) { return kNames[int(c)]; }

std::vector<TokenClass> parseClasses(const std::string& list) {
  std::vector<TokenClass> out;
  if (list.empty() || list == "none") return out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const std::string name = list.substr(start, end - start);
    bool found = false;
    for (int c = 0; c < kNumTokenClasses; ++c)
      if (name == kNames[c]) {
        out.push_back(TokenClass(c));
        found = true;
      }
    if (!found) {
      std::string known;
      for (const char* n : kNames) known += std::string(known.empty() ? "" : ", ") + n;
      throw std::invalid_argument("unknown token class `" + name + "` (known: " + known + ")");
    }
    start = end + 1;
  }
  return out;
}

std::vector<TokenClass> classifyStream(const std::vector<int32_t>& ids, const DecodeFn& decode, int32_t eot_id) {
  std::unordered_map<int32_t, std::string> cache;
  std::string bytes;
  std::vector<int64_t> offset(ids.size() + 1, 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = cache.find(ids[i]);
    if (it == cache.end()) it = cache.emplace(ids[i], decode(ids[i])).first;
    offset[i] = int64_t(bytes.size());
    if (ids[i] != eot_id) bytes += it->second;  // a boundary contributes no text
  }
  offset[ids.size()] = int64_t(bytes.size());

  const std::vector<CodePoint> cps = decodeUtf8(bytes);
  std::vector<int32_t> cp_of_byte(bytes.size());
  for (size_t k = 0; k < cps.size(); ++k) {
    const int64_t end = k + 1 < cps.size() ? cps[k + 1].begin : int64_t(bytes.size());
    for (int64_t b = cps[k].begin; b < end; ++b) cp_of_byte[size_t(b)] = int32_t(k);
  }

  std::vector<TokenClass> out(ids.size(), TokenClass::kOther);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == eot_id) {
      out[i] = TokenClass::kSpecial;
      continue;
    }
    const int64_t s = offset[i], e = offset[i + 1];
    if (s == e) continue;  // decodes to nothing: other
    const int32_t first = cp_of_byte[size_t(s)], last = cp_of_byte[size_t(e - 1)];
    bool all_space = true, any_cjk = false;
    for (int32_t k = first; k <= last; ++k) {
      all_space = all_space && isSpace(cps[size_t(k)].cp);
      any_cjk = any_cjk || isCjk(cps[size_t(k)].cp);
    }
    if (all_space) {
      out[i] = TokenClass::kWhitespace;
      continue;
    }
    if (any_cjk) {
      out[i] = TokenClass::kCjk;
      continue;
    }
    int32_t k0 = first;
    while (isSpace(cps[size_t(k0)].cp)) ++k0;
    const uint32_t head = cps[size_t(k0)].cp;
    if (isLetter(head)) {
      // The character before the word's first character: inside the token (leading
      // whitespace), the one this token starts in the middle of, or the previous token's last.
      bool after_letter = false;
      if (k0 == first && cps[size_t(first)].begin == s && s > 0)
        after_letter = isLetter(cps[size_t(cp_of_byte[size_t(s - 1)])].cp);
      else if (k0 == first && cps[size_t(first)].begin < s)
        after_letter = first > 0 && isLetter(cps[size_t(first - 1)].cp);
      out[i] = after_letter ? TokenClass::kWordCont : TokenClass::kWordInitial;
      continue;
    }
    bool all_digit = true, all_punct = true, all_sym = true, any_code = false;
    for (int32_t k = k0; k <= last; ++k) {
      const uint32_t c = cps[size_t(k)].cp;
      all_digit = all_digit && isDigit(c);
      all_punct = all_punct && isPunctuation(c);
      all_sym = all_sym && (isPunctuation(c) || isCodeSymbol(c));
      any_code = any_code || isCodeSymbol(c);
    }
    if (all_digit) out[i] = TokenClass::kDigits;
    else if (all_punct) out[i] = TokenClass::kPunctuation;
    else if (all_sym && any_code) out[i] = TokenClass::kCode;
  }
  return out;
}

std::string escapeTokenText(const std::string& s) {
  std::string out;
  const std::vector<CodePoint> cps = decodeUtf8(s);
  for (size_t k = 0; k < cps.size(); ++k) {
    const uint32_t c = cps[k].cp;
    const size_t end = k + 1 < cps.size() ? size_t(cps[k + 1].begin) : s.size();
    const bool invalid = c == 0xFFFD && s.compare(size_t(cps[k].begin), end - size_t(cps[k].begin), "\xEF\xBF\xBD") != 0;
    char buf[8];
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '\\') out += "\\\\";
    else if (invalid || c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02X", unsigned(uint8_t(s[size_t(cps[k].begin)])));
      out += buf;
    } else {
      out.append(s, size_t(cps[k].begin), end - size_t(cps[k].begin));
    }
  }
  return out;
}

}  // namespace recipec::analyze
