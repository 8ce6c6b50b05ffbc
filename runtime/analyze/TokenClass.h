// TokenClass.h — which kind of text a token is, from its decoded text in context.
//
// Contract: `classifyStream(ids, decode, eot)` gives one class per token of a token stream.
// The stream's decoded bytes are the concatenation of each token's own decoding; a token's
// characters are the UTF-8 code points its bytes overlap, so a byte token inside a
// multi-byte character is classified by that character (a CJK byte is `cjk`). Rules, first
// match wins:
//   special      the end-of-text id (document boundary)
//   whitespace   only spaces, tabs, newlines
//   cjk          any Han, kana or Hangul character
//   word_initial starts (after optional leading whitespace) with a letter, and the text
//                before it ends in a non-letter (" the", "The" after a newline)
//   word_cont    starts with a letter right after a letter ("ing" in "runn|ing")
//   digits       only digits after optional leading whitespace
//   punctuation  only punctuation . , ; : ! ? ' " ( ) - and Unicode punctuation
//   code         only punctuation and code symbols { } [ ] < > = + * / \ | & ^ % $ # @ ~ ` _,
//                at least one of the latter
//   other        everything else (mixed digits and letters after a digit, symbols, ...)
// `parseClasses("whitespace,punctuation")` reads a --mask list; an unknown name throws
// std::invalid_argument naming it and the known ones.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace recipec::analyze {

enum class TokenClass : uint8_t {
  kSpecial,
  kWhitespace,
  kCjk,
  kWordInitial,
  kWordCont,
  kDigits,
  kPunctuation,
  kCode,
  kOther,
};
inline constexpr int kNumTokenClasses = 9;

const char* className(TokenClass c);
std::vector<TokenClass> parseClasses(const std::string& list);

// decode(id) -> the token's bytes (the same decoding the tokenizer gives for one id).
using DecodeFn = std::function<std::string(int32_t)>;

// ids: the stream; the first `context` ids only give context (they get a class too).
std::vector<TokenClass> classifyStream(const std::vector<int32_t>& ids, const DecodeFn& decode, int32_t eot_id);

// Printable form of token text for tables and TSV: \n \t \r \\ escaped, other control bytes
// and bytes of an incomplete UTF-8 sequence as \xNN.
std::string escapeTokenText(const std::string& bytes);

}  // namespace recipec::analyze
