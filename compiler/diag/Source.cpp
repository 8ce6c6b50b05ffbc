// Source.cpp — line tables and "did you mean" distance.
#include "compiler/diag/Source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace recipec::diag {

std::string_view SourceFile::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts.size()) return {};
  uint32_t begin = lineStarts[line - 1];
  uint32_t end = line < lineStarts.size() ? lineStarts[line] : static_cast<uint32_t>(text.size());
  std::string_view s(text.data() + begin, end - begin);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

FileId SourceManager::add(std::string path, std::string text) {
  auto f = std::make_unique<SourceFile>();
  f->path = std::move(path);
  f->text = std::move(text);
  f->lineStarts.push_back(0);
  for (uint32_t i = 0; i < f->text.size(); ++i)
    if (f->text[i] == '\n') f->lineStarts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

std::string SourceManager::location(const SourceRange& r) const {
  if (r.file == kNoFile || r.file >= files_.size()) return "<unknown>";
  return files_[r.file]->path + ":" + std::to_string(r.line) + ":" + std::to_string(r.col);
}

bool readFile(const std::string& path, std::string& out, size_t maxBytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.clear();
  char buf[1 << 16];
  while (out.size() < maxBytes && in) {
    in.read(buf, std::streamsize(std::min(sizeof buf, maxBytes - out.size())));
    out.append(buf, size_t(in.gcount()));
  }
  return !in.bad();
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // Adjacent transposition ("mxi" -> "mix") counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev[j - 1]);  // approximation of Damerau without 3 rows
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t bestDist = SIZE_MAX;
  for (const auto& c : candidates) {
    if (c == word) continue;
    size_t d = editDistance(word, c);
    if (d < bestDist) { bestDist = d; best = c; }
  }
  // A typo is at most a third of the word (at least one edit, at most three).
  size_t limit = std::max<size_t>(1, std::min<size_t>(3, (word.size() + 2) / 3));
  return bestDist <= limit ? best : std::string();
}

}  // namespace recipec::diag
