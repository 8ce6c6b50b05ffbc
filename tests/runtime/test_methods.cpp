// test_methods.cpp — walks the method descriptions (runtime/plan/Methods.h) through the
// real binaries: every action, with every parameter at its default and at another value in
// range, checks clean, compiles into a plan holding every parameter, and runs a few steps;
// a value out of range fails `recipec check` with exit 1 at its recipe line, naming the
// range the description gives. A new method is walked without touching this file.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "runtime/plan/Methods.h"
#include "runtime/train/Policy.h"
#include "tests/data/MegatronWriter.h"
#include "train_fixture.h"

namespace recipec::train {
namespace {

namespace M = plan::methods;
using testing::TrainTest;
namespace fs = std::filesystem;

struct Result {
  int rc;
  std::string out;
};

Result runCommand(const std::vector<std::string>& args, const fs::path& cwd) {
  std::string cmd = "cd '" + cwd.string() + "' &&";
  for (const auto& a : args) cmd += " '" + a + "'";
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  Result r{0, ""};
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// A value of `p` other than its default, in range.
double otherValue(const M::Param& p) {
  if (p.percent) return 0.5 * p.max == p.default_value ? 0.25 * p.max : 0.5 * p.max;
  if (p.whole) return p.min + 1;
  if (std::isfinite(p.min) && std::isfinite(p.max)) return (p.min + p.max) / 2;
  if (p.hasDefault()) return p.default_value == 0 ? 0.5 : p.default_value / 2;
  return std::isfinite(p.min) ? p.min + 0.5 : 0.5;
}

// The rule text for an action, with `values` for its parameters (none: its defaults).
std::vector<std::string> ruleTexts(const M::Action& a, bool defaults) {
  std::vector<std::string> out;
  auto value = [&](const M::Param& p) {
    const double v = defaults && p.hasDefault() ? p.default_value : otherValue(p);
    return p.percent ? number(v * 100) + "%" : number(v);
  };
  std::string head = a.kind + (a.method.empty() ? "" : " " + a.method);
  switch (a.form) {
    case M::Form::kWord:
      out.push_back(a.kind + (a.condition == M::Condition::kSelectsBlocks ? " when ppl > p50" : ""));
      break;
    case M::Form::kCall: {
      std::string args;
      if (!defaults)
        for (const auto& p : a.params) args += (args.empty() ? "" : ", ") + p.name + " = " + value(p);
      out.push_back((a.method.empty() ? a.kind : head) + "(" + args + ")");
      break;
    }
    case M::Form::kObject: {
      std::string fields;
      for (const auto& p : a.params) fields += (fields.empty() ? "" : ", ") + p.name + ": " + value(p);
      out.push_back(a.kind + " { " + fields + " }");
      break;
    }
    case M::Form::kSet:
      for (const auto& p : a.params) out.push_back("set " + p.name + " = " + value(p));
      break;
    case M::Form::kSpecial:
      if (a.kind == "mix") {
        out.push_back(defaults ? "mix { a: 0.5, b: 0.5 }" : "mix { a: 0.2 -> 0.8, b: 0.8 -> 0.2 }");
      } else {
        // Each word at each of its choices, the others at their first.
        for (const auto& w : a.words)
          for (size_t c = defaults ? 0 : 1; c < (defaults ? 1 : w.choices.size()); ++c) {
            std::string text = a.kind;
            if (a.kind == "record" && &w == a.word("form")) text += " " + w.choices[c];  // record relative ppl ...
            for (const auto& x : a.words) {
              const std::string& pick = &x == &w ? w.choices[c] : x.choices[0];
              if (a.kind == "order") text += x.name == "unit" ? " " + pick : x.name == "by" ? " by " + pick : " " + pick;
              else if (x.name != "form") text += x.name == "per" ? " per " + pick : " " + pick;
            }
            out.push_back(text);
          }
      }
      break;
  }
  return out;
}

class MethodsTable : public TrainTest {
 protected:
  // Two phases over datasets a and b: `learn` records the table that focus/drop rank, then
  // `test` holds the rule. The rule is on line kRuleLine.
  static constexpr int kRuleLine = 17;
  fs::path write(const std::string& rule, int n) {
    const auto path = root_ / ("m" + std::to_string(n) + ".recipe");
    std::ofstream(path) << "recipe \"m" << n << R"("
tokenizer tok = bytes()
dataset a = text("corpus/a/*.txt", tokenizer = tok) split val 10%
dataset b = text("corpus/b/*.txt", tokenizer = tok)
model net = gpt2 { layers: 2, d_model: 32, heads: 2, vocab: 257, ctx: 32 }
train {
  model net
  seq_len 32
  batch 8
  micro_batch 2
  optimizer adamw(lr = 3e-3)
  seed 7
}
phase learn for 3 steps { mix { a: 0.5, b: 0.5 }; )" << (rule.rfind("record", 0) == 0 ? "" : learn_record_) << R"( }
phase test for 3 steps {
  )" << (rule.rfind("mix", 0) == 0 ? "" : "mix { a: 0.5, b: 0.5 }") << R"(
  )" << rule << R"(
}
)";
    return path;
  }
  std::string learn_record_ = "record ppl per block";
  Result recipec(std::vector<std::string> args) {
    args.insert(args.begin(), RECIPEC_BIN);
    return runCommand(args, root_);
  }
};

TEST_F(MethodsTable, EveryParameterChecksCompilesAndRuns) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  int n = 0, runs = 0;
  for (const auto& a : M::actions()) {
    for (bool defaults : {true, false}) {
      for (const auto& rule : ruleTexts(a, defaults)) {
        SCOPED_TRACE(rule);
        const auto recipe = write(rule, ++n);
        const auto check = recipec({"check", recipe.string()});
        ASSERT_EQ(check.rc, 0) << check.out;
        EXPECT_EQ(check.out.find("warning"), std::string::npos) << check.out;
        const auto dir = runDir("m" + std::to_string(n));
        const auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet"});
        ASSERT_EQ(run.rc, 0) << run.out;
        ++runs;
        // The plan holds every parameter of the method, the defaults written by the compiler.
        const auto plan = nlohmann::json::parse(std::ifstream(dir + "/plan.json"));
        const auto& r = plan["phases"][1]["rules"].back();
        EXPECT_EQ(r["action"]["kind"], a.kind);
        const auto& params = r["action"]["params"];
        for (const auto& p : a.params) {
          if (a.form == M::Form::kSet) continue;  // one setting per rule
          ASSERT_TRUE(params.contains(p.name)) << params.dump();
          if (defaults && p.hasDefault()) EXPECT_DOUBLE_EQ(params[p.name].get<double>(), p.default_value);
          if (!defaults) EXPECT_DOUBLE_EQ(params[p.name].get<double>(), otherValue(p));
        }
        // It ran to its end, or its rule stopped it (stop).
        const auto summary = metrics(dir, "summary");
        ASSERT_EQ(summary.size(), 1u);
        EXPECT_TRUE(summary[0]["finished"].get<bool>() || a.kind == "stop") << summary[0].dump();
      }
    }
  }
  EXPECT_GE(runs, int(M::actions().size()) + 6);
}

TEST_F(MethodsTable, AValueOutOfRangeFailsCheckAtItsLineWithTheRange) {
  int n = 100;
  for (const auto& a : M::actions()) {
    for (const auto& p : a.params) {
      if (!std::isfinite(p.min)) continue;
      SCOPED_TRACE(a.spelled() + " " + p.name);
      const double bad = p.min_inclusive ? p.min - 1 : p.min;
      const std::string v = p.percent ? number(bad * 100) + "%" : number(bad);
      std::string rule;
      if (a.form == M::Form::kCall) rule = (a.method.empty() ? a.kind : a.kind + " " + a.method) + "(" + p.name + " = " + v + ")";
      else if (a.form == M::Form::kObject) rule = a.kind + " { " + p.name + ": " + v + " }";
      else if (a.form == M::Form::kSet) rule = "set " + p.name + " = " + v;
      else continue;
      const auto recipe = write(rule, ++n);
      const auto check = recipec({"check", recipe.string()});
      EXPECT_EQ(check.rc, 1) << check.out;
      EXPECT_NE(check.out.find(recipe.filename().string() + ":" + std::to_string(kRuleLine) + ":"), std::string::npos)
          << check.out;
      EXPECT_NE(check.out.find(p.rangeText()), std::string::npos) << check.out;
      EXPECT_EQ(check.out.find("internal"), std::string::npos) << check.out;
    }
  }
}

// The debiased forms of LFR's table: `relative` ranks each block's loss against its step's
// mean (so the threshold is a ratio near 1), `rescored` measures every block again with the
// current model before the focus ranks them (a `score` event with its cost).
TEST_F(MethodsTable, RecordFormsChangeWhatFocusRanks) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  int n = 200;
  for (const std::string form : {"visited", "relative", "rescored"}) {
    SCOPED_TRACE(form);
    learn_record_ = "record " + form + " ppl per block";
    const auto recipe = write("focus when ppl > p50", ++n);
    const auto dir = runDir("f" + std::to_string(n));
    const auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet"});
    ASSERT_EQ(run.rc, 0) << run.out;
    double threshold = 0;
    int64_t scored = 0;
    for (const auto& e : metrics(dir, "event")) {
      if (e["event"] == "focus") threshold = e["threshold_ppl"].get<double>();
      if (e["event"] == "score") scored += e["blocks"].get<int64_t>();
    }
    if (form == "relative") {
      EXPECT_GT(threshold, 0.5);
      EXPECT_LT(threshold, 2.0);  // exp(loss - step mean): a ratio, not a perplexity
    } else {
      EXPECT_GT(threshold, 10.0);  // a perplexity of an untrained byte model
    }
    EXPECT_EQ(scored > 0, form == "rescored");
  }
}

