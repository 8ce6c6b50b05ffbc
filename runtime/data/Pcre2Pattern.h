// Pcre2Pattern.h — compiling a pre-tokenizer pattern, the one way both byte-level BPE readers
// (Gpt2Bpe, HfTokenizer) do it: UTF, Unicode properties for \s \w \d, bytes of invalid UTF-8
// matched rather than rejected. Internal to recipec_data; only with PCRE2.
#pragma once

#ifdef RECIPEC_HAVE_PCRE2
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <string>

namespace recipec::data {

// The compiled pattern, or nullptr with `error` set to PCRE2's message.
inline pcre2_code* compilePattern(const std::string& pattern, std::string& error) {
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_off, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    error = reinterpret_cast<char*>(msg);
  }
  return code;
}

}  // namespace recipec::data
#endif
