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
#include "runtime/data/Tokenizer.h"

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

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

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

std::string effectiveJsonField(const std::string& path, const std::string& json_field) {
  if (!json_field.empty()) return json_field;
  if (endsWith(path, ".jsonl") || endsWith(path, ".ndjson")) return "text";
  return "";
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
    const std::string field = effectiveJsonField(path, json_field);
    std::error_code ec;
    const int64_t size = int64_t(fs::file_size(path, ec));
    if (ec) throw DataError("cannot read `" + path + "`: " + ec.message());
    if (field.empty() || size <= chunk_bytes) {
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

void readDocuments(const TextWork& work, const std::function<void(std::string_view)>& on_doc) {
  const std::string data = readFileRange(work.path, work.begin, work.end);
  if (work.json_field.empty()) {
    on_doc(data);
    return;
  }
  int64_t line_no = work.first_line;
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == std::string::npos) nl = data.size();
    std::string_view line(data.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      const std::string where = "`" + work.path + ":" + std::to_string(line_no) + "`";
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error& e) {
        throw DataError(where + " is not a JSON line: " + e.what());
      }
      auto it = j.is_object() ? j.find(work.json_field) : j.end();
      if (!j.is_object() || it == j.end())
        throw DataError(where + " has no field `" + work.json_field + "`");
      if (!it->is_string()) throw DataError(where + ": field `" + work.json_field + "` is not a string");
      on_doc(it->get_ref<const std::string&>());
    }
    ++line_no;
    start = nl + 1;
  }
}

}  // namespace recipec::data
