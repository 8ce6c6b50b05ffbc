// test_token_class.cpp — token classes from decoded text, the similarity score and the NLL
// file, without LibTorch (runtime/analyze).
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/analyze/Analysis.h"
#include "runtime/analyze/EvalJob.h"
#include "runtime/analyze/TokenClass.h"
#include "runtime/data/Tokenizer.h"

using namespace recipec;
using namespace recipec::analyze;

namespace {

std::vector<std::string> classesOf(const data::Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> ids{tok.eotId()};
  tok.encodeInto(text, ids);
  const auto cls = classifyStream(ids, [&](int32_t id) { return tok.decode(&id, 1); }, tok.eotId());
  std::vector<std::string> out;
  for (auto c : cls) out.push_back(className(c));
  return out;
}

TEST(TokenClass, BytesAreClassifiedByTheCharacterTheyBelongTo) {
  data::ByteTokenizer tok;
  // <eot> "H" "i" "," " " "4" "2" "\n" "{" "é"(2 bytes) "中"(3 bytes)
  const auto c = classesOf(tok, "Hi, 42\n{\xC3\xA9\xE4\xB8\xAD");
  const std::vector<std::string> want{"special", "word_initial", "word_cont", "punctuation", "whitespace", "digits",
                                      "digits", "whitespace", "code", "word_initial", "word_initial", "cjk", "cjk", "cjk"};
  EXPECT_EQ(c, want);
}

TEST(TokenClass, Gpt2PiecesWithTheirLeadingSpace) {
  const std::string dir = std::string(RECIPEC_SOURCE_DIR) + "/data/gpt2";
  if (!std::filesystem::exists(dir + "/encoder.json")) GTEST_SKIP() << "no GPT-2 vocabulary in data/gpt2";
  const auto tok = data::loadTokenizer({"gpt2", "gpt2_bpe", dir, 0, -1});
  // " the" " unbelievable" -> " un" "believ" "able"?: every piece after the first of a word
  // is a continuation, a piece with a leading space starts one.
  const auto c = classesOf(*tok, "Hello the x == 3;\n\n");
  ASSERT_GE(c.size(), 7u);
  EXPECT_EQ(c[1], "word_initial");  // Hello
  EXPECT_EQ(c[2], "word_initial");  // " the"
  EXPECT_EQ(c[3], "word_initial");  // " x"
  EXPECT_EQ(c[4], "code");          // " =="
  EXPECT_EQ(c[5], "digits");        // " 3"
  EXPECT_EQ(c[6], "punctuation");   // ";"
  EXPECT_EQ(c.back(), "whitespace");  // "\n\n"
  const auto w = classesOf(*tok, "unbelievably");
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w[1], "word_initial");
  for (size_t i = 2; i < w.size(); ++i) EXPECT_EQ(w[i], "word_cont") << i;
}

TEST(TokenClass, MaskListsAreParsedAndUnknownNamesRefused) {
  EXPECT_EQ(parseClasses("whitespace,punctuation"),
            (std::vector<TokenClass>{TokenClass::kWhitespace, TokenClass::kPunctuation}));
  EXPECT_TRUE(parseClasses("none").empty());
  try {
    parseClasses("whitespace,spaces");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown token class `spaces`"), std::string::npos);
  }
}

TEST(TokenClass, EscapedTextKeepsTsvColumns) {
  EXPECT_EQ(escapeTokenText("a\tb\n"), "a\\tb\\n");
  EXPECT_EQ(escapeTokenText("\xE4"), "\\xE4");          // a lone lead byte
  EXPECT_EQ(escapeTokenText("\xE4\xB8\xAD"), "\xE4\xB8\xAD");
}

TEST(Similarity, JensenShannonBoundsAndSymmetry) {
  const std::vector<int64_t> p{10, 0, 5, 5}, q{0, 10, 5, 5}, disjoint{0, 0, 0, 0, 7};
  EXPECT_DOUBLE_EQ(jsSimilarity(p, p), 1.0);
  EXPECT_DOUBLE_EQ(jsSimilarity(p, std::vector<int64_t>{20, 0, 10, 10}), 1.0);  // scale-free
  EXPECT_DOUBLE_EQ(jsSimilarity(p, q), jsSimilarity(q, p));
  EXPECT_LT(jsSimilarity(p, q), 1.0);
  EXPECT_NEAR(jsSimilarity(p, disjoint), 0.0, 1e-12);
  // Half the mass disjoint: JSD = 0.5, similarity 0.5.
  EXPECT_NEAR(jsSimilarity({1, 1, 0}, {1, 0, 1}), 0.5, 1e-12);
}

TEST(Summaries, ClassesPartitionTheTokensAndMaskingLeavesClassesOut) {
  NllSet set;
  set.name = "d";
  set.seq_len = 4;
  set.blocks = 1;
  set.ids = {256, 1, 2, 3, 4};
  set.nll = {{1.0f, 2.0f, 3.0f, 4.0f}, {1.5f, 1.0f, 3.0f, 6.0f}};
  const std::vector<TokenClass> cls{TokenClass::kSpecial, TokenClass::kWhitespace, TokenClass::kDigits,
                                    TokenClass::kWhitespace, TokenClass::kPunctuation};
  const auto s = summarize("d", "val", set, cls, {TokenClass::kWhitespace});
  EXPECT_EQ(s.all.count, 4);
  EXPECT_DOUBLE_EQ(s.all.delta(), 0.5 - 1.0 + 0.0 + 2.0);
  EXPECT_EQ(s.classes[int(TokenClass::kWhitespace)].count, 2);
  EXPECT_DOUBLE_EQ(s.classes[int(TokenClass::kWhitespace)].delta(), 0.5);
  EXPECT_EQ(s.unmasked.count, 2);
  EXPECT_DOUBLE_EQ(s.unmasked.ppl(0), std::exp((2.0 + 4.0) / 2));
}

TEST(NllFile, RoundTrips) {
  const std::string path = testing::TempDir() + "/roundtrip.nll";
  NllData d;
  d.checkpoints = {"a", "b"};
  NllSet s;
  s.name = "x";
  s.seq_len = 2;
  s.blocks = 1;
  s.ids = {5, 6, 7};
  s.nll = {{0.25f, 1.5f}, {2.0f, 3.0f}};
  d.sets.push_back(s);
  writeNllFile(path, d);
  const NllData r = readNllFile(path);
  ASSERT_EQ(r.sets.size(), 1u);
  EXPECT_EQ(r.checkpoints, d.checkpoints);
  EXPECT_EQ(r.sets[0].ids, s.ids);
  EXPECT_EQ(r.sets[0].nll, s.nll);
  EXPECT_EQ(r.sets[0].seq_len, 2);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  EXPECT_THROW(readNllFile(path), std::runtime_error);
}

}  // namespace

namespace {

TEST(Correlation, SpearmanIsPearsonOfRanks) {
  // Monotone but not linear: Spearman 1, Pearson below 1.
  const std::vector<double> x{1, 2, 3, 4, 5}, y{1, 2, 4, 8, 100};
  EXPECT_DOUBLE_EQ(spearman(x, y), 1.0);
  EXPECT_LT(pearson(x, y), 0.9);
  EXPECT_DOUBLE_EQ(spearman(x, {5, 4, 3, 2, 1}), -1.0);
  EXPECT_TRUE(std::isnan(pearson({1, 2}, {2, 1})));      // fewer than 3 points
  EXPECT_TRUE(std::isnan(spearman(x, {3, 3, 3, 3, 3})));  // constant
}

}  // namespace
