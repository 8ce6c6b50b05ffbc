// TextFiles.cpp — see TextFiles.h.
#include "runtime/data/formats/TextFiles.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/Shard.h"  // the llm.c header constants
#include "runtime/data/formats/Columnar.h"
#include "runtime/data/formats/TokenFiles.h"

#ifdef RECIPEC_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef RECIPEC_HAVE_ZSTD
#include <zstd.h>
#endif

namespace recipec::data::formats {

namespace {

std::string ticked(const std::string& path) { return "`" + path + "`"; }

std::string headOf(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw DataError("cannot read " + ticked(path) + ": " + std::strerror(errno));
  char buf[16];
  const size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  return std::string(buf, n);
}

// Why the raw bytes do not fit the name, or "".
std::string mismatch(const std::string& path, const std::string& head, std::string& help) {
  const Codec named = codecOfName(path), actual = codecOfMagic(head);
  const std::string looks = magicOf(head);
  if (named == Codec::None && actual != Codec::None) {
    help = "rename it to end in " + std::string(codecSuffix(actual)) + " (" + path + codecSuffix(actual) +
           "): the name says how to read it";
    return ticked(path) + " is " + looks + ", but the name does not end in " + codecSuffix(actual);
  }
  if (named != Codec::None && actual != named) {
    help = looks.empty() ? "drop the " + std::string(codecSuffix(named)) + " from its name"
                         : "give it the name of what it holds";
    return ticked(path) + " is named " + codecSuffix(named) + " but is not " + codecName(named) + " data" +
           (looks.empty() ? "" : " (it is " + looks + ")");
  }
  if (named == Codec::None && !looks.empty()) {
    // (Parquet and Arrow never get here: they are tables, read by column: Columnar.h.)
    if (looks == "a NumPy array (.npy)")
      help = "token arrays are not text: convert them to llm.c .bin shards for `shards(...)`";
    else if (looks == "bzip2 data" || looks == "xz data" || looks == "lz4 data")
      help = "recompress it with gzip or zstd (.gz, .zst), which `text(...)` reads";
    else if (looks == "a ZIP archive" || looks == "a 7-Zip archive")
      help = "unpack the archive and point the pattern at its text files";
    else
      help = "point the pattern at text files only (e.g. `data/corpus/*.jsonl`)";
    return ticked(path) + " is " + looks + ", not text";
  }
  if (named != Codec::None && !codecBuiltIn(named)) {
    help = "build recipec with " + std::string(named == Codec::Gzip ? "zlib" : "libzstd") +
           " (scripts/setup.sh installs it), or decompress the file";
    return ticked(path) + " is " + codecName(named) + " data, and this build of recipec reads no " + codecName(named);
  }
  return "";
}

// Why decoded bytes are not text, or "".
std::string notText(const std::string& path, std::string_view bytes, bool complete, std::string& help) {
  const size_t at = firstNonText(bytes, complete);
  if (at == std::string_view::npos) return "";
  const unsigned char c = static_cast<unsigned char>(bytes[at]);
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", c);
  const bool utf8Problem = c >= 0x80;
  help = utf8Problem ? "convert it to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
                     : "point the pattern at text files only";
  return ticked(path) + (utf8Problem ? " is not UTF-8 text" : " is binary, not text") + " (byte " + hex +
         " at offset " + std::to_string(at) + (codecOfName(path) != Codec::None ? " of its decompressed text" : "") + ")";
}

}  // namespace

std::string fileHead(const std::string& path) { return headOf(path); }

bool codecBuiltIn(Codec c) {
#ifdef RECIPEC_HAVE_ZLIB
  if (c == Codec::Gzip) return true;
#endif
#ifdef RECIPEC_HAVE_ZSTD
  if (c == Codec::Zstd) return true;
#endif
  return c == Codec::None;
}

struct DecodedStream::Impl {
  FILE* file = nullptr;
  std::vector<char> in = std::vector<char>(1 << 16);
  size_t inPos = 0, inLen = 0;
  bool eof = false;
#ifdef RECIPEC_HAVE_ZLIB
  z_stream z{};
  bool zInit = false, zMidStream = false;
#endif
#ifdef RECIPEC_HAVE_ZSTD
  ZSTD_DStream* zs = nullptr;
  size_t zsLast = 0;  // ZSTD_decompressStream's last return: 0 at a frame's end
#endif
  bool fill() {
    if (inPos < inLen) return true;
    if (eof) return false;
    inLen = std::fread(in.data(), 1, in.size(), file);
    inPos = 0;
    if (inLen == 0) eof = true;
    return inLen > 0;
  }
  ~Impl() {
#ifdef RECIPEC_HAVE_ZLIB
    if (zInit) inflateEnd(&z);
#endif
#ifdef RECIPEC_HAVE_ZSTD
    if (zs) ZSTD_freeDStream(zs);
#endif
    if (file) std::fclose(file);
  }
};

DecodedStream::DecodedStream(const std::string& path) : path_(path), impl_(std::make_unique<Impl>()) {
  std::string help;
  if (std::string why = mismatch(path, headOf(path), help); !why.empty()) throw DataError(why + "; " + help);
  codec_ = codecOfName(path);
  impl_->file = std::fopen(path.c_str(), "rb");
  if (!impl_->file) throw DataError("cannot read " + ticked(path) + ": " + std::strerror(errno));
#ifdef RECIPEC_HAVE_ZLIB
  if (codec_ == Codec::Gzip) {
    if (inflateInit2(&impl_->z, 15 + 32) != Z_OK) throw DataError("zlib cannot start on " + ticked(path));
    impl_->zInit = true;
  }
#endif
#ifdef RECIPEC_HAVE_ZSTD
  if (codec_ == Codec::Zstd) {
    impl_->zs = ZSTD_createDStream();
    if (!impl_->zs) throw DataError("libzstd cannot start on " + ticked(path));
  }
#endif
}

DecodedStream::~DecodedStream() = default;

size_t DecodedStream::read(char* out, size_t n) {
  Impl& s = *impl_;
  if (codec_ == Codec::None) {
    if (s.eof) return 0;
    const size_t got = std::fread(out, 1, n, s.file);
    if (got == 0) s.eof = true;
    return got;
  }
#ifdef RECIPEC_HAVE_ZLIB
  if (codec_ == Codec::Gzip) {
    size_t produced = 0;
    while (produced == 0) {
      if (!s.fill()) {
        if (s.zMidStream) throw DataError(ticked(path_) + " ends inside its gzip stream (truncated?)");
        return 0;
      }
      s.z.next_in = reinterpret_cast<Bytef*>(s.in.data() + s.inPos);
      s.z.avail_in = uInt(s.inLen - s.inPos);
      s.z.next_out = reinterpret_cast<Bytef*>(out);
      s.z.avail_out = uInt(n);
      const int rc = inflate(&s.z, Z_NO_FLUSH);
      s.inPos = s.inLen - s.z.avail_in;
      produced = n - s.z.avail_out;
      if (rc == Z_STREAM_END) {
        inflateReset(&s.z);  // another gzip member may follow: concatenated .gz files are one text
        s.zMidStream = false;
      } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
        s.zMidStream = true;
      } else {
        throw DataError(ticked(path_) + " is damaged gzip data (" +
                        (s.z.msg ? std::string(s.z.msg) : "zlib error " + std::to_string(rc)) + ")");
      }
    }
    return produced;
  }
#endif
#ifdef RECIPEC_HAVE_ZSTD
  if (codec_ == Codec::Zstd) {
    ZSTD_outBuffer o{out, n, 0};
    while (o.pos == 0) {
      if (!s.fill()) {
        if (s.zsLast != 0) throw DataError(ticked(path_) + " ends inside its zstd frame (truncated?)");
        return 0;
      }
      ZSTD_inBuffer i{s.in.data() + s.inPos, s.inLen - s.inPos, 0};
      s.zsLast = ZSTD_decompressStream(s.zs, &o, &i);
      if (ZSTD_isError(s.zsLast))
        throw DataError(ticked(path_) + " is damaged zstd data (" + ZSTD_getErrorName(s.zsLast) + ")");
      s.inPos += i.pos;
    }
    return o.pos;
  }
#endif
  return 0;
}