// Corpora as they ship: JSON lines compressed with gzip (Dolma) and zstd (SlimPajama, DCLM)
// train from a recipe like any other text; `check` refuses a gzip file whose name hides it.
TEST_F(MethodsTable, GzipAndZstdJsonLinesTrainFromARecipe) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  fs::create_directories(root_ / "packed");
  {
    std::ofstream out(root_ / "packed/docs.jsonl");
    for (const auto& f : fs::directory_iterator(root_ / "corpus/a")) {
      std::ifstream in(f.path());
      std::stringstream ss;
      ss << in.rdbuf();
      out << nlohmann::json{{"text", ss.str()}}.dump() << "\n";
    }
  }
  const std::string packed = (root_ / "packed").string();
  ASSERT_EQ(std::system(("gzip -kn '" + packed + "/docs.jsonl' && zstd -q -k '" + packed + "/docs.jsonl'").c_str()), 0)
      << "gzip and zstd (Debian's) make the inputs";
  const auto recipe = root_ / "packed.recipe";
  std::ofstream(recipe) << R"(recipe "packed"
tokenizer tok = bytes()
dataset g = text("packed/*.jsonl.gz", tokenizer = tok) split val 10%
dataset z = text("packed/*.jsonl.zst", tokenizer = tok) split val 10%
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3); seed 7 }
phase a for 5 steps { mix { g: 0.5, z: 0.5 } }
evaluate ppl on g.val every 5 steps
)";
  auto check = recipec({"check", recipe.string()});
  EXPECT_EQ(check.rc, 0) << check.out;
  const auto dir = runDir("packed");
  auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet", "--log-every", "1"});
  ASSERT_EQ(run.rc, 0) << run.out;
  EXPECT_EQ(metrics(dir, "train").size(), 5u);
  // A gzip file under a plain name: refused at check, and by run before any step.
  fs::create_directories(root_ / "hidden");
  fs::copy_file(packed + "/docs.jsonl.gz", (root_ / "hidden/docs.jsonl").string());
  const auto hidden = root_ / "hidden.recipe";
  std::ofstream(hidden) << R"(recipe "hidden"
