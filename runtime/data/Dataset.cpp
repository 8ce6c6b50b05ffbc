// Dataset.cpp — shard resolution, the content-keyed token cache, and openDataset.
#include "runtime/data/Dataset.h"

#include "runtime/data/HfTokenizer.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/data/DataError.h"
#include "runtime/data/formats/Sniff.h"
#include "runtime/data/formats/TextFiles.h"
#include "runtime/data/Sha256.h"
#include "runtime/data/TextInput.h"

namespace fs = std::filesystem;

namespace recipec::data {
namespace {

using formats::endsWith;

std::vector<std::string> shardsOfManifest(const fs::path& dir) {
  std::ifstream in(dir / "manifest.json");
  nlohmann::json m = nlohmann::json::parse(in, nullptr, false);
  if (m.is_discarded() || !m.contains("shards")) throw DataError("cache `" + dir.string() + "` has a bad manifest.json");
  std::vector<std::string> out;
  for (const auto& s : m["shards"]) out.push_back((dir / s["file"].get<std::string>()).string());
  return out;
}

}  // namespace

std::string defaultCacheRoot() {
  if (const char* d = std::getenv("RECIPEC_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/recipec";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/recipec";
  return ".recipec-cache";
}

std::string tokenizerFingerprint(const plan::Tokenizer& spec, const std::string& base_dir) {
  const std::string path = resolvePath(spec.path, base_dir);
  if (spec.kind == "gpt2_bpe")
    return "gpt2_bpe-npm-" + sha256File(path + "/encoder.json").substr(0, 16) + "-" +
           sha256File(path + "/vocab.bpe").substr(0, 16);
  if (spec.kind == "sentencepiece") return "sentencepiece-" + sha256File(path).substr(0, 32);
  if (spec.kind == "bytes") return "bytes-v1";
  if (spec.kind == "hf") {  // HfTokenizer::fingerprint(), without parsing the file
    const std::string json = HfTokenizer::jsonPath(path);
    const std::string config = fs::path(json).parent_path().string() + "/tokenizer_config.json";
    return "hf-" + sha256File(json).substr(0, 16) + "-" +
           (fs::exists(config) ? sha256File(config) : sha256Hex("", 0)).substr(0, 8);
  }
  throw DataError("tokenizer `" + spec.name + "` has unknown kind `" + spec.kind + "`");
}

std::vector<std::string> datasetShardPaths(const plan::Dataset& ds, const plan::Tokenizer* tok,
                                           const std::string& base_dir, const std::string& cache_root,
                                           Progress progress) {
  if (ds.paths.empty()) throw DataError("dataset `" + ds.name + "` has no paths");
  if (ds.kind == "shards") {
    std::vector<std::string> out;
    // llm.c shards and Megatron-LM datasets (.bin, beside their .idx), NumPy token arrays.
    for (const auto& f : expandGlobs(ds.paths, base_dir))
      if (endsWith(f, ".bin") || endsWith(f, ".npy")) out.push_back(f);
    if (out.empty())
      throw DataError("dataset `" + ds.name + "`: its paths match no token files (llm.c or Megatron `.bin`, NumPy `.npy`)");
    return out;
  }
  if (ds.kind != "text")
    throw DataError("dataset `" + ds.name + "` has unknown kind `" + ds.kind + "` (expected text or shards)");
  if (!tok) throw DataError("text dataset `" + ds.name + "` names no tokenizer");

  const std::vector<std::string> files = expandGlobs(ds.paths, base_dir);
  Sha256 key;
  key.update("recipec-token-cache-v1\n" + tokenizerFingerprint(*tok, base_dir) + "\n" + ds.json_field + "\n");
  for (const auto& f : files) key.update(sha256File(f) + " " + formats::documentField(f, ds.json_field) + "\n");
  const fs::path root = cache_root.empty() ? fs::path(defaultCacheRoot()) : fs::path(cache_root);
  const fs::path dir = root / "tokens" / (ds.name + "-" + key.hexDigest().substr(0, 20));
  if (fs::exists(dir / "manifest.json")) return shardsOfManifest(dir);

  std::random_device rd;
  const fs::path tmp = dir.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  PrepareOptions po;
  for (const auto& f : files) po.inputs.push_back(fs::absolute(f).string());
  po.json_field = ds.json_field;
  po.out_dir = tmp.string();
  po.progress = progress;
  try {
    prepare(po, *loadTokenizer(*tok, base_dir));
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) {  // another run finished the same cache first: keep theirs
    fs::remove_all(tmp, ec);
    if (!fs::exists(dir / "manifest.json")) throw DataError("cannot create token cache `" + dir.string() + "`");
  }
  return shardsOfManifest(dir);
}

OpenedDataset openDataset(const plan::Plan& plan, const std::string& name, int64_t seq_len,
                          const std::string& cache_root, Progress progress) {
  const plan::Dataset* ds = nullptr;
  for (const auto& d : plan.datasets)
    if (d.name == name) ds = &d;
  if (!ds) throw DataError("the plan has no dataset `" + name + "`");
  const plan::Tokenizer* tok = nullptr;
  for (const auto& t : plan.tokenizers)
    if (t.name == ds->tokenizer) tok = &t;
  if (!ds->tokenizer.empty() && !tok)
    throw DataError("dataset `" + name + "` names tokenizer `" + ds->tokenizer + "`, which the plan does not declare");
  return openDataset(*ds, tok, plan.base_dir, seq_len, cache_root, progress);
}

plan::Dataset valFilesDataset(const plan::Dataset& ds) {
  plan::Dataset v = ds;
  v.name = ds.name + "-val";
  v.paths = ds.val_paths;
  v.val_paths.clear();
  v.val_fraction = 0;
  return v;
}

// `split val "data/x/val/*.jsonl"`: the val split is every document of its own files,
// tokenized and cached like the dataset's (under the name `<dataset>-val`).
static std::shared_ptr<const BlockStore> openValFiles(const plan::Dataset& ds, const plan::Tokenizer* tok,
                                                      const std::string& base_dir, int64_t seq_len,
                                                      const std::string& cache_root, Progress progress,
                                                      int32_t eot, int64_t vocab) {
  const plan::Dataset v = valFilesDataset(ds);
  const auto shards = datasetShardPaths(v, tok, base_dir, cache_root, progress);
  if (shards.empty()) throw DataError("dataset `" + ds.name + "`: its val files hold no text (every document is empty)");
  auto corpus = std::make_shared<const TokenCorpus>(shards, eot);
  if (vocab > 0 && corpus->maxToken() >= vocab)
    throw DataError("dataset `" + ds.name + "`: its val files hold token id " + std::to_string(corpus->maxToken()) +
                    " but its tokenizer has only " + std::to_string(vocab) + " ids");
  auto val = std::make_shared<const BlockStore>(corpus, Split::kAll, 0.0, seq_len);
  if (val->numBlocks() == 0)
    throw DataError("dataset `" + ds.name + "`: its val files hold " + std::to_string(val->numTokens()) +
                    " tokens, not one block of seq_len " + std::to_string(seq_len) + " + 1");
  return val;
}

OpenedDataset openDataset(const plan::Dataset& ds, const plan::Tokenizer* tok, const std::string& base_dir,
                          int64_t seq_len, const std::string& cache_root, Progress progress) {
  OpenedDataset out;
  out.name = ds.name;
  out.shards = datasetShardPaths(ds, tok, base_dir, cache_root, progress);
  if (out.shards.empty()) throw DataError("dataset `" + ds.name + "`: its files hold no text (every document is empty)");
  int32_t eot = -1;
  int64_t vocab = 0;
  if (tok) {
    eot = int32_t(tok->eot_id);
    vocab = tok->vocab_size;
    if (eot < 0 || vocab <= 0) {  // not resolved in the plan: ask the tokenizer files
      auto t = loadTokenizer(*tok, base_dir);
      eot = t->eotId();
      vocab = t->vocabSize();
    }
  } else {
    ShardReader first(out.shards.front(), -1, Verify::kSizeOnly);
    eot = first.sidecarEot();
    vocab = first.sidecarVocab();
    if (eot < 0)
      throw DataError("dataset `" + ds.name + "`: shard `" + out.shards.front() +
                      "` has no sidecar, so recipec cannot tell where documents end; name the tokenizer that made "
                      "the shards: `shards(\"...\", tokenizer = NAME)` (its end-of-text token splits documents)");
  }
  auto corpus = std::make_shared<const TokenCorpus>(out.shards, eot);
  if (vocab > 0 && corpus->maxToken() >= vocab)
    throw DataError("dataset `" + ds.name + "`: " + corpus->whereMaxToken() + ", but its tokenizer has only " +
                    std::to_string(vocab) + " ids");
  out.corpus = corpus;
  if (!ds.val_paths.empty()) {
    out.train = std::make_shared<const BlockStore>(corpus, Split::kAll, 0.0, seq_len);
    out.val = openValFiles(ds, tok, base_dir, seq_len, cache_root, progress, eot, vocab);
  } else {
    out.train = std::make_shared<const BlockStore>(corpus, Split::kTrain, ds.val_fraction, seq_len);
    out.val = std::make_shared<const BlockStore>(corpus, Split::kVal, ds.val_fraction, seq_len);
  }
  if (out.train->numBlocks() == 0)
    throw DataError("dataset `" + ds.name + "` has " + std::to_string(out.train->numTokens()) +
                    " training tokens: not one block of seq_len " + std::to_string(seq_len) + " + 1");
  if (ds.val_fraction > 0 && out.val->numBlocks() == 0)
    throw DataError("dataset `" + ds.name + "`: its " + std::to_string(corpus->numDocs()) + " documents leave " +
                    std::to_string(out.val->numTokens()) + " validation tokens at val " +
                    std::to_string(ds.val_fraction) + ", not one block of seq_len " + std::to_string(seq_len) + " + 1");
  return out;
}

}  // namespace recipec::data
