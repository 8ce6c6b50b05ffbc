// TestUtil.h — shared helpers for the data tests: repository paths, temp dirs, subprocesses.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/data/DataError.h"

namespace recipec::data::testutil {

inline std::string sourceDir() { return RECIPEC_SOURCE_DIR; }
inline std::string dataDir() { return sourceDir() + "/data"; }
inline bool haveGpt2() { return std::filesystem::exists(dataDir() + "/gpt2/encoder.json"); }
inline bool haveLlama() { return std::filesystem::exists(dataDir() + "/llama/tokenizer.model"); }
inline bool haveCorpus() { return std::filesystem::exists(dataDir() + "/corpus/MANIFEST.json"); }

// A fresh directory under the system temp dir, removed when the object dies.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "recipec-data-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// The message of the DataError `f` throws, "" when it throws none.
inline std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

// A reference's ids as the parity scripts write them: per document, an int32 count, then ids.
inline std::vector<std::vector<int32_t>> readIdLists(const std::string& bin) {
  std::vector<std::vector<int32_t>> out;
  for (size_t off = 0; off + 4 <= bin.size();) {
    int32_t n;
    std::memcpy(&n, bin.data() + off, 4);
    off += 4;
    std::vector<int32_t> ids(static_cast<size_t>(n));
    std::memcpy(ids.data(), bin.data() + off, size_t(n) * 4);
    off += size_t(n) * 4;
    out.push_back(std::move(ids));
  }
  return out;
}

inline void writeFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool haveCommand(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

inline std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace recipec::data::testutil