std::string readText(const std::string& path, int64_t limit) {
  DecodedStream in(path);
  std::string text;
  std::vector<char> buf(1 << 16);
  while (limit < 0 || int64_t(text.size()) < limit) {
    const size_t want = limit < 0 ? buf.size() : std::min<size_t>(buf.size(), size_t(limit) - text.size());
    const size_t got = in.read(buf.data(), want);
    if (got == 0) break;
    text.append(buf.data(), got);
  }
  std::string help;
  const bool complete = limit < 0 || int64_t(text.size()) < limit;
  if (std::string why = notText(path, text, complete, help); !why.empty()) throw DataError(why + "; " + help);
  return text;
}

std::string documentField(const std::string& path, const std::string& json_field) {
  if (!json_field.empty()) return json_field;
  const std::string_view inner = innerName(path);
  if (endsWith(inner, ".jsonl") || endsWith(inner, ".ndjson") || endsWith(inner, ".json")) return "text";
  return "";
}

namespace {

// The first id at or past `vocab` (or negative) in `width`-byte tokens from `offset`, within
// 64 KiB: "" or the message naming the file and token offset.
std::string firstIdPast(const std::string& path, size_t offset, size_t width, bool is_signed, int64_t vocab) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(std::streamoff(offset));
  std::string bytes(65536, '\0');
  in.read(bytes.data(), std::streamsize(bytes.size()));
  bytes.resize(size_t(in.gcount()));
  for (size_t i = 0; i + width <= bytes.size(); i += width) {
    int64_t id = 0;
    if (width == 2) { uint16_t v; std::memcpy(&v, bytes.data() + i, 2); id = v; }
    else if (is_signed) { int32_t v; std::memcpy(&v, bytes.data() + i, 4); id = v; }
    else { uint32_t v; std::memcpy(&v, bytes.data() + i, 4); id = v; }
    if (id < 0 || id >= vocab)
      return ticked(path) + " holds token id " + std::to_string(id) + " at token offset " + std::to_string(i / width) +
             ", past the " + std::to_string(vocab) + " ids of its tokenizer";
  }
  return "";
}

}  // namespace

