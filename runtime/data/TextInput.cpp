// TextInput.cpp — glob expansion over std::filesystem + fnmatch, and document readers.
#include "runtime/data/TextInput.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/formats/Sniff.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/data/formats/Columnar.h"
#include "runtime/data/formats/TextFiles.h"

namespace fs = std::filesystem;

namespace recipec::data {
namespace {

bool hasWildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

void addTree(const fs::path& p, std::vector<std::string>& out) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) { out.push_back(p.string()); return; }
  if (!fs::is_directory(p, ec)) return;
  for (const auto& e : fs::directory_iterator(p, ec)) {
    if (e.path().filename().string()[0] == '.') continue;
    addTree(e.path(), out);
  }
}

void matchFrom(const fs::path& dir, const std::vector<std::string>& comps, size_t idx,
               std::vector<std::string>& out) {
  std::error_code ec;
  if (idx == comps.size()) {
    addTree(dir, out);  // a file, or every file under a directory
    return;
  }
  const std::string& c = comps[idx];
  if (c == "**") {
    matchFrom(dir, comps, idx + 1, out);
    if (!fs::is_directory(dir, ec)) return;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::error_code ec2;
      if (e.path().filename().string()[0] != '.' && e.is_directory(ec2)) matchFrom(e.path(), comps, idx, out);
    }
    return;
  }
  if (!hasWildcard(c)) {
    fs::path next = dir / c;
    if (fs::exists(next, ec)) matchFrom(next, comps, idx + 1, out);
    return;
  }
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (fnmatch(c.c_str(), name.c_str(), FNM_PERIOD) == 0) matchFrom(e.path(), comps, idx + 1, out);
  }
}

using formats::endsWith;

}  // namespace

std::vector<std::string> expandGlobs(const std::vector<std::string>& patterns, const std::string& base_dir) {
  std::vector<std::string> result;
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    const std::string full = resolvePath(pattern, base_dir);
    std::vector<std::string> comps;
    size_t start = 0;
    while (start <= full.size()) {
      size_t slash = full.find('/', start);
      if (slash == std::string::npos) slash = full.size();
      std::string comp = full.substr(start, slash - start);
      if (!comp.empty() && comp != ".") comps.push_back(comp);
      start = slash + 1;
    }
    fs::path root = !full.empty() && full[0] == '/' ? fs::path("/") : fs::path(".");
    std::vector<std::string> found;
    matchFrom(root, comps, 0, found);
    for (auto& f : found)
      if (f.rfind("./", 0) == 0) f = f.substr(2);
    std::sort(found.begin(), found.end());
    if (found.empty())
      throw DataError("no files match `" + pattern + "`" + (base_dir.empty() ? "" : " (relative to `" + base_dir + "`)"));
    for (auto& f : found)
      if (seen.insert(f).second) result.push_back(f);
  }
  return result;
}

std::string readFileRange(const std::string& path, int64_t begin, int64_t end) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw DataError("cannot read `" + path + "`: " + std::strerror(errno));
  if (end < 0) {
    std::fseek(f, 0, SEEK_END);
    end = std::ftell(f);
  }
  std::string data(size_t(std::max<int64_t>(0, end - begin)), '\0');
  std::fseek(f, long(begin), SEEK_SET);
  size_t got = data.empty() ? 0 : std::fread(data.data(), 1, data.size(), f);
  std::fclose(f);
  if (got != data.size()) throw DataError("short read from `" + path + "`");
  return data;
}

std::vector<TextWork> splitTextWork(const std::vector<std::string>& files, const std::string& json_field,
                                    int64_t chunk_bytes) {
  std::vector<TextWork> work;
  std::vector<char> buf(1 << 20);
  for (const std::string& path : files) {
    const std::string field = formats::documentField(path, json_field);
    std::error_code ec;
    const int64_t size = int64_t(fs::file_size(path, ec));
    if (ec) throw DataError("cannot read `" + path + "`: " + ec.message());
    // Never tokenize what is not text: the file's bytes against its name, before any work.
    std::string help;
    if (std::string why = formats::probeTextFile(path, json_field, help); !why.empty())
      throw DataError(why + (help.empty() ? "" : "; " + help));
    // A table is read row group by row group, from its column (default `text`).
    if (formats::tableKindOf(formats::fileHead(path)) != formats::Table::None) {
      work.push_back({path, json_field.empty() ? "text" : json_field, 0, size, 1});
      continue;
    }
    // A compressed stream is read from its start: one unit of work per file.
    if (field.empty() || size <= chunk_bytes || formats::codecOfName(path) != formats::Codec::None) {
      work.push_back({path, field, 0, size, 1});
      continue;
    }
    // Stream once, counting lines, and cut after the first newline past each chunk target.
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw DataError("cannot read `" + path + "`");
    int64_t pos = 0, begin = 0, line = 1, begin_line = 1;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
      for (size_t i = 0; i < n; ++i) {
        if (buf[i] != '\n') continue;
        ++line;
        if (pos + int64_t(i) + 1 - begin >= chunk_bytes) {
          work.push_back({path, field, begin, pos + int64_t(i) + 1, begin_line});
          begin = pos + int64_t(i) + 1;
          begin_line = line;
        }
      }
      pos += int64_t(n);
    }
    std::fclose(f);
    if (begin < size) work.push_back({path, field, begin, size, begin_line});
  }
  return work;
}

