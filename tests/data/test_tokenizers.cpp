// test_tokenizers.cpp — GPT-2 BPE against npm gpt-3-encoder (node) and SentencePiece against
// spm_encode, over the whole default corpus; known ids; round trips; training.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/Gpt2Bpe.h"
#include "runtime/data/SentencePiece.h"
#include "runtime/data/TextInput.h"
#include "tests/data/TestUtil.h"

using namespace recipec::data;
using namespace recipec::data::testutil;

namespace {

std::vector<std::string> corpusFiles() { return expandGlobs({"data/corpus/*/*/*.jsonl"}, sourceDir()); }

std::vector<std::string> readDocs(const std::vector<std::string>& files) {
  std::vector<std::string> docs;
  for (const auto& f : splitTextWork(files, "", 1 << 30))
    readDocuments(f, [&](std::string_view d) { docs.emplace_back(d); });
  return docs;
}

// Runs the npm package over `files`; returns one id vector per document, or skips.
bool nodeReference(const std::vector<std::string>& files, std::vector<std::vector<int32_t>>& out, std::string& why) {
  const std::string module = sourceDir() + "/.deps/node_modules/gpt-3-encoder";
  if (!haveCommand("node")) { why = "node is not installed"; return false; }
  if (!std::filesystem::exists(module + "/Encoder.js")) { why = "run scripts/fetch_data.sh (no " + module + ")"; return false; }
  TempDir tmp;
  std::string cmd = "node " + shellQuote(sourceDir() + "/tests/data/gpt2_reference.js") + " " + shellQuote(module) + " " +
                    shellQuote(tmp / "ref.bin");
  for (const auto& f : files) cmd += " " + shellQuote(f);
  if (std::system(cmd.c_str()) != 0) { why = "the node reference failed"; return false; }
  out = readIdLists(readFile(tmp / "ref.bin"));
  return true;
}

}  // namespace

TEST(Gpt2Bpe, KnownIdsAndSpecialToken) {
  if (!haveGpt2()) GTEST_SKIP() << "no data/gpt2: run scripts/fetch_data.sh";
  Gpt2Bpe bpe(dataDir() + "/gpt2");
  EXPECT_EQ(bpe.encode("Hello world"), (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(bpe.vocabSize(), 50257);
  EXPECT_EQ(bpe.eotId(), 50256);
  EXPECT_EQ(bpe.decode(std::vector<int32_t>{50256}), "<|endoftext|>");
  // The special token's text is ordinary text to encode(): documents are joined by the writer.
  auto ids = bpe.encode("<|endoftext|>");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 50256), 0);
  EXPECT_THROW(bpe.decode(std::vector<int32_t>{50257}), DataError);
}

TEST(Gpt2Bpe, MissingFilesAreNamed) {
  TempDir tmp;
  try {
    Gpt2Bpe bpe(tmp.path);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.json"), std::string::npos) << e.what();
  }
}

TEST(Gpt2Bpe, EdgeCasesMatchNpmPackage) {
  if (!haveGpt2()) GTEST_SKIP() << "no data/gpt2: run scripts/fetch_data.sh";
  const std::vector<std::string> cases = {
      "Hello world", "  leading and trailing   ", "tabs\tand\nnewlines\r\n\r\n  \n", "\n\n\n",
      "It's we're they've I'm you'll he'd 'S 'LL don't", "Numbers 12345 1,234.56 \xd9\xa3\xd9\xa4 \xe2\x85\xb7 x2",
      "caf\xc3\xa9 na\xc3\xafve \xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac \xe4\xb8\xad\xe6\x96\x87 \xed\x95\x9c",
      "Emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd fam \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
      "BOM\xef\xbb\xbfhere NEL\xc2\x85there nbsp\xc2\xa0x ideo\xe3\x80\x80sp", "e\xcc\x81 combining",
      "<|endoftext|> as text", "Punct!!! ??? ... --- ''' \"\"\" ,\" \"],[\" '',' \"\",\"\"", std::string(300, ' ') + "x",
      std::string(2000, 'a'), "\xe2\x80\xa8line\xe2\x80\xa9para", "tab\t\t\tx  \t y", "trailing space ",
      "{\"a\": [1, 2], \"b\": \"c\"},", "x = f(a, b) + g[\"k\"] # comment\n    return None\n"};
  TempDir tmp;
  std::string jsonl;
  for (const auto& c : cases) jsonl += nlohmann::json({{"text", c}}).dump() + "\n";
  writeFile(tmp / "edge.jsonl", jsonl);
  std::vector<std::vector<int32_t>> ref;
  std::string why;
  if (!nodeReference({tmp / "edge.jsonl"}, ref, why)) GTEST_SKIP() << why;
  Gpt2Bpe bpe(dataDir() + "/gpt2");
  ASSERT_EQ(ref.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(bpe.encode(cases[i]), ref[i]) << "case " << i << ": " << cases[i];
    EXPECT_EQ(bpe.decode(bpe.encode(cases[i])), cases[i]);
  }
}