tokenizer tok = bytes()
dataset h = text("hidden/*.jsonl", tokenizer = tok)
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3) }
phase a for 5 steps { mix { h: 1 } }
)";
  auto refused = recipec({"check", hidden.string()});
  EXPECT_EQ(refused.rc, 1) << refused.out;
  EXPECT_NE(refused.out.find("error[E0402]: `hidden/docs.jsonl` is gzip data, but the name does not end in .gz"),
            std::string::npos) << refused.out;
  auto notRun = recipec({"run", hidden.string(), "--run-dir", runDir("hidden"), "--quiet"});
  EXPECT_EQ(notRun.rc, 1) << notRun.out;
  EXPECT_FALSE(fs::exists(runDir("hidden") + "/metrics.jsonl"));
}

// Tables as datasets ship them: Parquet (FineWeb) and an Arrow IPC stream (what HF datasets'
// save_to_disk writes), both written by pyarrow, train from a recipe reading their `text`
// column; check names a missing column with the string columns there are.
TEST_F(MethodsTable, ParquetAndArrowTablesTrainFromARecipe) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  fs::create_directories(root_ / "tables");
  const std::string py = std::string(RECIPEC_REFERENCE_PYTHON) + " -c \"import glob, pyarrow as pa, pyarrow.parquet as pq; "
      "texts = [open(f).read() for f in sorted(glob.glob('corpus/a/*.txt'))]; "
      "t = pa.table({'id': list(range(len(texts))), 'text': texts}); "
      "pq.write_table(t, 'tables/web.parquet', row_group_size=4); "
      "w = pa.ipc.new_stream(pa.OSFile('tables/data-00000-of-00001.arrow', 'wb'), t.schema); "
      "[w.write_batch(b) for b in t.to_batches(max_chunksize=3)]; w.close()\"";
  ASSERT_EQ(std::system(("cd '" + root_.string() + "' && " + py).c_str()), 0) << py;
  const auto recipe = root_ / "tables.recipe";
  std::ofstream(recipe) << R"(recipe "tables"
