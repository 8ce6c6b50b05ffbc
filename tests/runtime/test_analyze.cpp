// test_analyze.cpp — `recipec eval` and `recipec analyze` end to end on checkpoints made
// here: run A trains a tiny GPT-2 on datasets a (prose) and b (code-like), run B continues A
// on b only. Checks: eval's per-token NLLs add up to its mean x count and equal the trainer's
// own evaluation, a direct LibTorch computation and Debian's PyTorch (parity/ref_nll.py);
// analyze's class totals add up to the overall change; the masked perplexity equals one
// computed from the per-token file; a dataset's similarity with itself is the maximum (1);
// each bad input exits 1 with a message naming the thing.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "runtime/data/Shard.h"
#include "runtime/models/Model.h"
#include "runtime/models/Safetensors.h"
#include "runtime/plan/Plan.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace recipec;

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TsvRow {
  std::string dataset, cls;
  int64_t index = 0, position = 0, id = 0;
  std::vector<double> nll;  // nll, or nll_a, nll_b
};

std::vector<TsvRow> readTsv(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);  // header
  std::vector<TsvRow> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t s = 0;
    for (size_t e; (e = line.find('\t', s)) != std::string::npos; s = e + 1) f.push_back(line.substr(s, e - s));
    f.push_back(line.substr(s));
    TsvRow r;
    r.dataset = f.at(0);
    r.index = std::stoll(f.at(1));
    r.position = std::stoll(f.at(2));
    r.id = std::stoll(f.at(3));
    r.cls = f.at(4);
    for (size_t i = 6; i < f.size() && r.nll.size() < 2; ++i) r.nll.push_back(std::stod(f[i]));
    rows.push_back(r);
  }
  return rows;
}

class AnalyzeTest : public ::testing::Test {
 protected:
  static fs::path root_;
  static std::string runA_, runB_;

  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("recipec-analyze-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    ::setenv("RECIPEC_CACHE_DIR", (root_ / "cache").c_str(), 1);
    writeCorpus(root_ / "corpus" / "a", 40, 11, "The cat sat on the mat, and looked at 42 birds.\n");
    writeCorpus(root_ / "corpus" / "b", 40, 12, "def f(x): return {x: x + 1}  # 7\n");
    fs::create_directories(root_ / "runs");
    runA_ = (root_ / "runs" / "a").string();
    runB_ = (root_ / "runs" / "b").string();
    plan::Plan pa = tinyPlan({{"a", 0.8, std::nullopt}, {"b", 0.2, std::nullopt}}, "");
    std::ofstream(root_ / "a.json") << plan::planToText(pa);
    ASSERT_EQ(runtime("run " + (root_ / "a.json").string() + " --run-dir " + runA_), 0);
    plan::Plan pb = tinyPlan({{"b", 1.0, std::nullopt}}, runA_ + "/model.safetensors");
    pb.train.optimizer.lr = 1e-2;
    std::ofstream(root_ / "b.json") << plan::planToText(pb);
    ASSERT_EQ(runtime("run " + (root_ / "b.json").string() + " --run-dir " + runB_), 0);
  }
  static void TearDownTestSuite() {
    if (!::testing::UnitTest::GetInstance()->Failed()) fs::remove_all(root_);
  }

  static void writeCorpus(const fs::path& dir, int docs, unsigned seed, const std::string& base) {
    fs::create_directories(dir);
    std::mt19937 rng(seed);
    for (int d = 0; d < docs; ++d) {
      std::ofstream out(dir / ("doc" + std::to_string(d) + ".txt"));
      for (int r = 0, reps = 3 + int(rng() % 6); r < reps; ++r) {
        out << base;
        if (rng() % 2 == 0) out << char('a' + rng() % 26) << char('a' + rng() % 26) << ' ' << rng() % 100 << '\n';
      }
    }
  }

