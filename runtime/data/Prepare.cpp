// Prepare.cpp — parallel tokenization with in-order assembly into shards.
//
// Workers take work items (file ranges) in index order and may run ahead of the writer by a
// bounded window, so memory stays at O(threads x chunk) however large the input is; the
// writer (the calling thread) consumes results strictly in index order, which is what makes
// the shards independent of thread timing.
#include "runtime/data/Prepare.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/Shard.h"
#include "runtime/data/TextInput.h"

namespace fs = std::filesystem;

namespace recipec::data {
namespace {

struct WorkResult {
  bool ready = false;
  std::vector<int32_t> tokens;     // documents as [eot, ids...] back to back
  std::vector<int64_t> doc_lens;   // tokens per document, eot included
  int64_t bytes = 0;
};

std::string shardName(const std::string& prefix, size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "_%06zu.bin", i);
  return prefix + buf;
}

void removeStale(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    auto ends = [&](const std::string& suf) { return n.size() >= suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0; };
    bool ours = n.rfind(prefix + "_", 0) == 0 && (ends(".bin") || ends(".bin.json"));
    if (ours || n == "manifest.json") fs::remove(e.path(), ec);
  }
}

}  // namespace

PrepareResult prepare(const PrepareOptions& o, const plan::Tokenizer& spec) {
  auto tok = loadTokenizer(spec, o.base_dir);
  return prepare(o, *tok);
}

PrepareResult prepare(const PrepareOptions& o, const Tokenizer& tok) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.out_dir.empty()) throw DataError("prepare needs an output directory");
  if (o.shard_tokens <= 0) throw DataError("shard size must be positive");
  const std::vector<std::string> files = expandGlobs(o.inputs, o.base_dir);
  const std::vector<TextWork> work = splitTextWork(files, o.json_field, std::max<int64_t>(1, o.chunk_bytes));
  const fs::path out_dir = resolvePath(o.out_dir, o.base_dir);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw DataError("cannot create `" + out_dir.string() + "`: " + ec.message());
  removeStale(out_dir, o.shard_prefix);

  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  const size_t n_threads = size_t(std::max(1, std::min(o.threads > 0 ? o.threads : hw, int(work.size()))));
  const size_t window = 2 * n_threads + 2;
  const int32_t eot = tok.eotId();
  const bool show = o.progress == Progress::kOn || (o.progress == Progress::kAuto && ::isatty(2));

  std::vector<WorkResult> results(work.size());
  std::mutex mu;
  std::condition_variable cv;
  size_t next_item = 0, written = 0;
  bool abort = false;
  std::exception_ptr error;

  auto worker = [&]() {
    std::vector<int32_t> ids;
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return abort || next_item >= work.size() || next_item < written + window; });
        if (abort || next_item >= work.size()) return;
        i = next_item++;
      }
      WorkResult r;
      try {
        readDocuments(work[i], [&](std::string_view doc) {
          ids.clear();
          tok.encodeInto(doc, ids);
          r.bytes += int64_t(doc.size());
          if (ids.empty()) return;
          r.tokens.push_back(eot);
          r.tokens.insert(r.tokens.end(), ids.begin(), ids.end());
          r.doc_lens.push_back(int64_t(ids.size()) + 1);
        });
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        abort = true;
        cv.notify_all();
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      r.ready = true;
      results[i] = std::move(r);
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < n_threads; ++t) pool.emplace_back(worker);

  PrepareResult res;
  nlohmann::json shard_list = nlohmann::json::array();
  std::vector<int32_t> buf;
  std::vector<int64_t> starts;
  const ShardMeta meta{tok.vocabSize(), eot, tok.fingerprint()};
  auto flush = [&]() {
    if (buf.empty()) return;
    const std::string path = (out_dir / shardName(o.shard_prefix, res.shards.size())).string();
    const std::string sha = writeShard(path, buf, starts, meta);
    shard_list.push_back({{"file", fs::path(path).filename().string()}, {"tokens", buf.size()},
                          {"docs", starts.size()}, {"sha256", sha}});
    res.shards.push_back(path);
    buf.clear();
    starts.clear();
  };

  try {
    for (size_t i = 0; i < work.size(); ++i) {
      WorkResult r;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return abort || results[i].ready; });
        if (abort) break;
        r = std::move(results[i]);
        results[i] = WorkResult();
        written = i + 1;
        cv.notify_all();
      }
      size_t off = 0;
      for (int64_t len : r.doc_lens) {
        if (!buf.empty() && int64_t(buf.size()) + len > o.shard_tokens) flush();
        starts.push_back(int64_t(buf.size()));
        buf.insert(buf.end(), r.tokens.begin() + int64_t(off), r.tokens.begin() + int64_t(off) + len);
        off += size_t(len);
        res.tokens += len;
        ++res.docs;
      }
      res.text_bytes += r.bytes;
      if (show) {
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "\rprepare: %zu/%zu parts  %.1f MB of text  %lld docs  %.2fM tokens  %.1f MB/s   ", i + 1,
                     work.size(), double(res.text_bytes) / 1e6, (long long)res.docs, double(res.tokens) / 1e6,
                     double(res.text_bytes) / 1e6 / std::max(s, 1e-9));
      }
    }
    if (!abort) flush();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu);
    if (!error) error = std::current_exception();
    abort = true;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    if (error) abort = true;
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
  if (show) std::fprintf(stderr, "\n");
  if (error) std::rethrow_exception(error);

  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json manifest = {
      {"format", "recipec-shards"}, {"version", 1},
      {"tokenizer", {{"kind", tok.kind()}, {"fingerprint", tok.fingerprint()},
                     {"vocab_size", tok.vocabSize()}, {"eot_id", eot}}},
      {"inputs", files}, {"json_field", o.json_field},
      {"tokens", res.tokens}, {"docs", res.docs}, {"text_bytes", res.text_bytes},
      {"shards", shard_list}};
  res.manifest = (out_dir / "manifest.json").string();
  std::ofstream mf(res.manifest);
  mf << manifest.dump(2) << "\n";
  if (!mf.flush()) throw DataError("cannot write `" + res.manifest + "`");
  return res;
}

}  // namespace recipec::data