TEST(Gpt2Bpe, WholeCorpusMatchesNpmPackage) {
  if (!haveGpt2() || !haveCorpus()) GTEST_SKIP() << "no data/: run scripts/fetch_data.sh";
  const auto files = corpusFiles();
  std::vector<std::vector<int32_t>> ref;
  std::string why;
  if (!nodeReference(files, ref, why)) GTEST_SKIP() << why;
  const auto docs = readDocs(files);
  ASSERT_EQ(ref.size(), docs.size());
  Gpt2Bpe bpe(dataDir() + "/gpt2");
  size_t bytes = 0, tokens = 0, mismatched = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<int32_t>> ours;
  for (const auto& d : docs) {
    ours.push_back(bpe.encode(d));
    bytes += d.size();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < docs.size(); ++i) {
    tokens += ref[i].size();
    if (ours[i] != ref[i] && ++mismatched <= 3) ADD_FAILURE() << "document " << i << " differs from gpt-3-encoder";
    if (i % 7 == 0) EXPECT_EQ(bpe.decode(ours[i]), docs[i]) << "round trip of document " << i;
  }
  EXPECT_EQ(mismatched, 0u);
  std::printf("[ parity  ] gpt2_bpe vs npm gpt-3-encoder: %zu documents, %zu tokens compared, %zu differ; "
              "C++ encode %.2f MB in %.3f s = %.1f MB/s (cold cache, 1 thread)\n",
              docs.size(), tokens, mismatched, bytes / 1e6, secs, bytes / 1e6 / secs);
}

TEST(Gpt2Bpe, BuiltinPretokenizerEqualsPcre2) {
  if (!haveGpt2()) GTEST_SKIP() << "no data/gpt2: run scripts/fetch_data.sh";
  if (!Gpt2Bpe::usesPcre2()) GTEST_SKIP() << "built without PCRE2: the node parity tests check the built-in matcher";
  // Fragments that exercise every branch: classes, contractions, the whitespace lookahead,
  // both space sets' differences, and invalid UTF-8 (lone lead/continuation bytes,
  // surrogates, overlongs, > U+10FFFF).
  const std::vector<std::string> frags = {
      "a", "Zq", "\xc3\xa9", "\xe4\xb8\xad", "\xd9\xa3", "\xe2\x85\xb7", "7", "_", "!", "...", "'", "'s", "'ll",
      "'RE", "'d", " ", "  ", "\n", "\t", "\r\n", "\x0b", "\xc2\xa0", "\xc2\x85", "\xef\xbb\xbf", "\xe3\x80\x80",
      "\xe2\x80\xa8", "\xcc\x81", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xe4\xb8", "\xed\xa0\x80",
      "\xf4\x90\x80\x80", "\xc0\xaf", "\x80", "\x1c"};
  uint64_t x = 12345;
  auto rnd = [&](uint64_t n) { x = x * 6364136223846793005ull + 1442695040888963407ull; return (x >> 33) % n; };
  std::vector<std::string> texts;
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    for (uint64_t k = 0, len = 1 + rnd(12); k < len; ++k) t += frags[rnd(frags.size())];
    texts.push_back(t);
  }
  if (haveCorpus())
    for (const auto& d : readDocs(corpusFiles())) texts.push_back(d);
  for (auto compat : {Gpt2Bpe::Compat::kNpm, Gpt2Bpe::Compat::kOpenAI}) {
    Gpt2Bpe bpe(dataDir() + "/gpt2", compat);
    size_t bad = 0;
    for (const auto& t : texts)
      if (bpe.pretokenize(t) != bpe.pretokenizeBuiltin(t) && ++bad <= 3) ADD_FAILURE() << "pieces differ for: " << t;
    EXPECT_EQ(bad, 0u);
  }
}