  static plan::Plan tinyPlan(std::vector<plan::MixEntry> mix, const std::string& init_from) {
    plan::Plan p;
    p.recipe_name = "tiny";
    p.base_dir = root_.string();
    p.tokenizers.push_back({"bytes", "bytes", "", 257, 256});
    for (const char* name : {"a", "b"}) {
      plan::Dataset d;
      d.name = name;
      d.kind = "text";
      d.paths = {std::string("corpus/") + name + "/*.txt"};
      d.tokenizer = "bytes";
      d.val_fraction = 0.2;
      p.datasets.push_back(d);
    }
    plan::Model m;
    m.name = "net";
    m.arch = "gpt2";
    m.n_layer = 2;
    m.n_head = 2;
    m.d_model = 32;
    m.d_ff = 128;
    m.vocab_size = 257;
    m.max_seq_len = 32;
    m.init_from = init_from;
    p.models.push_back(m);
    p.train.model = "net";
    p.train.seq_len = 32;
    p.train.batch_seqs = 8;
    p.train.micro_batch = 8;
    p.train.optimizer.lr = 3e-3;
    p.train.schedule.kind = "constant";
    p.train.seed = 7;
    plan::Phase ph;
    ph.name = "main";
    ph.duration = {20, "steps", -1};
    plan::Rule r;
    r.action.kind = "mix";
    r.action.mixture = std::move(mix);
    r.source = "test:1:1";
    ph.rules.push_back(r);
    p.phases.push_back(ph);
    for (const char* name : {"a", "b"}) {
      plan::Evaluate e;
      e.dataset = name;
      e.every = {20, "steps", 20};
      p.evaluations.push_back(e);
    }
    return p;
  }

  static int runtime(const std::string& args) {
    return WEXITSTATUS(std::system((std::string(RECIPEC_RUNTIME_BIN) + " " + args + " --peak-flops 1e12 --quiet >/dev/null 2>&1").c_str()));
  }