tokenizer tok = bytes()
dataset p = text("tables/*.parquet", tokenizer = tok) split val 10%
dataset r = text("tables/*.arrow", tokenizer = tok, field = "text")
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3); seed 7 }
phase a for 5 steps { mix { p: 0.5, r: 0.5 } }
evaluate ppl on p.val every 5 steps
)";
  auto check = recipec({"check", recipe.string()});
  EXPECT_EQ(check.rc, 0) << check.out;
  const auto dir = runDir("tables");
  auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet", "--log-every", "1"});
  ASSERT_EQ(run.rc, 0) << run.out;
  EXPECT_EQ(metrics(dir, "train").size(), 5u);
  std::ofstream(root_ / "body.recipe") << R"(recipe "body"
tokenizer tok = bytes()
dataset p = text("tables/*.parquet", tokenizer = tok, field = "body")
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3) }
phase a for 5 steps { mix { p: 1 } }
)";
  auto refused = recipec({"check", (root_ / "body.recipe").string()});
  EXPECT_EQ(refused.rc, 1) << refused.out;
  EXPECT_NE(refused.out.find("error[E0402]: `tables/web.parquet` has no column `body`"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("its string columns are `text`"), std::string::npos) << refused.out;
}

// A Hugging Face tokenizer.json (Llama-3's: 128,256 ids, past uint16) end to end: check,
// tokenizing into uint32 shards, training and evaluation.
TEST_F(MethodsTable, ALlama3TokenizerJsonTrainsPastSixteenBitIds) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  const std::string tokenizer = std::string(RECIPEC_SOURCE_DIR) + "/data/llama3";
  ASSERT_TRUE(fs::exists(tokenizer + "/tokenizer.json")) << "run scripts/fetch_data.sh";
  const auto recipe = root_ / "llama3.recipe";
  std::ofstream(recipe) << R"(recipe "llama3"
tokenizer tok = hf(")" + tokenizer + R"(")
dataset a = text("corpus/a/*.txt", tokenizer = tok) split val 10%
model net = llama { layers: 1, d_model: 16, heads: 2, kv_heads: 1, d_ff: 32, vocab: 128256, ctx: 32 }
train { model net; seq_len 32; batch 4; optimizer adamw(lr = 3e-3); seed 7 }
phase a for 5 steps { mix { a: 1 } }
evaluate ppl on a.val every 5 steps
)";
  auto check = recipec({"check", recipe.string()});
  EXPECT_EQ(check.rc, 0) << check.out;
  const auto dir = runDir("llama3");
  auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet", "--log-every", "1"});
  ASSERT_EQ(run.rc, 0) << run.out;
  const auto train = metrics(dir, "train");
  ASSERT_EQ(train.size(), 5u);
  EXPECT_NEAR(train[0]["loss"].get<double>(), std::log(128256.0), 0.5);  // an untrained model guesses uniformly
}

