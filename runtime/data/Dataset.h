// Dataset.h — from a plan dataset to block stores: the runtime's entry point into the data.
//
// Contract:
//   datasetShardPaths: kind "shards" -> its paths (globs; a directory means its *.bin files),
//   `.bin` files only, in glob order. Kind "text" -> the documents tokenized once into
//   <cache_root>/tokens/<dataset>-<key>/ and reused while the key is unchanged; the key is
//   a sha256 over the tokenizer fingerprint, the json field and the CONTENT of every input file
//   (not names or times), so editing a file re-tokenizes and renaming one does not. The cache
//   is built in a temporary folder and renamed into place, so concurrent runs never see a
//   half-written cache.
//   openDataset: shards -> TokenCorpus -> train and val BlockStores split by document with
//   the dataset's val_fraction (Blocks.h). Token ids are checked against the tokenizer's
//   vocabulary; the end-of-text id comes from the plan's tokenizer entry (or the tokenizer
//   files, or a recipec shard sidecar, in that order).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/data/Blocks.h"
#include "runtime/data/Prepare.h"
#include "runtime/plan/Plan.h"

namespace recipec::data {

// $RECIPEC_CACHE_DIR, else $XDG_CACHE_HOME/recipec, else $HOME/.cache/recipec, else .recipec-cache.
std::string defaultCacheRoot();

// Fingerprint of a tokenizer's files, equal to loadTokenizer(spec)->fingerprint() but
// computed without loading it (the GPU machine may lack libsentencepiece yet have a cache).
std::string tokenizerFingerprint(const plan::Tokenizer& spec, const std::string& base_dir);

// The dataset that holds the val files of `split val "GLOB"` (cached as `<name>-val`).
plan::Dataset valFilesDataset(const plan::Dataset& ds);

std::vector<std::string> datasetShardPaths(const plan::Dataset& dataset, const plan::Tokenizer* tokenizer,
                                           const std::string& base_dir, const std::string& cache_root,
                                           Progress progress = Progress::kAuto);

struct OpenedDataset {
  std::string name;
  std::vector<std::string> shards;
  std::shared_ptr<const TokenCorpus> corpus;
  std::shared_ptr<const BlockStore> train;  // documents not held out
  std::shared_ptr<const BlockStore> val;    // held-out documents (0 blocks when val_fraction is 0)
};

// Finds `dataset_name` and its tokenizer in the plan; base_dir defaults to plan.base_dir.
OpenedDataset openDataset(const plan::Plan& plan, const std::string& dataset_name, int64_t seq_len,
                          const std::string& cache_root = "", Progress progress = Progress::kAuto);
OpenedDataset openDataset(const plan::Dataset& dataset, const plan::Tokenizer* tokenizer, const std::string& base_dir,
                          int64_t seq_len, const std::string& cache_root = "", Progress progress = Progress::kAuto);

}  // namespace recipec::data
