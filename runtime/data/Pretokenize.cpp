// Pretokenize.cpp — the GPT-2 pattern as a small state machine over strict UTF-8.
//
// Each alternative of the pattern becomes a run over one character class; the only
// backtracking in the pattern, `\s+(?!\S)`, reduces to "a whitespace run followed by a
// non-space gives back its last character". Invalid UTF-8 never matches any item (PCRE2's
// MATCH_INVALID_UTF rule), so it ends runs, satisfies `(?!\S)` like the end of the text, and
// is emitted as a gap piece.
#include "runtime/data/Pretokenize.h"

#include <algorithm>

#include "runtime/data/UnicodeTables.h"

namespace recipec::data {
namespace {

enum Cls : uint8_t { kSpace, kLetter, kNumber, kOther };

// Strict UTF-8 (no overlongs, surrogates or > U+10FFFF). Returns the length, 0 if invalid.
inline int decode(const unsigned char* p, size_t n, uint32_t& cp) {
  const unsigned char c = p[0];
  if (c < 0x80) { cp = c; return 1; }
  auto cont = [&](size_t k) { return k < n && (p[k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) {
    if (!cont(1)) return 0;
    cp = (uint32_t(c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) return 0;
    cp = (uint32_t(c & 0x0F) << 12) | (uint32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) return 0;
    cp = (uint32_t(c & 0x07) << 18) | (uint32_t(p[1] & 0x3F) << 12) | (uint32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return 4;
  }
  return 0;
}

template <size_t N>
bool inRanges(const uint32_t (&r)[N][2], uint32_t cp) {
  size_t lo = 0, hi = N;
  while (lo < hi) {  // first range whose end >= cp
    size_t mid = (lo + hi) / 2;
    if (r[mid][1] < cp) lo = mid + 1; else hi = mid;
  }
  return lo < N && r[lo][0] <= cp;
}

inline bool isSpace(uint32_t cp, SpaceSet s) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  switch (cp) {
    case 0x85: return s == SpaceSet::kUnicode;
    case 0xFEFF: return s == SpaceSet::kJavaScript;
    case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
  }
}

inline Cls classify(uint32_t cp, SpaceSet s) {
  if (cp < 0x80) {
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return kLetter;
    if (cp >= '0' && cp <= '9') return kNumber;
    return isSpace(cp, s) ? kSpace : kOther;
  }
  if (isSpace(cp, s)) return kSpace;
  if (inRanges(unicode::kLetterRanges, cp)) return kLetter;
  if (inRanges(unicode::kNumberRanges, cp)) return kNumber;
  return kOther;
}

}  // namespace

const char* spaceClass(SpaceSet s) {
  return s == SpaceSet::kJavaScript
             ? "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
             : "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
}

void splitGpt2(std::string_view text, SpaceSet spaces, std::vector<std::string_view>& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  // Class of the character at byte i (-1 = invalid UTF-8 or the end), and its length.
  auto at = [&](size_t i, int& len) -> int {
    if (i >= n) { len = 0; return -1; }
    uint32_t cp;
    len = decode(p + i, n - i, cp);
    return len ? int(classify(cp, spaces)) : -1;
  };
  // End of the run of class `c` starting at i.
  auto run = [&](size_t i, int c) {
    int len;
    while (at(i, len) == c) i += size_t(len);
    return i;
  };
  size_t i = 0;
  while (i < n) {
    int len;
    const int c = at(i, len);
    if (c < 0) {  // a gap of invalid bytes
      size_t j = i + 1;
      int l2;
      while (j < n && at(j, l2) < 0) ++j;
      out.push_back(text.substr(i, j - i));
      i = j;
      continue;
    }
    if (p[i] == '\'' && i + 1 < n) {
      const std::string_view rest = text.substr(i + 1, 2);
      size_t k = 0;
      if (rest[0] == 's' || rest[0] == 't' || rest[0] == 'm' || rest[0] == 'd') k = 2;
      else if (rest == "re" || rest == "ve" || rest == "ll") k = 3;
      if (k) {
        out.push_back(text.substr(i, k));
        i += k;
        continue;
      }
    }
    if (p[i] == ' ') {  // ` ?X+`: the space joins a following letter/number/other run
      int l2;
      const int c2 = at(i + 1, l2);
      if (c2 == kLetter || c2 == kNumber || c2 == kOther) {
        size_t j = run(i + 1, c2);
        out.push_back(text.substr(i, j - i));
        i = j;
        continue;
      }
    }
    if (c != kSpace) {
      size_t j = run(i, c);
      out.push_back(text.substr(i, j - i));
      i = j;
      continue;
    }
    // Whitespace: `\s+(?!\S)` keeps the whole run at the end of the text or before invalid
    // bytes; before a non-space it gives back its last character (if it has two or more);
    // otherwise `\s+` takes the single character.
    size_t j = i, last = i;
    while (at(j, len) == kSpace) {
      last = j;
      j += size_t(len);
    }
    int l2;
    const bool followed_by_char = at(j, l2) >= 0;
    const size_t end = followed_by_char && last > i ? last : j;
    out.push_back(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace recipec::data
