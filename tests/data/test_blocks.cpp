// test_blocks.cpp — deterministic packing (block i = stream[i*T, i*T+T+1)), split by document,
// stability across rebuilds, and openDataset with its content-keyed token cache.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "runtime/data/Blocks.h"
#include "runtime/data/DataError.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Shard.h"
#include "tests/data/TestUtil.h"

using namespace recipec::data;
using namespace recipec::data::testutil;

namespace {
constexpr int32_t kEot = 256;

// Documents of distinct lengths as [eot, payload...], written over two shards.
std::vector<std::vector<int32_t>> makeDocs(int n) {
  std::vector<std::vector<int32_t>> docs;
  for (int d = 0; d < n; ++d) {
    std::vector<int32_t> doc = {kEot};
    for (int k = 0; k < 3 + (d * 5) % 11; ++k) doc.push_back((d * 31 + k) % 250);
    docs.push_back(doc);
  }
  return docs;
}

std::vector<std::string> writeDocs(const TempDir& tmp, const std::vector<std::vector<int32_t>>& docs, size_t split_at) {
  std::vector<std::string> paths;
  for (int s = 0; s < 2; ++s) {
    std::vector<int32_t> toks;
    std::vector<int64_t> starts;
    for (size_t d = s == 0 ? 0 : split_at; d < (s == 0 ? split_at : docs.size()); ++d) {
      starts.push_back(int64_t(toks.size()));
      toks.insert(toks.end(), docs[d].begin(), docs[d].end());
    }
    paths.push_back(tmp / ("s" + std::to_string(s) + ".bin"));
    writeShard(paths.back(), toks, starts, {257, kEot, "bytes-v1"});
  }
  return paths;
}
}  // namespace

TEST(Blocks, BlockIIsStreamWindowSharingOneBoundaryToken) {
  TempDir tmp;
  auto docs = makeDocs(40);
  auto corpus = std::make_shared<const TokenCorpus>(writeDocs(tmp, docs, 17), kEot);
  EXPECT_EQ(corpus->numDocs(), 40);
  std::vector<int32_t> stream;
  for (const auto& d : docs) stream.insert(stream.end(), d.begin(), d.end());
  for (int64_t T : {1, 4, 7, 64}) {
    BlockStore all(corpus, Split::kAll, 0.0, T);
    ASSERT_EQ(all.numTokens(), int64_t(stream.size()));
    ASSERT_EQ(all.numBlocks(), (int64_t(stream.size()) - 1) / T);
    std::vector<int32_t> blk(size_t(T + 1));
    for (int64_t i = 0; i < all.numBlocks(); ++i) {
      all.copyBlock(i, blk.data());
      ASSERT_TRUE(std::equal(blk.begin(), blk.end(), stream.begin() + i * T)) << "T=" << T << " block " << i;
    }
    EXPECT_THROW(all.copyBlock(all.numBlocks(), blk.data()), std::out_of_range);
  }
}

TEST(Blocks, SplitIsByDocumentAndCountsRound) {
  for (int64_t D : {1, 10, 33, 1000})
    for (double f : {0.0, 0.02, 0.1, 0.5}) {
      int64_t val = 0;
      for (int64_t i = 0; i < D; ++i) val += isValDocument(i, f);
      EXPECT_EQ(val, int64_t(std::floor(double(D) * f + 0.5))) << "D=" << D << " f=" << f;
    }
  TempDir tmp;
  auto docs = makeDocs(60);
  auto corpus = std::make_shared<const TokenCorpus>(writeDocs(tmp, docs, 25), kEot);
  const double f = 0.1;
  BlockStore train(corpus, Split::kTrain, f, 5), val(corpus, Split::kVal, f, 5);
  std::vector<int32_t> train_stream, val_stream;
  for (size_t d = 0; d < docs.size(); ++d)
    (isValDocument(int64_t(d), f) ? val_stream : train_stream).insert(
        (isValDocument(int64_t(d), f) ? val_stream : train_stream).end(), docs[d].begin(), docs[d].end());
  EXPECT_EQ(val.numDocs(), 6);
  EXPECT_EQ(train.numDocs(), 54);
  EXPECT_EQ(train.numTokens(), int64_t(train_stream.size()));
  EXPECT_EQ(val.numTokens(), int64_t(val_stream.size()));
  std::vector<int32_t> blk(6);
  for (int64_t i = 0; i < val.numBlocks(); ++i) {
    val.copyBlock(i, blk.data());
    EXPECT_TRUE(std::equal(blk.begin(), blk.end(), val_stream.begin() + i * 5));
  }
}

TEST(Blocks, BlockIdsAreStableAcrossRebuilds) {
  TempDir a, b;
  auto docs = makeDocs(50);
  // Same documents, different shard boundaries: the stream and so every block is the same.
  auto ca = std::make_shared<const TokenCorpus>(writeDocs(a, docs, 10), kEot);
  auto cb = std::make_shared<const TokenCorpus>(writeDocs(b, docs, 37), kEot);
  BlockStore sa(ca, Split::kTrain, 0.05, 16), sb(cb, Split::kTrain, 0.05, 16);
  ASSERT_EQ(sa.numBlocks(), sb.numBlocks());
  std::vector<int32_t> x(17), y(17);
  for (int64_t i = 0; i < sa.numBlocks(); ++i) {
    sa.copyBlock(i, x.data());
    sb.copyBlock(i, y.data());
    ASSERT_EQ(x, y) << "block " << i;
  }
}

