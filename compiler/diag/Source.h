// Source.h — source files and positions.
//
// A SourceManager owns the text of every file the compiler reads (the root recipe and every
// `use`/`extends` import). Positions are 1-based line and column, columns counted in
// characters of the line as bytes (recipes are ASCII outside strings and comments).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace recipec::diag {

using FileId = uint32_t;
inline constexpr FileId kNoFile = ~0u;

struct SourceRange {
  FileId file = kNoFile;
  uint32_t line = 0, col = 0;        // start, 1-based
  uint32_t endLine = 0, endCol = 0;  // end, inclusive column of the last character
  bool valid() const { return file != kNoFile && line > 0; }
};

struct SourceFile {
  std::string path;     // as the user or the importing file named it (normalised)
  std::string text;
  std::vector<uint32_t> lineStarts;  // byte offset of each line's first character
  std::string_view lineText(uint32_t line) const;  // without the newline
};

class SourceManager {
 public:
  // Registers text under a path; returns its id. The same path twice gives two ids (the
  // loader deduplicates by canonical path before calling this).
  FileId add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return *files_.at(id); }
  size_t size() const { return files_.size(); }
  std::string location(const SourceRange& r) const;  // "path:line:col"

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

// The largest recipe file the front end reads (1 MiB; shipped recipes are under 10 KiB).
constexpr size_t kMaxRecipeBytes = size_t(1) << 20;

// Reads a file as bytes, at most `maxBytes` of it (the front end passes its limit + 1, so a
// huge file is refused without reading it all); false when it cannot be opened.
bool readFile(const std::string& path, std::string& out, size_t maxBytes = size_t(-1));

// Levenshtein distance, for "did you mean" suggestions.
size_t editDistance(std::string_view a, std::string_view b);
// The candidate nearest to `word` if it is close enough to be a plausible typo, else "".
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace recipec::diag