namespace {

// Each JSON line of `text` (whose first line is `line_no`): its field's string to `on_doc`.
// Returns the number of lines read.
int64_t eachJsonLine(std::string_view text, const std::string& path, int64_t line_no, const std::string& field,
                     const std::function<void(std::string_view)>& on_doc) {
  int64_t lines = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      const std::string where = "`" + path + ":" + std::to_string(line_no + lines) + "`";
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error& e) {
        throw DataError(where + " is not a JSON line: " + e.what());
      }
      auto it = j.is_object() ? j.find(field) : j.end();
      if (!j.is_object() || it == j.end()) throw DataError(where + " has no field `" + field + "`");
      if (!it->is_string()) throw DataError(where + ": field `" + field + "` is not a string");
      on_doc(it->get_ref<const std::string&>());
    }
    ++lines;
    start = nl + 1;
  }
  return lines;
}

// A JSON file holding one array of records: each record's field is a document.
void eachArrayRecord(const std::string& text, const std::string& path, const std::string& field,
                     const std::function<void(std::string_view)>& on_doc) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError("`" + path + "` is not a JSON array: " + e.what());
  }
  if (!j.is_array()) throw DataError("`" + path + "` is not a JSON array of records");
  for (size_t i = 0; i < j.size(); ++i) {
    auto it = j[i].is_object() ? j[i].find(field) : j[i].end();
    if (!j[i].is_object() || it == j[i].end() || !it->is_string())
      throw DataError("`" + path + "` record " + std::to_string(i) + " has no string field `" + field + "`");
    on_doc(it->get_ref<const std::string&>());
  }
}

bool startsArray(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '[';
}

}  // namespace

void readDocuments(const TextWork& work, const std::function<void(std::string_view)>& on_doc) {
  if (const auto table = formats::tableKindOf(formats::fileHead(work.path)); table != formats::Table::None) {
    formats::readColumn(work.path, table, work.json_field, on_doc);
    return;
  }
  if (formats::codecOfName(work.path) == formats::Codec::None) {
    const std::string data = readFileRange(work.path, work.begin, work.end);
    if (work.json_field.empty()) on_doc(data);
    else if (work.begin == 0 && startsArray(data)) eachArrayRecord(data, work.path, work.json_field, on_doc);
    else eachJsonLine(data, work.path, work.first_line, work.json_field, on_doc);
    return;
  }
  // Compressed: streamed, whole lines at a time (the decoded file is never held whole unless
  // it is one document or one JSON array).
  if (work.json_field.empty()) {
    on_doc(formats::readText(work.path));
    return;
  }
  formats::DecodedStream in(work.path);
  std::string pending;
  std::vector<char> buf(1 << 20);
  int64_t line_no = 1;
  bool first = true, array = false;
  for (size_t n; (n = in.read(buf.data(), buf.size())) > 0;) {
    pending.append(buf.data(), n);
    if (first && pending.find_first_not_of(" \t\r\n") != std::string::npos) {
      array = startsArray(pending);
      first = false;
    }
    if (array) continue;
    const size_t last = pending.rfind('\n');
    if (last == std::string::npos) continue;
    line_no += eachJsonLine(std::string_view(pending.data(), last + 1), work.path, line_no, work.json_field, on_doc);
    pending.erase(0, last + 1);
  }
  if (array) eachArrayRecord(pending, work.path, work.json_field, on_doc);
  else eachJsonLine(pending, work.path, line_no, work.json_field, on_doc);
}

}  // namespace recipec::data
