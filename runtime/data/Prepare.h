// Prepare.h — raw text -> token shards (`recipec prepare`), the library side.
//
// Contract: prepare() reads every document of `inputs` (globs, TextInput.h formats) in file
// order, tokenizes with `threads` workers, and writes `<out_dir>/<prefix>_NNNNNN.bin` shards
// (Shard.h format, each with its checksum sidecar) plus `<out_dir>/manifest.json`. Each
// document is stored as [eot, ids...] (llm.c's layout), so the shard stream is the documents
// joined by end-of-text; empty documents are skipped. Shards hold whole documents: one closes
// before the document that would take it past shard_tokens (a document longer than that gets
// a shard of its own). Output is byte-identical for any thread count. Stale shards with the
// same prefix in out_dir are removed first. Progress goes to stderr only when it is a tty
// (Progress::kAuto). Errors throw DataError naming the file (and line for JSON lines).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/data/Tokenizer.h"
#include "runtime/plan/Plan.h"

namespace recipec::data {

enum class Progress { kAuto, kOn, kOff };

struct PrepareOptions {
  std::vector<std::string> inputs;       // files, directories or globs (`**` allowed)
  std::string base_dir;                  // relative inputs and out_dir resolve against it
  std::string json_field;                // "" = auto: `.jsonl` -> "text", other files = 1 document
  std::string out_dir;
  std::string shard_prefix = "shard";
  int64_t shard_tokens = 100'000'000;    // llm.c's shard size
  int threads = 0;                       // 0 = hardware concurrency
  int64_t chunk_bytes = 8 << 20;         // JSON-lines files are split into ranges of this size
  Progress progress = Progress::kAuto;
};

struct PrepareResult {
  std::vector<std::string> shards;       // paths, in order
  std::string manifest;                  // path of manifest.json
  int64_t tokens = 0;                    // including one end-of-text per document
  int64_t docs = 0;
  int64_t text_bytes = 0;
  double seconds = 0;
};

PrepareResult prepare(const PrepareOptions& options, const Tokenizer& tokenizer);
// Loads the tokenizer from a plan entry (paths relative to options.base_dir) first.
PrepareResult prepare(const PrepareOptions& options, const plan::Tokenizer& tokenizer);

}  // namespace recipec::data
