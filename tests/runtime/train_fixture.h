// train_fixture.h — shared helpers of the trainer tests: a temporary folder with a small
// synthetic text corpus (byte tokenizer), a tiny GPT-2 plan over it, and readers for the
// run directory. Each test gets its own folder and cache, so tests never share state.
#pragma once

#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/plan/Plan.h"

namespace recipec::train::testing {

namespace fs = std::filesystem;

class TrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "-" + info->name();
    for (char& c : name)
      if (c == '/') c = '_';  // parameterised tests: "Suite/Test/0"
    root_ = fs::temp_directory_path() / ("recipec-train-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "corpus" / "a");
    fs::create_directories(root_ / "corpus" / "b");
    ::setenv("RECIPEC_CACHE_DIR", (root_ / "cache").c_str(), 1);
    writeCorpus(root_ / "corpus" / "a", 40, 11, "the cat sat on the mat. ");
    writeCorpus(root_ / "corpus" / "b", 30, 12, "def f(x): return x + 1\n");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(root_);
  }

  // `docs` files of patterned text, varied enough that some blocks are harder than others.
  static void writeCorpus(const fs::path& dir, int docs, unsigned seed, const std::string& base) {
    std::mt19937 rng(seed);
    for (int d = 0; d < docs; ++d) {
      std::ofstream out(dir / ("doc" + std::to_string(d) + ".txt"));
      const int reps = 4 + int(rng() % 8);
      for (int r = 0; r < reps; ++r) {
        out << base;
        if (rng() % 3 == 0) out << char('a' + rng() % 26) << char('a' + rng() % 26) << ' ';
      }
    }
  }

  // A tiny GPT-2 over datasets `a` and `b`: 2 layers, d 32, seq 32, batch 8 in micro-batches
  // of 4, cosine schedule, one phase of `steps` steps mixing a:b 0.7:0.3.
  plan::Plan tinyPlan(int64_t steps) const {
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
      d.val_fraction = 0.1;
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
    p.models.push_back(m);
    p.train.model = "net";
    p.train.seq_len = 32;
    p.train.batch_seqs = 8;
    p.train.micro_batch = 4;
    p.train.optimizer.lr = 3e-3;
    p.train.optimizer.weight_decay = 0.1;
    p.train.schedule.kind = "cosine";
    p.train.schedule.warmup_steps = 2;
    p.train.schedule.min_lr = 3e-4;
    p.train.seed = 1234;
    plan::Phase ph;
    ph.name = "main";
    ph.duration = {double(steps), "steps", -1};
    ph.rules.push_back(mixRule());
    p.phases.push_back(ph);
    return p;
  }

  static plan::Rule mixRule() {
    plan::Rule r;
    r.action.kind = "mix";
    r.action.mixture = {{"a", 0.7, std::nullopt}, {"b", 0.3, 0.5}};
    r.source = "test:1:1";
    return r;
  }
  static plan::Rule rule(const std::string& kind, const std::string& source) {
    plan::Rule r;
    r.action.kind = kind;
    r.source = source;
    return r;
  }

  std::string writePlan(const plan::Plan& p, const std::string& name = "plan.json") const {
    const auto path = (root_ / name).string();
    std::ofstream(path) << plan::planToText(p);
    return path;
  }

  std::string runDir(const std::string& name) const { return (root_ / "runs" / name).string(); }

  // Lines of metrics.jsonl with "type" == type.
  static std::vector<nlohmann::json> metrics(const std::string& run_dir, const std::string& type) {
    std::vector<nlohmann::json> out;
    std::ifstream in(run_dir + "/metrics.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j.value("type", "") == type) out.push_back(j);
    }
    return out;
  }

  fs::path root_;
};

}  // namespace recipec::train::testing
