// Pretokenize.h — GPT-2's pre-tokenizer pattern, hand-written (no regex engine).
//
// Contract: splitGpt2(text, spaces, out) appends to `out` exactly the pieces that PCRE2 (UTF,
// UCP, MATCH_INVALID_UTF) produces for
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with `\s` = the given whitespace set, plus the unmatched gaps (bytes of invalid UTF-8) as
// pieces of their own, in order. Gpt2Bpe uses PCRE2 when the build has it and this otherwise
// (the GPU machine has no Debian -dev packages); tests/data checks that both agree on the
// whole corpus, edge cases and random byte strings. \p{L}/\p{N} come from UnicodeTables.h
// (Unicode 14.0, as PCRE2 10.42).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace recipec::data {

enum class SpaceSet {
  kJavaScript,  // ECMAScript \s: includes U+FEFF, excludes U+0085 (npm gpt-3-encoder)
  kUnicode,     // Unicode White_Space: includes U+0085, excludes U+FEFF (Python `regex`)
};

// PCRE2 class body (without brackets) for the set, e.g. "\\t\\n\\x{0B}...".
const char* spaceClass(SpaceSet s);

void splitGpt2(std::string_view text, SpaceSet spaces, std::vector<std::string_view>& out);

}  // namespace recipec::data
