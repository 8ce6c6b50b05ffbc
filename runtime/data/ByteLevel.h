// ByteLevel.h — GPT-2's byte-level alphabet, shared by the two readers of byte-level BPE
// files (Gpt2Bpe: encoder.json + vocab.bpe; HfTokenizer: tokenizer.json). Internal to
// recipec_data.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "runtime/data/DataError.h"

namespace recipec::data {

// GPT-2's bytes_to_unicode, inverted: code point -> byte (printable bytes map to themselves,
// the other 68 to U+0100.. in byte order).
inline std::unordered_map<uint32_t, uint8_t> unicodeToByte() {
  std::unordered_map<uint32_t, uint8_t> m;
  uint32_t n = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    m[printable ? uint32_t(b) : 256 + n++] = uint8_t(b);
  }
  return m;
}

// Decodes a token as written in encoder.json/vocab.bpe (UTF-8 of mapped code points) to the raw
// bytes it stands for.
inline std::string toRawBytes(const std::string& token, const std::unordered_map<uint32_t, uint8_t>& u2b,
                       const std::string& file) {
  std::string out;
  for (size_t i = 0; i < token.size();) {
    unsigned char c = token[i];
    uint32_t cp;
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len && i + k < token.size(); ++k) cp = (cp << 6) | (token[i + k] & 0x3F);
    i += len;
    auto it = u2b.find(cp);
    if (it == u2b.end())
      throw DataError("`" + file + "` has token `" + token + "` outside the byte-level alphabet");
    out += char(it->second);
  }
  return out;
}

}  // namespace recipec::data
