// TextFiles.h — the text a data file holds, whatever it is compressed with, and the refusal
// of every file that holds no text (one reader for `text(...)` inputs: prepare, the
// SentencePiece trainer and `check` all read through it).
//
// Contract:
//   - A name ending in .gz or .zst is read through zlib or libzstd (streamed: a file is never
//     decompressed to disk or whole into memory by the reader itself). Concatenated gzip
//     members and zstd frames are read in order.
//   - The bytes decide, not only the name: a file whose bytes are compressed but whose name
//     does not say so, a name that promises compression the bytes lack, any other binary
//     format (images, archives, Parquet, NumPy, executables: formats/Sniff.h), and bytes that
//     are not UTF-8 text are refused with a DataError naming the file, what it looks like and
//     what to write instead.
//   - Parquet and Arrow IPC files are tables: their column `field` (default "text") is the
//     documents (formats/Columnar.h); `probeTextFile` checks the column is there.
//   - Document forms (documentForm): with a JSON field, or for *.jsonl / *.ndjson / *.json
//     (the name without its compression suffix; field "text"), JSON lines, one object per
//     line; a JSON file whose text starts with `[` is one array of such objects. Any other
//     name is a plain document file: the whole text is one document.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/data/formats/Sniff.h"

namespace recipec::data::formats {

// Whether this build reads the codec (zlib and libzstd are optional on the GPU machine).
bool codecBuiltIn(Codec c);

// Streams the decoded bytes of one file.
class DecodedStream {
 public:
  // Opens `path` and checks that its bytes are what its name says; throws DataError.
  explicit DecodedStream(const std::string& path);
  ~DecodedStream();
  DecodedStream(const DecodedStream&) = delete;
  DecodedStream& operator=(const DecodedStream&) = delete;
  // Up to n decoded bytes; 0 at the end. Throws DataError on a damaged stream.
  size_t read(char* out, size_t n);
  Codec codec() const { return codec_; }
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::string path_;
  Codec codec_ = Codec::None;
  std::unique_ptr<Impl> impl_;
};

// The first bytes of a file (16), raw.
std::string fileHead(const std::string& path);

// The file's decoded text [0, limit) (limit < 0: all of it), checked to be text.
std::string readText(const std::string& path, int64_t limit = -1);

// The JSON field to read from `path` given the user's json_field ("" = a plain document file).
std::string documentField(const std::string& path, const std::string& json_field);

// What `check` says of a dataset's file before any run: reads the first `head_bytes` of its
// decoded text and returns "" when it is text in the form its name and `json_field` say
// (with the field present in the first record), else the problem, in words that name the
// file. `help` gets what to write instead.
std::string probeTextFile(const std::string& path, const std::string& json_field, std::string& help,
                          size_t head_bytes = 65536);

// What `check` says of a `shards(...)` file: "" when its first bytes are a token file recipec
// reads (llm.c / recipec .bin, NumPy .npy, a Megatron .bin beside its .idx), else the problem.
// With `vocab` > 0 the first 64 KiB of ids are checked against it too.
std::string probeTokenFile(const std::string& path, std::string& help, int64_t vocab = 0);

}  // namespace recipec::data::formats