// Token arrays as other stacks ship them train from `shards(...)`: a NumPy .npy written by
// numpy itself (OLMo-core, Dolma), split at the tokenizer's end-of-text, and a Megatron-LM
// indexed dataset (.bin + .idx), whose index gives the documents.
TEST_F(MethodsTable, NumpyAndMegatronTokenFilesTrainFromARecipe) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  fs::create_directories(root_ / "tokens");
  // Byte tokens of corpus a: documents separated by the bytes tokenizer's end-of-text, 256.
  std::vector<std::vector<uint16_t>> docs;
  for (const auto& f : fs::directory_iterator(root_ / "corpus/a")) {
    std::ifstream in(f.path(), std::ios::binary);
    std::vector<uint16_t> d{256};
    for (char c; in.get(c);) d.push_back(uint16_t(static_cast<unsigned char>(c)));
    docs.push_back(d);
  }
  {
    std::ofstream raw(root_ / "tokens/raw.u16", std::ios::binary);
    for (const auto& d : docs) raw.write(reinterpret_cast<const char*>(d.data()), std::streamsize(d.size() * 2));
  }
  const std::string py = std::string(RECIPEC_REFERENCE_PYTHON) + " -c \"import numpy as np; "
                         "np.save('tokens/a.npy', np.fromfile('tokens/raw.u16', dtype=np.uint16).astype(np.uint32))\"";
  ASSERT_EQ(std::system(("cd '" + root_.string() + "' && " + py).c_str()), 0) << py;
  data::testutil::writeMegatron((root_ / "tokens/m").string(), docs);
  const auto recipe = root_ / "tokens.recipe";
  std::ofstream(recipe) << R"(recipe "tokens"
tokenizer tok = bytes()
dataset n = shards("tokens/*.npy", tokenizer = tok)
dataset m = shards("tokens/m.bin", tokenizer = tok)
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3); seed 7 }
phase a for 5 steps { mix { n: 0.5, m: 0.5 } }
)";
  const auto dir = runDir("tokens");
  auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet", "--log-every", "1"});
  ASSERT_EQ(run.rc, 0) << run.out;
  EXPECT_EQ(metrics(dir, "train").size(), 5u);
  // An id past the tokenizer's vocabulary is named with its file and offset.
  const std::string bad = std::string(RECIPEC_REFERENCE_PYTHON) +
                          " -c \"import numpy as np; np.save('tokens/bad/x.npy', np.array([256, 1, 2, 70000, 3], dtype=np.uint32))\"";
  fs::create_directories(root_ / "tokens/bad");
  ASSERT_EQ(std::system(("cd '" + root_.string() + "' && " + bad).c_str()), 0);
  std::ofstream(root_ / "bad.recipe") << R"(recipe "bad"
tokenizer tok = bytes()
dataset n = shards("tokens/bad/*.npy", tokenizer = tok)
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 2; batch 1; optimizer adamw(lr = 3e-3) }
phase a for 1 steps { mix { n: 1 } }
)";
  auto refused = recipec({"run", (root_ / "bad.recipe").string(), "--run-dir", runDir("bad"), "--quiet"});
  EXPECT_EQ(refused.rc, 1) << refused.out;
  // `run` checks first: the first 64 KiB of ids against the tokenizer, at the dataset's line.
  EXPECT_NE(refused.out.find("error[E0402]: `tokens/bad/x.npy` holds token id 70000 at token offset 3, past the 257 ids"),
            std::string::npos) << refused.out;
}

// A `fresh` round longer than the data never trained on ends with what works: a resume would
// run out at the same step, so the advice is a changed recipe started from the weights so far,
// which are written for it.
TEST_F(MethodsTable, AFreshRoundOutOfDataAdvisesANewRunFromItsWeights) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  const auto recipe = root_ / "long-round.recipe";
  std::ofstream(recipe) << R"(recipe "long-round"
tokenizer tok = bytes()
dataset a = text("corpus/a/*.txt", tokenizer = tok) split val 10%
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3); seed 7 }
phase round for 100k steps { mix { a: 1 }; fresh }
)";
  const auto dir = runDir("long-round");
  auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet"});
  ASSERT_EQ(run.rc, 1) << run.out;
  EXPECT_NE(run.out.find("a resume would run out at this step again"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("end phase `round` by step "), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("--resume"), std::string::npos) << run.out;
  const auto at = run.out.find("init from \"");
  ASSERT_NE(at, std::string::npos) << run.out;
  const std::string weights = run.out.substr(at + 11, run.out.find('"', at + 11) - (at + 11));
  ASSERT_TRUE(fs::exists(weights)) << weights;
  // The advice works: a new run starts from those weights.
  const auto next = root_ / "next-round.recipe";
  std::ofstream(next) << R"(recipe "next-round"
tokenizer tok = bytes()
dataset a = text("corpus/a/*.txt", tokenizer = tok) split val 10%
model net = gpt2 { layers: 1, d_model: 16, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; optimizer adamw(lr = 3e-3); seed 7; init from ")" +
                            weights + R"(" }
phase more for 2 steps { mix { a: 1 } }
)";
  auto again = recipec({"run", next.string(), "--run-dir", runDir("next-round"), "--quiet"});
  EXPECT_EQ(again.rc, 0) << again.out;
}

