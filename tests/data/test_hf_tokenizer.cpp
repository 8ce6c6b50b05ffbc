// test_hf_tokenizer.cpp — the `hf` tokenizer (a Hugging Face tokenizer.json) against Hugging
// Face's own `tokenizers` from PyPI, run in the same test: Llama-3's tokenizer.json on the
// whole default corpus and on edge cases, id for id; added tokens; refusals by name.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/HfTokenizer.h"
#include "runtime/data/TextInput.h"
#include "tests/data/TestUtil.h"

using namespace recipec::data;
using namespace recipec::data::testutil;

namespace {

std::string llama3() { return dataDir() + "/llama3"; }
bool haveLlama3() { return std::filesystem::exists(llama3() + "/tokenizer.json"); }

// The reference's ids for every JSON line of `files` (fails, never skips, without the venv).
std::vector<std::vector<int32_t>> reference(const std::string& tokenizer_json, const std::vector<std::string>& files) {
  TempDir tmp;
  std::string cmd = shellQuote(RECIPEC_REFERENCE_PYTHON) + " " + shellQuote(sourceDir() + "/tests/data/hf_reference.py") +
                    " " + shellQuote(tokenizer_json) + " " + shellQuote(tmp / "ref.bin");
  for (const auto& f : files) cmd += " " + shellQuote(f);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n(the reference needs `tokenizers` in .venv: scripts/setup.sh)";
  return readIdLists(readFile(tmp / "ref.bin"));
}

std::vector<std::string> readDocs(const std::vector<std::string>& files) {
  std::vector<std::string> docs;
  for (const auto& w : splitTextWork(files, "", 1 << 30))
    readDocuments(w, [&](std::string_view d) { docs.emplace_back(d); });
  return docs;
}

}  // namespace

TEST(HfTokenizer, Llama3WholeCorpusMatchesHuggingFace) {
  ASSERT_TRUE(haveLlama3() && haveCorpus()) << "no data/llama3 or corpus: run scripts/fetch_data.sh";
  const auto files = expandGlobs({"data/corpus/*/*/*.jsonl"}, sourceDir());
  const auto ref = reference(llama3() + "/tokenizer.json", files);
  const auto docs = readDocs(files);
  ASSERT_EQ(ref.size(), docs.size());
  HfTokenizer tok(llama3());
  size_t tokens = 0, mismatched = 0, bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<int32_t>> ours;
  for (const auto& d : docs) {
    ours.push_back(tok.encode(d));
    bytes += d.size();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < docs.size(); ++i) {
    tokens += ref[i].size();
    if (ours[i] != ref[i] && ++mismatched <= 3) ADD_FAILURE() << "document " << i << " differs from tokenizers";
    if (i % 5 == 0) EXPECT_EQ(tok.decode(ours[i]), docs[i]) << "round trip of document " << i;
  }
  EXPECT_EQ(mismatched, 0u);
  std::printf("[ parity  ] hf (Llama-3 tokenizer.json) vs tokenizers %s: %zu documents, %zu tokens compared, %zu differ; "
              "C++ encode %.2f MB in %.3f s = %.1f MB/s (1 thread)\n",
              "0.23.3", docs.size(), tokens, mismatched, bytes / 1e6, secs, bytes / 1e6 / secs);
}

TEST(HfTokenizer, Llama3EdgeCasesMatchHuggingFace) {
  ASSERT_TRUE(haveLlama3()) << "no data/llama3: run scripts/fetch_data.sh";
  const std::vector<std::string> cases = {
      "Hello world", "  leading and trailing   ", "tabs\tand\nnewlines\r\n\r\n  \n", "\n\n\n",
      "IT'S WE'RE THEY'VE I'M YOU'LL HE'D DON'T it's we're", "Numbers 1 12 123 1234 12345 1,234.56 3.14159",
      "\xe4\xb8\xad\xe6\x96\x87\xe6\xb5\x8b\xe8\xaf\x95 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
      "Emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd fam \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
      std::string(300, ' ') + "x", std::string(64, '\n') + "y", "tab\t\t\tx  \t y", "trailing space ",
      "caf\xc3\xa9 na\xc3\xafve \xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac", "e\xcc\x81 combining",
      "nbsp\xc2\xa0x ideo\xe3\x80\x80sp NEL\xc2\x85x", "<|begin_of_text|>Hi<|end_of_text|> <|eot_id|>x<|reserved_special_token_5|>",
      "x = f(a, b) + g[\"k\"] # comment\n    return None\n", std::string(3000, 'a')};
  TempDir tmp;
  std::string jsonl;
  for (const auto& c : cases) jsonl += nlohmann::json({{"text", c}}).dump() + "\n";
  writeFile(tmp / "edge.jsonl", jsonl);
  const auto ref = reference(llama3() + "/tokenizer.json", {tmp / "edge.jsonl"});
  HfTokenizer tok(llama3() + "/tokenizer.json");
  ASSERT_EQ(ref.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(tok.encode(cases[i]), ref[i]) << "case " << i << ": " << cases[i];
    EXPECT_EQ(tok.decode(tok.encode(cases[i])), cases[i]);
  }
  EXPECT_EQ(tok.vocabSize(), 128256);
  EXPECT_EQ(tok.eotId(), 128001);  // tokenizer_config.json's eos_token, <|end_of_text|>
  EXPECT_EQ(tok.bosId(), 128000);
}

