// TextInput.h — finding input files (globs with `**`) and reading documents from them.
//
// Contract:
//   expandGlobs: each pattern is resolved against base_dir; `*`, `?`, `[...]` match within
//   one path component (fnmatch), `**` matches zero or more directories. Results are sorted
//   per pattern and de-duplicated across patterns, in pattern order, so the file order (and so
//   shard contents and block ids) never depends on directory listing order. A pattern that
//   matches nothing throws DataError naming it: a typo must not silently train on less data.
//   Hidden files (leading `.`) are matched only by a pattern component that starts with `.`.
//
//   Files and document forms are read through runtime/data/formats/TextFiles.h (the one
//   reader): .gz and .zst streamed, binary and non-UTF-8 files refused before any work
//   (splitTextWork probes each file). With a json_field, or for a *.jsonl / *.ndjson / *.json
//   name (field "text"), every non-empty line is a JSON object and the field's string is one
//   document (a file starting with `[` is one JSON array of such objects); any other file is
//   one document as a whole. A bad line throws DataError with `file:line`.
//   An uncompressed file can be cut into byte ranges at line boundaries (splitTextWork) so
//   one big JSON-lines file is tokenized by several threads; reading the ranges in order
//   gives every document exactly once, in file order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recipec::data {

std::vector<std::string> expandGlobs(const std::vector<std::string>& patterns, const std::string& base_dir);

// One unit of tokenizing work: a byte range of a file.
struct TextWork {
  std::string path;
  std::string json_field;  // "" = the whole range is one document
  int64_t begin = 0, end = 0;
  int64_t first_line = 1;  // line number of `begin`, for messages (0 = unknown: counted later)
};

// Cuts files into ranges of about `chunk_bytes` at line boundaries (JSON lines only).
std::vector<TextWork> splitTextWork(const std::vector<std::string>& files, const std::string& json_field,
                                    int64_t chunk_bytes);

// Reads one range and calls `on_doc` for each document in order.
void readDocuments(const TextWork& work, const std::function<void(std::string_view)>& on_doc);

// Reads a file's bytes [begin, end) (end < 0 = to the end); throws DataError naming it.
std::string readFileRange(const std::string& path, int64_t begin = 0, int64_t end = -1);

}  // namespace recipec::data