  // Runs `recipec ARGS` in root_ (relative globs resolve there).
  static Result recipec(const std::string& args) {
    const fs::path out = root_ / "out.txt", err = root_ / "err.txt";
    const std::string cmd = "cd " + root_.string() + " && " + RECIPEC_BIN + " " + args + " -q >" + out.string() +
                            " 2>" + err.string();
    Result r;
    r.code = WEXITSTATUS(std::system(cmd.c_str()));
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  static json evalJson(const std::string& args) {
    const Result r = recipec(args + " --json " + (root_ / "result.json").string());
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(slurp(root_ / "result.json"));
  }
};

fs::path AnalyzeTest::root_;
std::string AnalyzeTest::runA_, AnalyzeTest::runB_;

TEST_F(AnalyzeTest, EvalPerTokenNllSumsToMeanTimesCount) {
  const fs::path tsv = root_ / "eval.tsv";
  const json j = evalJson("eval runs/a on a,b --per-token " + tsv.string());
  EXPECT_EQ(j["type"], "eval");
  EXPECT_EQ(j["checkpoint"]["step"], 20);
  const auto rows = readTsv(tsv);
  std::map<std::string, std::pair<int64_t, double>> sums;
  for (const auto& r : rows) {
    sums[r.dataset].first += 1;
    sums[r.dataset].second += r.nll.at(0);
    EXPECT_EQ(r.position, (r.index - 1) % 32);
  }
  ASSERT_EQ(j["datasets"].size(), 2u);
  int64_t total = 0;
  for (const auto& d : j["datasets"]) {
    const auto& [count, sum] = sums[d["name"].get<std::string>()];
    EXPECT_EQ(count, d["tokens"].get<int64_t>());
    EXPECT_GT(count, 200);
    EXPECT_NEAR(sum, d["mean_nll"].get<double>() * double(count), 1e-6 * sum) << d["name"];
    EXPECT_NEAR(std::exp(d["mean_nll"].get<double>()), d["ppl"].get<double>(), 1e-9 * d["ppl"].get<double>());
    total += count;
  }
  EXPECT_EQ(j["overall"]["tokens"].get<int64_t>(), total);
}

TEST_F(AnalyzeTest, EvalEqualsTheTrainersOwnEvaluation) {
  // The run evaluated a.val and b.val at its last step over every block: same packing, same
  // weights, so the same loss.
  const json j = evalJson("eval runs/a on a,b");
  std::map<std::string, double> trainer;
  std::ifstream in(runA_ + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto m = json::parse(line);
    if (m["type"] == "eval" && m["step"] == 20) trainer[m["dataset"].get<std::string>()] = m["loss"].get<double>();
  }
  ASSERT_EQ(trainer.size(), 2u);
  // The same weights as a bare .safetensors elsewhere, with the run's plan given.
  fs::create_directories(root_ / "loose");
  fs::copy_file(runA_ + "/model.safetensors", root_ / "loose" / "w.safetensors", fs::copy_options::overwrite_existing);
  const json loose = evalJson("eval loose/w.safetensors --plan runs/a on a,b");
  EXPECT_EQ(loose["datasets"], j["datasets"]);
  EXPECT_EQ(loose["checkpoint"]["step"], 20);  // from the safetensors metadata
  for (const auto& d : j["datasets"])
    EXPECT_NEAR(d["mean_nll"].get<double>(), trainer[d["name"].get<std::string>()], 1e-5) << d["name"];
}

TEST_F(AnalyzeTest, PerTokenNllMatchesLibTorchAndPyTorch) {
  const fs::path tsv = root_ / "parity.tsv";
  ASSERT_EQ(recipec("eval " + runA_ + "/checkpoints/step_00000020 on a --limit 2 --per-token " + tsv.string()).code, 0);
  const auto rows = readTsv(tsv);
  ASSERT_EQ(rows.size(), 64u);
  // LibTorch directly: the model, its weights, log_softmax, block 0 = [eot] + targets.
  const plan::Plan p = plan::readPlanFile(runA_ + "/plan.json");
  auto model = models::buildModel(p.models.at(0));
  model->loadHfStateDict(models::readSafetensors(runA_ + "/model.safetensors").tensors);
  model->eval();
  std::vector<int64_t> stream{256};
  for (const auto& r : rows) stream.push_back(r.id);
  torch::NoGradGuard guard;
  double worst = 0;
  for (int b = 0; b < 2; ++b) {
    auto x = torch::tensor(std::vector<int64_t>(stream.begin() + b * 32, stream.begin() + b * 32 + 32)).view({1, 32});
    auto logp = torch::log_softmax(model->forward(x)[0], -1);
    for (int t = 0; t < 32; ++t)
      worst = std::max(worst, std::abs(-logp[t][stream[size_t(b * 32 + t + 1)]].item<double>() - rows[size_t(b * 32 + t)].nll[0]));
  }
  std::printf("max |NLL recipec - NLL LibTorch log_softmax| = %.3e\n", worst);
  EXPECT_LT(worst, 1e-5);

  if (std::system(RECIPEC_REFERENCE_PYTHON " -c 'import torch, numpy' >/dev/null 2>&1") != 0)
    FAIL() << RECIPEC_REFERENCE_PYTHON " has no torch (scripts/setup.sh makes .venv/)";
  const std::string cmd = std::string(RECIPEC_REFERENCE_PYTHON) + " " + RECIPEC_TEST_SOURCE_DIR + "/parity/ref_nll.py " +
                          runA_ + "/model.safetensors " + runA_ + "/plan.json " + tsv.string() + " 2 >" +
                          (root_ / "py.txt").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const double py = std::stod(slurp(root_ / "py.txt"));
  std::printf("max |NLL recipec - NLL PyTorch reference| = %.3e\n", py);
  EXPECT_LT(py, 1e-5);
}

TEST_F(AnalyzeTest, ClassTotalsAddUpToTheOverallChange) {
  const json j = evalJson("analyze runs/a runs/b on a,b");
  EXPECT_EQ(j["type"], "analyze");
  EXPECT_EQ(j["a"]["step"], 20);
  EXPECT_EQ(j["b"]["step"], 20);
  double overall = 0, classes = 0;
  int64_t tokens = 0, class_tokens = 0;
  for (const auto& d : j["datasets"]) {
    const double n = d["tokens"].get<double>();
    const double change = n * (d["mean_nll_b"].get<double>() - d["mean_nll_a"].get<double>());
    overall += change;
    tokens += d["tokens"].get<int64_t>();
    double per = 0;
    for (const auto& c : d["classes"]) per += c["delta_nll_sum"].get<double>();
    EXPECT_NEAR(per, change, 1e-6 * n) << d["name"];
  }
  for (const auto& c : j["classes"]) {
    classes += c["delta_nll_sum"].get<double>();
    class_tokens += c["count"].get<int64_t>();
    EXPECT_NEAR(c["mean_delta"].get<double>() * c["count"].get<double>(), c["delta_nll_sum"].get<double>(), 1e-9 * tokens);
  }
  EXPECT_EQ(class_tokens, tokens);
  EXPECT_NEAR(classes, overall, 1e-6 * double(tokens));
  EXPECT_NEAR(j["overall"]["delta_nll_sum"].get<double>(), overall, 1e-6 * double(tokens));
  // B trained on b only: b's perplexity falls.
  for (const auto& d : j["datasets"])
    if (d["name"] == "b") EXPECT_LT(d["ppl_b"].get<double>(), d["ppl_a"].get<double>());
  ASSERT_FALSE(j["top_tokens"].empty());
  EXPECT_TRUE(j["top_tokens"][0].contains("text"));
}

TEST_F(AnalyzeTest, MaskedPplEqualsADirectComputation) {
  const fs::path tsv = root_ / "analyze.tsv";
  const json j = evalJson("analyze runs/a runs/b on a,b --mask whitespace,punctuation --per-token " + tsv.string());
  double sa = 0, sb = 0;
  int64_t n = 0, all = 0;
  for (const auto& r : readTsv(tsv)) {
    ++all;
    if (r.cls == "whitespace" || r.cls == "punctuation") continue;
    sa += r.nll.at(0);
    sb += r.nll.at(1);
    ++n;
  }
  ASSERT_GT(n, 0);
  ASSERT_LT(n, all);  // something was masked
  EXPECT_EQ(j["masked"]["mask"], json({"whitespace", "punctuation"}));
  EXPECT_NEAR(j["masked"]["ppl_a"].get<double>(), std::exp(sa / double(n)), 1e-5);
  EXPECT_NEAR(j["masked"]["ppl_b"].get<double>(), std::exp(sb / double(n)), 1e-5);
}

TEST_F(AnalyzeTest, SimilarityOfADatasetWithItselfIsTheMaximum) {
  const json j = evalJson("analyze runs/a runs/b on a,b --reference a.val");
  EXPECT_EQ(j["reference"], "a.val");
  EXPECT_EQ(j["similarity_metric"], "unigram-js");
  std::map<std::string, double> sim;
  for (const auto& d : j["datasets"]) sim[d["name"].get<std::string>()] = d["similarity"].get<double>();
  EXPECT_DOUBLE_EQ(sim["a"], 1.0);
  EXPECT_LT(sim["b"], sim["a"]);
  EXPECT_GT(sim["b"], 0.0);
  // The default reference: what A trained on.
  const json d = evalJson("analyze runs/a runs/b on a");
  EXPECT_EQ(d["reference"], "a.train+b.train");
}

TEST_F(AnalyzeTest, BadInputsExitOneNamingTheThing) {
  Result r = recipec("eval runs/missing on a");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("checkpoint `runs/missing` does not exist"), std::string::npos) << r.err;