// Rounds as Llama-3-SynE feeds them: two `fresh` phases never train a block twice, the
// second's mixture is re-weighted from the first's perplexity change (with its reason), and
// a run stopped inside round 2 resumes to the same weights (the sampler's record of drawn
// blocks and the per-source losses are in the checkpoint).
TEST_F(MethodsTable, FreshRoundsNeverRepeatABlockAndRemixSaysWhy) {
  ::setenv("RECIPEC_RUNTIME", RECIPEC_RUNTIME_BIN, 1);
  const auto recipe = root_ / "rounds.recipe";
  std::ofstream(recipe) << R"(recipe "rounds"
tokenizer tok = bytes()
dataset a = text("corpus/a/*.txt", tokenizer = tok) split val 10%
dataset b = text("corpus/b/*.txt", tokenizer = tok)
model net = gpt2 { layers: 2, d_model: 32, heads: 2, vocab: 257, ctx: 32 }
train { model net; seq_len 32; batch 8; micro_batch 4; optimizer adamw(lr = 3e-3); seed 7 }
phase round1 for 4 steps { mix { a: 0.5, b: 0.5 }; fresh }
phase round2 for 4 steps { mix { a: 0.5, b: 0.5 }; fresh; remix(rate = 2.0) }
checkpoint every 2 steps
)";
  const auto dir = runDir("rounds");
  auto run = recipec({"run", recipe.string(), "--run-dir", dir, "--quiet"});
  ASSERT_EQ(run.rc, 0) << run.out;
  std::vector<nlohmann::json> fresh, remix;
  for (const auto& e : metrics(dir, "event")) {
    if (e["event"] == "fresh") fresh.push_back(e);
    if (e["event"] == "remix") remix.push_back(e);
  }
  ASSERT_EQ(fresh.size(), 2u);
  for (const auto& f : fresh) {
    EXPECT_EQ(f["trained_twice"], 0) << f.dump();
    EXPECT_EQ(f["drawn"], f["distinct"]) << f.dump();
  }
  EXPECT_EQ(fresh[1]["drawn"].get<int64_t>(), 2 * fresh[0]["drawn"].get<int64_t>());  // 8 steps x 8
  EXPECT_EQ(fresh[1]["drawn"], 64);
  ASSERT_EQ(remix.size(), 1u);
  EXPECT_EQ(remix[0]["step"], 4);
  double sum = 0;
  bool moved = false;
  for (const auto& s : remix[0]["sources"]) {
    sum += s["weight_after"].get<double>();
    moved = moved || std::abs(s["weight_after"].get<double>() - s["weight_before"].get<double>()) > 1e-6;
    EXPECT_GT(s["ppl_start"].get<double>(), s["ppl_end"].get<double>()) << s.dump();  // an untrained model learns
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_TRUE(moved);
  EXPECT_NE(remix[0]["reason"].get<std::string>().find(" ppl "), std::string::npos);

  const auto split = runDir("rounds-split");
  run = recipec({"run", recipe.string(), "--run-dir", split, "--quiet", "--until-step", "6"});
  ASSERT_EQ(run.rc, 0) << run.out;
  run = recipec({"run", "--resume", split, "--quiet"});
  ASSERT_EQ(run.rc, 0) << run.out;
  auto read = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(dir + "/model.safetensors"), read(split + "/model.safetensors"));
}

TEST(MethodsTableShape, DefaultsAreInRangeAndNamesAreUnique) {
  for (const auto& a : M::actions()) {
    SCOPED_TRACE(a.spelled());
    EXPECT_FALSE(a.example.empty());
    EXPECT_FALSE(a.runtime_file.empty());
    std::set<std::string> names;
    for (const auto& p : a.params) {
      EXPECT_TRUE(names.insert(p.name).second) << p.name;
      if (p.hasDefault()) EXPECT_TRUE(p.inRange(p.default_value)) << p.name;
      EXPECT_TRUE(p.inRange(otherValue(p))) << p.name;
    }
    EXPECT_EQ(M::find(a.kind, a.method), &a);
  }
  // The runtime has a policy for every described kind.
  const auto kinds = PolicyRegistry::instance().kinds();
  for (const auto& k : M::kinds()) EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k;
}

}  // namespace
}  // namespace recipec::train
