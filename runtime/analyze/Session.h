// Session.h — the part of `recipec eval` and `recipec analyze` between the command line and
// the tables: resolve the checkpoints and datasets, tokenize text into the cache (the same
// data::openDataset path `recipec run` uses), check that everything fits, hand a job to
// `recipec-runtime eval` (through `runRuntime`, so this library never starts processes or
// links LibTorch), read the NLLs back and classify every token. No LibTorch.
//
// Errors a user can fix throw AnalyzeError (or data::DataError) naming the checkpoint or
// dataset; a runtime that exits non-zero throws RuntimeFailed with its exit code (it has
// printed its own message).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/analyze/Resolve.h"
#include "runtime/analyze/TokenClass.h"
#include "runtime/data/Tokenizer.h"

namespace recipec::analyze {

struct RuntimeFailed {
  int code;
};

struct SessionOptions {
  std::vector<std::string> plans;          // per checkpoint: --plan override, "" = find it
  std::vector<std::string> datasets_from;  // more plans to find dataset names in (run dir, plan.json)
  std::vector<plan::Plan> more_plans;      // ... and plans the caller compiled from recipes
  int64_t seq_len = 0;                     // 0 = the first checkpoint's train.seq_len
  int64_t limit = 0;                       // blocks per dataset, 0 = all
  int64_t batch = 0;                       // 0 = the first checkpoint's train.micro_batch
  std::string device = "cpu";
  int threads = -1;
  bool quiet = false;
};

struct Session {
  std::vector<CheckpointRef> checkpoints;
  std::vector<DatasetRef> datasets;
  std::vector<plan::Plan> extra_plans;
  int64_t seq_len = 0;
  NllData nll;                                   // sets in dataset order
  std::vector<std::vector<TokenClass>> classes;  // per set, one per id
  std::unique_ptr<data::Tokenizer> tokenizer;    // the first checkpoint's (decoding)
  int32_t eot_id = -1;

  std::string decode(int32_t id) const;
  std::vector<const plan::Plan*> planSources() const;
};

using RuntimeRunner = std::function<int(const std::vector<std::string>& args)>;

Session runSession(const std::vector<std::string>& checkpoints, const std::vector<std::string>& datasets,
                   const SessionOptions& options, const RuntimeRunner& runRuntime);

// Unigram counts over the whole split of each dataset spec (resolved as resolveDataset does;
// the reference of analyze's similarity), and their display name joined with "+".
std::vector<int64_t> referenceCounts(const Session& s, const std::vector<std::string>& specs, std::string& name);

}  // namespace recipec::analyze