TEST(Dataset, TextDatasetIsTokenizedOnceIntoAContentKeyedCache) {
  TempDir tmp;
  std::string jsonl;
  for (int i = 0; i < 200; ++i) jsonl += nlohmann::json({{"text", "doc " + std::to_string(i) + " hello there"}}).dump() + "\n";
  writeFile(tmp / "corpus/a.jsonl", jsonl);
  recipec::plan::Tokenizer tok;
  tok.name = "bytes";
  tok.kind = "bytes";
  recipec::plan::Dataset ds;
  ds.name = "web";
  ds.kind = "text";
  ds.paths = {"corpus/*.jsonl"};
  ds.tokenizer = "bytes";
  ds.val_fraction = 0.05;
  const std::string cache = tmp / "cache";
  OpenedDataset one = openDataset(ds, &tok, tmp.path, 32, cache, Progress::kOff);
  EXPECT_EQ(one.corpus->numDocs(), 200);
  EXPECT_EQ(one.val->numDocs(), 10);
  EXPECT_GT(one.train->numBlocks(), 0);
  const auto manifest_time = std::filesystem::last_write_time(std::filesystem::path(one.shards[0]).parent_path() / "manifest.json");
  OpenedDataset two = openDataset(ds, &tok, tmp.path, 32, cache, Progress::kOff);
  EXPECT_EQ(two.shards, one.shards);  // same cache entry, not rebuilt
  EXPECT_EQ(std::filesystem::last_write_time(std::filesystem::path(two.shards[0]).parent_path() / "manifest.json"),
            manifest_time);
  writeFile(tmp / "corpus/a.jsonl", jsonl + nlohmann::json({{"text", "one more"}}).dump() + "\n");
  OpenedDataset three = openDataset(ds, &tok, tmp.path, 32, cache, Progress::kOff);
  EXPECT_NE(three.shards, one.shards);  // content changed -> new key
  EXPECT_EQ(three.corpus->numDocs(), 201);
}

TEST(Dataset, ValSplitFromItsOwnFilesKeepsEveryTrainingDocument) {
  TempDir tmp;
  std::string train, val;
  for (int i = 0; i < 200; ++i) train += nlohmann::json({{"text", "train doc " + std::to_string(i) + " hello"}}).dump() + "\n";
  for (int i = 0; i < 30; ++i) val += nlohmann::json({{"text", "held out " + std::to_string(i) + " words here"}}).dump() + "\n";
  writeFile(tmp / "corpus/train/a.jsonl", train);
  writeFile(tmp / "corpus/val/a.jsonl", val);
  recipec::plan::Tokenizer tok;
  tok.name = tok.kind = "bytes";
  recipec::plan::Dataset ds;
  ds.name = "web";
  ds.kind = "text";
  ds.paths = {"corpus/train/*.jsonl"};
  ds.val_paths = {"corpus/val/*.jsonl"};
  ds.tokenizer = "bytes";
  OpenedDataset d = openDataset(ds, &tok, tmp.path, 32, tmp / "cache", Progress::kOff);
  EXPECT_EQ(d.corpus->numDocs(), 200);
  EXPECT_EQ(d.train->numDocs(), 200);  // nothing of train/ is held out
  EXPECT_EQ(d.val->numDocs(), 30);     // all of val/
  EXPECT_GT(d.val->numBlocks(), 0);
  std::vector<int32_t> block(33);
  d.val->copyBlock(0, block.data());
  std::string text;
  for (int32_t t : block) if (t < 256) text += char(t);  // bytes, without end-of-text tokens
  EXPECT_EQ(text.rfind("held out 0", 0), 0u) << text;   // the val blocks are the val files' text

  ds.val_paths = {"corpus/missing/*.jsonl"};
  EXPECT_THROW(openDataset(ds, &tok, tmp.path, 32, tmp / "cache", Progress::kOff), std::exception);
}

TEST(Dataset, ADatasetWithoutTextIsNamed) {
  TempDir tmp;
  writeFile(tmp / "empty/a.jsonl", "{\"text\": \"\"}\n");
  recipec::plan::Tokenizer tok;
  tok.name = tok.kind = "bytes";
  recipec::plan::Dataset ds;
  ds.name = "blank";
  ds.kind = "text";
  ds.paths = {"empty/*.jsonl"};
  ds.tokenizer = "bytes";
  try {
    openDataset(ds, &tok, tmp.path, 8, tmp / "cache", Progress::kOff);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("`blank`"), std::string::npos) << e.what();
  }
}

TEST(Dataset, ShardDatasetChecksVocabularyAndNeedsBoundaries) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "s");
  writeShard(tmp / "s/x.bin", {256, 1, 2, 300, 4}, {0}, {1000, 256, ""});
  recipec::plan::Dataset ds;
  ds.name = "s";
  ds.kind = "shards";
  ds.paths = {"s"};
  recipec::plan::Tokenizer tok;
  tok.name = "bytes";
  tok.kind = "bytes";
  try {
    openDataset(ds, &tok, tmp.path, 2, "", Progress::kOff);
    FAIL() << "token 300 must not pass a 257-id tokenizer";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("token id 300"), std::string::npos) << e.what();
  }
  // Without a tokenizer the sidecar supplies end-of-text and vocabulary.
  OpenedDataset ok = openDataset(ds, nullptr, tmp.path, 2, "", Progress::kOff);
  EXPECT_EQ(ok.train->numBlocks(), 2);
}
