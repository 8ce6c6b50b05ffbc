// EvalJob.h — what `recipec eval` / `recipec analyze` hand to `recipec-runtime eval`, and the
// per-token NLL file it hands back. The contract between the CLI (no LibTorch) and the
// runtime for evaluation, as runtime/plan/Plan.h is for training.
//
// Job (JSON): the checkpoints (weights file + the plan::Model they fit), the datasets
// (plan::Dataset + its tokenizer + base_dir + which split: "val" = the held-out documents,
// "train" = the rest, or every document when val_fraction is 0 and no val files), the
// seq_len, batch (sequences per forward), device, threads, and the output path. The CLI has
// tokenized text datasets into the cache already; the runtime only opens them.
//
// NLL file (binary, little-endian):
//   "RECIPEC-NLL1\n", u64 n, n bytes of JSON header
//     {"checkpoints":[label...], "datasets":[{"name", "tokens":N, "seq_len":T, "blocks":B}]}
//   then per dataset, in header order: int32 ids[N + 1] (the evaluated stream: ids[0] is
//   context only, ids[k] is the target at stream position k), then per checkpoint
//   float32 nll[N] (nll[k-1] = -log p(ids[k] | the block's tokens before it)).
// Blocks are packed as for training (runtime/data/Blocks.h): block b predicts stream
// positions bT+1 .. bT+T from bT .. bT+T-1, so position k sees (k-1) mod T + 1 tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/plan/Plan.h"

namespace recipec::analyze {

struct JobCheckpoint {
  std::string label;          // as the user named it
  std::string weights;        // model.safetensors
  std::string verify_folder;  // a checkpoint folder whose MANIFEST.json to verify first, or ""
  plan::Model model;
};

struct JobDataset {
  std::string name;           // shown to the user
  plan::Dataset dataset;      // name here is the cache name
  std::optional<plan::Tokenizer> tokenizer;
  std::string base_dir;
  std::string split = "val";  // "val" | "train"
  int64_t max_blocks = 0;     // 0 = all
};

struct EvalJob {
  std::vector<JobCheckpoint> checkpoints;
  std::vector<JobDataset> datasets;
  int64_t seq_len = 0;
  int64_t batch = 16;
  std::string device = "cpu";
  int threads = -1;
  std::string cache_root;     // "" = data::defaultCacheRoot()
  std::string out;
};

inline void to_json(nlohmann::json& j, const JobCheckpoint& v) {
  j = {{"label", v.label}, {"weights", v.weights}, {"verify_folder", v.verify_folder}, {"model", v.model}};
}
inline void from_json(const nlohmann::json& j, JobCheckpoint& v) {
  j.at("label").get_to(v.label);
  j.at("weights").get_to(v.weights);
  j.at("verify_folder").get_to(v.verify_folder);
  j.at("model").get_to(v.model);
}
inline void to_json(nlohmann::json& j, const JobDataset& v) {
  j = {{"name", v.name}, {"dataset", v.dataset}, {"base_dir", v.base_dir}, {"split", v.split},
       {"max_blocks", v.max_blocks}};
  if (v.tokenizer) j["tokenizer"] = *v.tokenizer; else j["tokenizer"] = nullptr;
}
inline void from_json(const nlohmann::json& j, JobDataset& v) {
  j.at("name").get_to(v.name);
  j.at("dataset").get_to(v.dataset);
  j.at("base_dir").get_to(v.base_dir);
  j.at("split").get_to(v.split);
  j.at("max_blocks").get_to(v.max_blocks);
  if (!j.at("tokenizer").is_null()) v.tokenizer = j.at("tokenizer").get<plan::Tokenizer>();
}
inline void to_json(nlohmann::json& j, const EvalJob& v) {
  j = {{"checkpoints", v.checkpoints}, {"datasets", v.datasets}, {"seq_len", v.seq_len}, {"batch", v.batch},
       {"device", v.device}, {"threads", v.threads}, {"cache_root", v.cache_root}, {"out", v.out}};
}
inline void from_json(const nlohmann::json& j, EvalJob& v) {
  j.at("checkpoints").get_to(v.checkpoints);
  j.at("datasets").get_to(v.datasets);
  j.at("seq_len").get_to(v.seq_len);
  j.at("batch").get_to(v.batch);
  j.at("device").get_to(v.device);
  j.at("threads").get_to(v.threads);
  j.at("cache_root").get_to(v.cache_root);
  j.at("out").get_to(v.out);
}

// The NLL file in memory.
struct NllSet {
  std::string name;
  int64_t seq_len = 0, blocks = 0;
  std::vector<int32_t> ids;               // N + 1
  std::vector<std::vector<float>> nll;    // [checkpoint][N]
  int64_t tokens() const { return int64_t(ids.size()) - 1; }
};
struct NllData {
  std::vector<std::string> checkpoints;
  std::vector<NllSet> sets;
};

// Throw std::runtime_error naming the file on an I/O error or a malformed file.
void writeNllFile(const std::string& path, const NllData& data);
NllData readNllFile(const std::string& path);

}  // namespace recipec::analyze