// Llama-2's tokenizer.json (TinyLlama's is the same): U+2581 for spaces, byte fallback, BPE
// over whole texts between added tokens.
TEST(HfTokenizer, Llama2SentencePieceStyleMatchesHuggingFace) {
  const std::string dir = dataDir() + "/llama2-hf";
  ASSERT_TRUE(std::filesystem::exists(dir + "/tokenizer.json") && haveCorpus()) << "run scripts/fetch_data.sh";
  const auto files = expandGlobs({"data/corpus/*/*/*.jsonl"}, sourceDir());
  const auto ref = reference(dir + "/tokenizer.json", files);
  const auto docs = readDocs(files);
  ASSERT_EQ(ref.size(), docs.size());
  HfTokenizer tok(dir);
  size_t tokens = 0, mismatched = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    const auto ours = tok.encode(docs[i]);
    tokens += ref[i].size();
    if (ours != ref[i] && ++mismatched <= 3) ADD_FAILURE() << "document " << i << " differs from tokenizers";
    if (i % 5 == 0) EXPECT_EQ(tok.decode(ours), docs[i]) << "round trip of document " << i;
  }
  EXPECT_EQ(mismatched, 0u);
  std::printf("[ parity  ] hf (Llama-2 tokenizer.json, SentencePiece-style) vs tokenizers: %zu documents, "
              "%zu tokens compared, %zu differ\n", docs.size(), tokens, mismatched);
  // Edge cases: CJK and emoji through byte fallback, whitespace runs, special tokens in text.
  const std::vector<std::string> cases = {"Hello world", "  two  spaces ", "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80!",
                                          "tabs\tand\nnewlines\n\n", "<s>x</s> y", std::string(200, ' ') + "z", "DON'T 12345"};
  TempDir tmp;
  std::string jsonl;
  for (const auto& c : cases) jsonl += nlohmann::json({{"text", c}}).dump() + "\n";
  writeFile(tmp / "edge.jsonl", jsonl);
  const auto edge = reference(dir + "/tokenizer.json", {tmp / "edge.jsonl"});
  for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(tok.encode(cases[i]), edge[i]) << "case " << i << ": " << cases[i];
  EXPECT_EQ(tok.eotId(), 2);
  EXPECT_EQ(tok.bosId(), 1);
}

TEST(HfTokenizer, UnsupportedComponentsAreRefusedByName) {
  TempDir tmp;
  auto expectRefused = [&](const nlohmann::json& j, const std::string& part) {
    writeFile(tmp / "tokenizer.json", j.dump());
    try {
      HfTokenizer t(tmp.path);
      ADD_FAILURE() << "expected a refusal mentioning " << part;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  nlohmann::json metaspace = {{"model", {{"type", "BPE"}, {"byte_fallback", true}, {"vocab", {{"a", 0}}}, {"merges", nlohmann::json::array()}}},
                              {"normalizer", nullptr}, {"pre_tokenizer", {{"type", "Metaspace"}}}};
  expectRefused(metaspace, "uses byte_fallback without the SentencePiece normalizer");
  metaspace["model"]["byte_fallback"] = false;
  expectRefused(metaspace, "its pre-tokenizer is Metaspace");
  expectRefused({{"model", {{"type", "WordPiece"}}}}, "its model is WordPiece");
  expectRefused({{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", nlohmann::json::array()}}},
                 {"normalizer", {{"type", "NFKC"}}}},
                "it has a NFKC normalizer");
}
