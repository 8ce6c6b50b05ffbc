// Session.cpp — see Session.h.
#include "runtime/analyze/Session.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "runtime/analyze/Analysis.h"
#include "runtime/data/DataError.h"
#include "runtime/data/Dataset.h"

namespace fs = std::filesystem;

namespace recipec::analyze {
namespace {

std::shared_ptr<const data::BlockStore> openSplit(const DatasetRef& d, int64_t seq_len, bool quiet) {
  const auto& j = d.job;
  data::OpenedDataset opened;
  try {
    opened = data::openDataset(j.dataset, j.tokenizer ? &*j.tokenizer : nullptr, j.base_dir, seq_len, "",
                               quiet ? data::Progress::kOff : data::Progress::kAuto);
  } catch (const data::DataError& e) {
    const std::string what = e.what();
    throw AnalyzeError(what.find("`" + d.name + "`") != std::string::npos || what.find("`" + j.dataset.name + "`") != std::string::npos
                           ? what
                           : "dataset `" + d.name + "`: " + what);
  }
  auto store = j.split == "val" ? opened.val : opened.train;
  if (!store || store->numBlocks() == 0)
    throw AnalyzeError("dataset `" + d.name + "`: its " + d.split + " split holds " +
                       std::to_string(store ? store->numTokens() : 0) + " tokens, not one block of seq_len " +
                       std::to_string(seq_len) + " + 1 (empty dataset)");
  return store;
}

fs::path tempPath(const std::string& what) {
  static int counter = 0;
  return fs::temp_directory_path() / ("recipec-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

}  // namespace

std::string Session::decode(int32_t id) const {
  if (!tokenizer) return "<" + std::to_string(id) + ">";
  if (id == eot_id) return "<|endoftext|>";
  return tokenizer->decode(&id, 1);
}

std::vector<const plan::Plan*> Session::planSources() const {
  std::vector<const plan::Plan*> out;
  for (const auto& c : checkpoints) out.push_back(&c.plan);
  for (const auto& p : extra_plans) out.push_back(&p);
  return out;
}

Session runSession(const std::vector<std::string>& ck_args, const std::vector<std::string>& specs,
                   const SessionOptions& opt, const RuntimeRunner& runRuntime) {
  Session s;
  for (size_t i = 0; i < ck_args.size(); ++i)
    s.checkpoints.push_back(resolveCheckpoint(ck_args[i], i < opt.plans.size() ? opt.plans[i] : ""));
  if (s.checkpoints.size() == 2) checkSameArchitecture(s.checkpoints[0], s.checkpoints[1]);
  for (const auto& p : opt.datasets_from) s.extra_plans.push_back(readPlanSource(p));
  for (const auto& p : opt.more_plans) s.extra_plans.push_back(p);
  const CheckpointRef& first = s.checkpoints.at(0);

  s.seq_len = opt.seq_len > 0 ? opt.seq_len : first.plan.train.seq_len;
  for (const auto& c : s.checkpoints)
    if (s.seq_len > c.model.max_seq_len || s.seq_len <= 0)
      throw AnalyzeError("seq_len " + std::to_string(s.seq_len) + " does not fit checkpoint `" + c.label +
                         "` (max_seq_len " + std::to_string(c.model.max_seq_len) + ")");

  if (specs.empty()) throw AnalyzeError("no dataset given after `on`");
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    DatasetRef d = resolveDataset(spec, s.planSources(), first);
    for (const auto& c : s.checkpoints) checkTokenizer(d, c);
    if (!seen.insert(d.name).second) throw AnalyzeError("dataset `" + d.name + "` is given twice");
    d.job.max_blocks = opt.limit;
    // A plan compiled here (--datasets-from a recipe) may not say the vocabulary size and
    // end-of-text id yet; resolve them now so the runtime never opens the tokenizer (it
    // cannot load SentencePiece), as `recipec run` does.
    if (auto& t = d.job.tokenizer; t && (t->vocab_size <= 0 || t->eot_id < 0)) {
      try {
        const auto loaded = data::loadTokenizer(*t, d.job.base_dir);
        t->vocab_size = loaded->vocabSize();
        t->eot_id = loaded->eotId();
      } catch (const data::DataError& e) {
        throw AnalyzeError("dataset `" + d.name + "`: tokenizer `" + t->name + "`: " + e.what());
      }
    }
    s.datasets.push_back(std::move(d));
  }
  // Tokenize into the cache now (the runtime only reads it) and refuse empty splits here.
  for (const auto& d : s.datasets) openSplit(d, s.seq_len, opt.quiet);

  if (first.tokenizer) {
    try {
      s.tokenizer = data::loadTokenizer(*first.tokenizer, "");
      s.eot_id = s.tokenizer->eotId();
    } catch (const data::DataError& e) {
      throw AnalyzeError("checkpoint `" + first.label + "`: its tokenizer: " + e.what());
    }
  }

  EvalJob job;
  for (const auto& c : s.checkpoints) job.checkpoints.push_back({c.label, c.weights, c.verify_folder, c.model});
  for (const auto& d : s.datasets) job.datasets.push_back(d.job);
  job.seq_len = s.seq_len;
  // The training micro-batch fits the machine with gradients too, so its forward alone does.
  const auto& tr = first.plan.train;
  job.batch = opt.batch > 0 ? opt.batch : tr.micro_batch > 0 ? tr.micro_batch : tr.batch_seqs > 0 ? tr.batch_seqs : 16;
  job.device = opt.device;
  job.threads = opt.threads;
  const fs::path job_path = tempPath("eval-job") += ".json";
  job.out = (tempPath("eval") += ".nll").string();
  {
    std::ofstream out(job_path);
    out << nlohmann::json(job).dump(1) << "\n";
    if (!out) throw AnalyzeError("cannot write `" + job_path.string() + "`");
  }
  std::vector<std::string> args{"eval", job_path.string()};
  if (opt.quiet) args.push_back("--quiet");
  const int rc = runRuntime(args);
  std::error_code ec;
  fs::remove(job_path, ec);
  if (rc != 0) {
    fs::remove(job.out, ec);
    throw RuntimeFailed{rc};
  }
  try {
    s.nll = readNllFile(job.out);
  } catch (const std::runtime_error& e) {
    fs::remove(job.out, ec);
    throw AnalyzeError(e.what());
  }
  fs::remove(job.out, ec);
  for (auto& set : s.nll.sets)
    s.classes.push_back(classifyStream(set.ids, [&](int32_t id) { return s.decode(id); }, s.eot_id));
  return s;
}

std::vector<int64_t> referenceCounts(const Session& s, const std::vector<std::string>& specs, std::string& name) {
  const CheckpointRef& first = s.checkpoints.at(0);
  std::vector<int64_t> counts(size_t(std::max<int64_t>(1, first.model.vocab_size)), 0);
  name.clear();
  for (std::string spec : specs) {
    const bool named = spec.find('=') == std::string::npos && spec.find('/') == std::string::npos &&
                       spec.find('*') == std::string::npos;
    DatasetRef d = resolveDataset(spec, s.planSources(), first);
    checkTokenizer(d, first);
    const auto store = openSplit(d, s.seq_len, true);
    std::vector<int32_t> block(size_t(store->blockTokens()));
    for (int64_t b = 0; b < store->numBlocks(); ++b) {
      store->copyBlock(b, block.data());
      for (size_t k = 1; k < block.size(); ++k) {
        const auto id = size_t(block[k]);
        if (id >= counts.size()) counts.resize(id + 1, 0);
        ++counts[id];
      }
    }
    name += (name.empty() ? "" : "+") + (named && d.split == "val" ? d.name + ".val" : d.name);
  }
  return counts;
}

}  // namespace recipec::analyze