TEST(SentencePiece, WholeCorpusMatchesSpmEncode) {
  if (!haveSentencePiece()) GTEST_SKIP() << "built without libsentencepiece";
  if (!haveLlama() || !haveCorpus()) GTEST_SKIP() << "no data/: run scripts/fetch_data.sh";
  if (!haveCommand("spm_encode")) GTEST_SKIP() << "spm_encode is not installed (Debian package sentencepiece)";
  // spm_encode encodes line by line, so the comparison is per line of every document.
  std::vector<std::string> lines;
  for (const auto& d : readDocs(corpusFiles())) {
    size_t s = 0;
    while (s <= d.size()) {
      size_t nl = d.find('\n', s);
      if (nl == std::string::npos) nl = d.size();
      lines.push_back(d.substr(s, nl - s));
      s = nl + 1;
    }
  }
  TempDir tmp;
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  writeFile(tmp / "lines.txt", text);
  const std::string model = dataDir() + "/llama/tokenizer.model";
  std::string cmd = "spm_encode --model=" + shellQuote(model) + " --output_format=id < " + shellQuote(tmp / "lines.txt") +
                    " > " + shellQuote(tmp / "ids.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::istringstream ref(readFile(tmp / "ids.txt"));
  SentencePieceTokenizer sp(model);
  EXPECT_EQ(sp.vocabSize(), 32000);
  EXPECT_EQ(sp.eotId(), 2);
  EXPECT_EQ(sp.encode("Hello world!"), (std::vector<int32_t>{15043, 3186, 29991}));
  size_t tokens = 0, mismatched = 0;
  std::string line;
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(std::getline(ref, line)) << "spm_encode gave fewer lines";
    std::istringstream ls(line);
    std::vector<int32_t> want;
    int32_t v;
    while (ls >> v) want.push_back(v);
    tokens += want.size();
    if (sp.encode(lines[i]) != want && ++mismatched <= 3) ADD_FAILURE() << "line " << i << " differs: " << lines[i];
  }
  EXPECT_EQ(mismatched, 0u);
  std::printf("[ parity  ] sentencepiece vs spm_encode: %zu lines, %zu tokens compared, %zu differ\n", lines.size(),
              tokens, mismatched);
}

TEST(SentencePiece, TrainsATokenizerFromADataset) {
  if (!haveSentencePiece()) GTEST_SKIP() << "built without libsentencepiece";
  TempDir tmp;
  std::string jsonl;
  // Enough varied text for a 300-piece model without depending on data/.
  const char* words[] = {"data", "model", "token", "train", "recipe", "block", "mixture", "phase", "loss", "shard"};
  for (int i = 0; i < 400; ++i) {
    std::string t;
    for (int k = 0; k < 12; ++k) t += std::string(words[(i * 7 + k * 3) % 10]) + (k % 4 == 3 ? ".\n" : " ");
    jsonl += nlohmann::json({{"text", t}}).dump() + "\n";
  }
  writeFile(tmp / "in/docs.jsonl", jsonl);
  TrainTokenizerOptions o;
  o.inputs = {"in/*.jsonl"};
  o.base_dir = tmp.path;
  o.out_model = tmp / "tok/tokenizer.model";
  o.vocab_size = 300;
  o.threads = 1;
  auto r = trainSentencePiece(o);
  EXPECT_EQ(r.model_path, o.out_model);
  EXPECT_GT(r.sentences, 400);
  EXPECT_EQ(r.eot_id, 2);
  SentencePieceTokenizer sp(r.model_path);
  EXPECT_LE(sp.vocabSize(), 300);
  EXPECT_EQ(sp.decode(sp.encode("mixture phase loss")), "mixture phase loss");
  // Same input and options -> the same model bytes (the model records its own path, so the
  // second run writes to the same place).
  const std::string first = readFile(o.out_model);
  trainSentencePiece(o);
  EXPECT_TRUE(readFile(o.out_model) == first) << "retraining changed the model";
}

TEST(Tokenizer, LoadFromPlanChecksDeclaredSizes) {
  recipec::plan::Tokenizer spec;
  spec.name = "b";
  spec.kind = "bytes";
  auto t = loadTokenizer(spec);
  EXPECT_EQ(t->encode("hi"), (std::vector<int32_t>{'h', 'i'}));
  EXPECT_EQ(t->eotId(), 256);
  spec.vocab_size = 1000;
  EXPECT_THROW(loadTokenizer(spec), DataError);
  spec.vocab_size = 0;
  spec.kind = "wordpiece";
  try {
    loadTokenizer(spec);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("`wordpiece`"), std::string::npos);
  }
}