std::string probeTokenFile(const std::string& path, std::string& help, int64_t vocab) {
  const std::string head = headOf(path);
  int32_t magic = 0, version = 0;
  if (head.size() >= 8) {
    std::memcpy(&magic, head.data(), 4);
    std::memcpy(&version, head.data() + 4, 4);
  }
  auto ids = [&](size_t offset, size_t width, bool is_signed) {
    if (vocab <= 0) return std::string();
    std::string why = firstIdPast(path, offset, width, is_signed, vocab);
    if (!why.empty()) help = "name the tokenizer that made these tokens, or a model `vocab` that covers them";
    return why;
  };
  if (magic == kShardMagic || magic == kLlmcLlama3Magic)
    return ids(kShardHeaderInts * sizeof(int32_t), magic == kShardMagic && version == 1 ? 2 : 4, false);
  if (head.rfind("\x93NUMPY", 0) == 0) {
    std::ifstream in(path, std::ios::binary);
    std::string first(65536, '\0');
    in.read(first.data(), std::streamsize(first.size()));
    first.resize(size_t(in.gcount()));
    std::error_code ec;
    try {
      const NpyLayout l = npyLayout(path, first, size_t(std::filesystem::file_size(path, ec)));
      return ids(l.offset, l.width, l.is_signed);
    } catch (const DataError& e) {
      help = "token arrays are 1-D NumPy arrays of uint16, uint32 or int32";
      return e.what();
    }
  }
  if (const std::string idx = megatronIndexOf(path); !idx.empty()) {
    std::ifstream in(idx, std::ios::binary);
    char m[18] = {};
    in.read(m, 18);
    return ids(0, m[17] == 8 ? 2 : 4, m[17] == 4);  // the dtype code: 8 uint16, 4 int32
  }
  const std::string looks = magicOf(head);
  help = "shards(...) reads llm.c .bin shards (what `recipec prepare` writes), NumPy .npy token arrays and "
         "Megatron-LM .bin + .idx pairs; for text, use text(...)";
  if (!looks.empty()) return ticked(path) + " is " + looks + ", not a token file";
  if (firstNonText(head, false) == std::string_view::npos && !head.empty())
    return ticked(path) + " looks like text, not a token file";
  return ticked(path) + " is not a token file (no llm.c or NumPy header, no Megatron .idx beside it)";
}

std::string probeTextFile(const std::string& path, const std::string& json_field, std::string& help,
                          size_t head_bytes) {
  // A table (Parquet, Arrow): its column is the documents.
  if (const Table t = tableKindOf(headOf(path)); t != Table::None) return probeColumn(path, t, json_field, help);
  std::string head;
  try {
    DecodedStream in(path);
    head.resize(head_bytes);
    size_t got = 0;
    while (got < head_bytes) {
      const size_t n = in.read(head.data() + got, head_bytes - got);
      if (n == 0) break;
      got += n;
    }
    head.resize(got);
  } catch (const DataError& e) {
    const std::string what = e.what();
    const size_t semi = what.find("; ");
    help = semi == std::string::npos ? "" : what.substr(semi + 2);
    return what.substr(0, semi);
  }
  if (std::string why = notText(path, head, head.size() < head_bytes, help); !why.empty()) return why;
  const std::string field = documentField(path, json_field);
  if (field.empty()) return "";
  // JSON lines: the first record must be an object holding the field as a string.
  const size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  if (head[first] == '[') return "";  // a JSON array: read whole at prepare
  const size_t nl = head.find('\n', first);
  if (nl == std::string::npos && head.size() >= head_bytes) return "";  // a first line longer than the head
  const std::string line = head.substr(first, nl == std::string::npos ? std::string::npos : nl - first);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    help = json_field.empty() ? "a file named ." + std::string(innerName(path).substr(innerName(path).rfind('.') + 1)) +
                                    " holds one JSON object per line; for plain text, name it .txt"
                              : "`field = \"" + json_field + "\"` reads JSON lines: one object per line";
    return ticked(path) + " is not JSON lines: its first line is not a JSON object";
  }
  auto it = j.find(field);
  if (it == j.end()) {
    std::string keys;
    for (const auto& [k, v] : j.items())
      if (v.is_string()) keys += (keys.empty() ? "`" : ", `") + k + "`";
    help = keys.empty() ? "its first record has no string field" : "its first record's string fields: " + keys;
    return ticked(path) + ":1 has no field `" + field + "`";
  }
  if (!it->is_string()) {
    help = "`field` names the string that is the document";
    return ticked(path) + ":1: field `" + field + "` is not a string";
  }
  return "";
}

}  // namespace recipec::data::formats
