// Sniff.h — what a data file is, from its first bytes: the one place that recognises a
// format (header-only, no dependencies; formats/TextFiles.h acts on it).
//
// Contract: `magicOf(head)` names a known binary format from a file's first bytes, or "" for
// none. `codecOfName(path)` is the compression a name promises (".gz", ".zst"), and
// `codecOfMagic(head)` the one the bytes have. `firstNonText(bytes, complete)` is the offset
// of the first byte that cannot be in a UTF-8 text file (a NUL, a control byte other than
// tab/newline/CR/form feed, or invalid UTF-8), npos when there is none; when `complete` is
// false a UTF-8 sequence cut by the end of `bytes` is not an error (a file's head).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace recipec::data::formats {

enum class Codec { None, Gzip, Zstd };

inline const char* codecName(Codec c) { return c == Codec::Gzip ? "gzip" : c == Codec::Zstd ? "zstd" : "none"; }
inline const char* codecSuffix(Codec c) { return c == Codec::Gzip ? ".gz" : c == Codec::Zstd ? ".zst" : ""; }

inline bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

inline Codec codecOfName(std::string_view path) {
  if (endsWith(path, ".gz")) return Codec::Gzip;
  if (endsWith(path, ".zst") || endsWith(path, ".zstd")) return Codec::Zstd;
  return Codec::None;
}

// The name without its compression suffix: "a.jsonl.gz" -> "a.jsonl".
inline std::string_view innerName(std::string_view path) {
  if (endsWith(path, ".gz")) return path.substr(0, path.size() - 3);
  if (endsWith(path, ".zstd")) return path.substr(0, path.size() - 5);
  if (endsWith(path, ".zst")) return path.substr(0, path.size() - 4);
  return path;
}

inline bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

inline Codec codecOfMagic(std::string_view head) {
  if (startsWith(head, "\x1f\x8b")) return Codec::Gzip;
  if (startsWith(head, std::string_view("\x28\xb5\x2f\xfd", 4))) return Codec::Zstd;
  return Codec::None;
}

// "gzip data", "a PNG image", ... for the formats a corpus folder may hold by mistake.
inline std::string magicOf(std::string_view head) {
  struct Magic { std::string_view bytes; const char* what; };
  static const Magic kMagic[] = {
      {std::string_view("\x1f\x8b", 2), "gzip data"},
      {std::string_view("\x28\xb5\x2f\xfd", 4), "zstd data"},
      {"BZh", "bzip2 data"},
      {std::string_view("\xfd" "7zXZ\0", 6), "xz data"},
      {std::string_view("\x04\x22\x4d\x18", 4), "lz4 data"},
      {"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
      {std::string_view("PK\x03\x04", 4), "a ZIP archive"},
      {"PAR1", "a Parquet file"},
      {"ARROW1", "an Arrow IPC file"},
      {"\x93NUMPY", "a NumPy array (.npy)"},
      {"\x89PNG", "a PNG image"},
      {"\xff\xd8\xff", "a JPEG image"},
      {"GIF8", "a GIF image"},
      {"%PDF", "a PDF document"},
      {"\x7f" "ELF", "an ELF executable"},
      {std::string_view("SQLite format 3\0", 16), "an SQLite database"},
  };
  for (const auto& m : kMagic)
    if (startsWith(head, m.bytes)) return m.what;
  return "";
}

// The offset of the first byte that breaks UTF-8 (overlong forms, UTF-16 surrogates and code
// points past U+10FFFF included), npos when there is none. With `complete` false a sequence
// cut by the end of `s` is not an error (a file's head). The recipe parser uses it too.
inline size_t firstInvalidUtf8(std::string_view s, bool complete = true) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    const size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || c < 0xC2 || c > 0xF4) return i;
    if (i + n > s.size()) return complete ? i : std::string_view::npos;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
      return i;
    i += n;
  }
  return std::string_view::npos;
}

inline size_t firstNonText(std::string_view s, bool complete) {
  size_t at = firstInvalidUtf8(s, complete);
  for (size_t i = 0; i < std::min(at, s.size()); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f) return i;
  }
  return at;
}

}  // namespace recipec::data::formats