  r = recipec("analyze runs/a runs/missing on a");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("`runs/missing`"), std::string::npos) << r.err;

  r = recipec("eval runs/a on nosuch");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown dataset `nosuch`"), std::string::npos) << r.err;

  fs::create_directories(root_ / "empty");
  std::ofstream(root_ / "empty" / "e.txt").close();
  r = recipec("eval runs/a on empty=empty/*.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("`empty`"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal"), std::string::npos) << r.err;

  // A and B of different shapes.
  const fs::path other = root_ / "runs" / "wide";
  fs::create_directories(other);
  fs::copy_file(runA_ + "/model.safetensors", other / "model.safetensors", fs::copy_options::overwrite_existing);
  plan::Plan wide = plan::readPlanFile(runA_ + "/plan.json");
  wide.models[0].n_layer = 3;
  std::ofstream(other / "plan.json") << plan::planToText(wide);
  r = recipec("analyze runs/a runs/wide on a");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("different architectures: n_layer 2 vs 3"), std::string::npos) << r.err;
  // The same mismatch read by eval: the weights do not fit the plan's model.
  r = recipec("eval runs/wide on a");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not fit"), std::string::npos) << r.err;

  // A checkpoint folder whose weights no longer match its manifest.
  const fs::path bad = root_ / "runs" / "bad" / "checkpoints" / "step_00000020";
  fs::create_directories(bad.parent_path());
  fs::copy(runA_ + "/checkpoints/step_00000020", bad, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::copy_file(runA_ + "/plan.json", root_ / "runs" / "bad" / "plan.json", fs::copy_options::overwrite_existing);
  { std::ofstream(bad / "model.safetensors", std::ios::app) << "x"; }
  r = recipec("eval runs/bad/checkpoints/step_00000020 on a");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("model.safetensors` is corrupt"), std::string::npos) << r.err;

  // A dataset tokenized with another tokenizer than the checkpoint's.
  const fs::path gpt2 = fs::path(RECIPEC_SOURCE_DIR) / "data" / "gpt2";
  if (fs::exists(gpt2 / "encoder.json")) {
    plan::Plan g = plan::readPlanFile(runA_ + "/plan.json");
    g.tokenizers = {{"gpt2", "gpt2_bpe", gpt2.string(), 50257, 50256}};
    g.datasets.resize(1);
    g.datasets[0].name = "web";
    g.datasets[0].tokenizer = "gpt2";
    std::ofstream(root_ / "gpt2-plan.json") << plan::planToText(g);
    r = recipec("eval runs/a on web --datasets-from gpt2-plan.json");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("dataset `web` is tokenized by `gpt2` (gpt2_bpe) but checkpoint `runs/a` was trained with `bytes`"),
              std::string::npos)
        << r.err;
  }

  // Shards of a 50257-token vocabulary (no tokenizer to compare): the ids give it away.
  {
    fs::create_directories(root_ / "shards");
    std::vector<int32_t> tokens;
    for (int doc = 0; doc < 2; ++doc) {
      tokens.push_back(50256);
      for (int i = 0; i < 100; ++i) tokens.push_back(300 + i);
    }
    data::writeShard((root_ / "shards" / "big_000.bin").string(), tokens, {0, 101}, {50257, 50256, "gpt2"});
    plan::Plan g = plan::readPlanFile(runA_ + "/plan.json");
    g.datasets.resize(1);
    g.datasets[0] = plan::Dataset{"big", "shards", {(root_ / "shards" / "*.bin").string()}, "", "", 0.5, {}};
    std::ofstream(root_ / "shards-plan.json") << plan::planToText(g);
    r = recipec("eval runs/a on big --datasets-from shards-plan.json");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("dataset `big` holds token id 50256 but checkpoint `runs/a` has a vocabulary of 257"),
              std::string::npos)
        << r.err;
  }

  r = recipec("eval runs/a a");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("expected `recipec eval CKPT on DATASET"), std::string::npos) << r.err;
  r = recipec("analyze runs/a runs/b on a --mask spaces");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown token class `spaces`"), std::string::npos) << r.err;
}

}  // namespace
