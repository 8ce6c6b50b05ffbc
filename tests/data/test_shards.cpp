// test_shards.cpp — the .bin format (against an independent llm.c-style writer), corruption
// detection with named files, and prepare -> shards -> ids round trips.
#include <gtest/gtest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/Gpt2Bpe.h"
#include "runtime/data/Prepare.h"
#include "runtime/data/Shard.h"
#include "runtime/data/TextInput.h"
#include "tests/data/TestUtil.h"
#include "tests/data/MegatronWriter.h"

using namespace recipec::data;
using namespace recipec::data::testutil;

namespace {

// Written from the llm.c spec (dev/data/data_common.py write_datafile), sharing no code with
// Shard.cpp: 256 int32 header (magic, version, count), then uint16 tokens.
void writeLlmcShard(const std::string& path, const std::vector<uint16_t>& toks, int32_t magic = 20240520,
                    int32_t version = 1) {
  std::vector<int32_t> header(256, 0);
  header[0] = magic;
  header[1] = version;
  header[2] = int32_t(toks.size());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(header.data()), 1024);
  out.write(reinterpret_cast<const char*>(toks.data()), std::streamsize(toks.size() * 2));
}

// NumPy's .npy v1.0 from its format description (numpy.lib.format): magic, version, a
// little-endian header length, the header dict padded with spaces to a multiple of 64.
template <class T>
void writeNpy(const std::string& path, const std::vector<T>& data, const std::string& descr,
              const std::string& shape = "") {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" +
                       (shape.empty() ? std::to_string(data.size()) + "," : shape) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * sizeof(T)));
}

void expectContains(const std::string& s, const std::string& part) {
  EXPECT_NE(s.find(part), std::string::npos) << "message: " << s << "\nmissing: " << part;
}

}  // namespace

TEST(Shard, ReadsShardFromIndependentLlmcWriter) {
  TempDir tmp;
  // llm.c puts an end-of-text token (50256) before every document.
  std::vector<uint16_t> toks = {50256, 10, 11, 12, 50256, 20, 21, 50256, 30, 65535};
  writeLlmcShard(tmp / "a.bin", toks);
  ShardReader r(tmp / "a.bin", 50256);
  EXPECT_EQ(r.version(), 1);
  EXPECT_EQ(r.numTokens(), 10);
  EXPECT_FALSE(r.hasSidecar());
  EXPECT_EQ(r.docStarts(), (std::vector<int64_t>{0, 4, 7}));  // split at end-of-text tokens
  EXPECT_EQ(r.maxToken(), 65535);
  std::vector<int32_t> out(10);
  r.copyTokens(0, 10, out.data());
  for (size_t i = 0; i < toks.size(); ++i) EXPECT_EQ(out[i], toks[i]);
  // A stream that does not start with end-of-text still starts a document at 0.
  writeLlmcShard(tmp / "b.bin", {5, 6, 50256, 7});
  EXPECT_EQ(ShardReader(tmp / "b.bin", 50256).docStarts(), (std::vector<int64_t>{0, 2}));
}

TEST(Shard, WriterRoundTripAndWideTokens) {
  TempDir tmp;
  std::vector<int32_t> narrow = {0, 1, 65535, 7};
  writeShard(tmp / "n.bin", narrow, {0, 2}, {50257, 0, "t"});
  ShardReader n(tmp / "n.bin");
  EXPECT_EQ(n.version(), 1);
  EXPECT_TRUE(n.hasSidecar());
  EXPECT_EQ(n.docStarts(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(n.sidecarEot(), 0);
  EXPECT_EQ(readFile(tmp / "n.bin").size(), 1024u + 8u);
  std::vector<int32_t> wide = {0, 70000, 128255, 3};
  writeShard(tmp / "w.bin", wide, {0}, {128256, 1, "t"});
  ShardReader w(tmp / "w.bin");
  EXPECT_EQ(w.version(), 2);
  std::vector<int32_t> out(4);
  w.copyTokens(0, 4, out.data());
  EXPECT_EQ(out, wide);
  // Header fields are exactly the llm.c layout.
  std::string bytes = readFile(tmp / "w.bin");
  int32_t h[3];
  std::memcpy(h, bytes.data(), 12);
  EXPECT_EQ(h[0], 20240520);
  EXPECT_EQ(h[1], 2);
  EXPECT_EQ(h[2], 4);
}

TEST(Shard, CorruptShardsAreDetectedAndNamed) {
  TempDir tmp;
  std::vector<int32_t> toks(100);
  for (int i = 0; i < 100; ++i) toks[size_t(i)] = i;
  const std::string good = tmp / "good.bin";
  writeShard(good, toks, {0, 50}, {50257, 0, "t"});
  const std::string bytes = readFile(good);

  writeFile(tmp / "magic.bin", std::string("\x01\x02\x03\x04", 4) + bytes.substr(4));
  std::string m = errorOf([&] { ShardReader r(tmp / "magic.bin"); });
  expectContains(m, "magic.bin");
  expectContains(m, "bad magic");

  writeFile(tmp / "trunc.bin", bytes.substr(0, bytes.size() - 10));
  m = errorOf([&] { ShardReader r(tmp / "trunc.bin"); });
  expectContains(m, "trunc.bin");
  expectContains(m, "truncated");

  writeFile(tmp / "short.bin", bytes.substr(0, 500));
  expectContains(errorOf([&] { ShardReader r(tmp / "short.bin"); }), "header alone is 1024");

  writeFile(tmp / "extra.bin", bytes + "xx");
  expectContains(errorOf([&] { ShardReader r(tmp / "extra.bin"); }), "size mismatch");

  std::string flipped = bytes;
  flipped[1100] ^= 1;  // a token changes, the size does not: only the checksum can tell
  writeFile(tmp / "flip.bin", flipped);
  writeFile(tmp / "flip.bin.json", readFile(good + ".json"));
  m = errorOf([&] { ShardReader r(tmp / "flip.bin"); });
  expectContains(m, "flip.bin");
  expectContains(m, "checksum");
  EXPECT_EQ(errorOf([&] { ShardReader r(tmp / "flip.bin", -1, Verify::kSizeOnly); }), "");

  std::string ver = bytes;
  ver[4] = 9;
  writeFile(tmp / "ver.bin", ver);
  expectContains(errorOf([&] { ShardReader r(tmp / "ver.bin"); }), "unsupported version 9");

  expectContains(errorOf([&] { ShardReader r(tmp / "absent.bin"); }), "absent.bin");
}

TEST(Prepare, ShardsHoldExactlyTheTokenizedDocuments) {
  if (!haveGpt2()) GTEST_SKIP() << "no data/gpt2: run scripts/fetch_data.sh";
  TempDir tmp;
  std::vector<std::string> docs = {"First document.\nWith two lines.", "Second: 中文 and emoji 😀", "",
                                   "Third, the last one of file one."};
  std::string jsonl;
  for (const auto& d : docs) jsonl += nlohmann::json({{"body", d}, {"id", 1}}).dump() + "\n";
  writeFile(tmp / "in/a.jsonl", jsonl);
  writeFile(tmp / "in/sub/b.txt", "A whole file is one document.\n");
  Gpt2Bpe bpe(dataDir() + "/gpt2");
  PrepareOptions o;
  o.inputs = {"in/**/*.jsonl"};
  o.base_dir = tmp.path;
  o.json_field = "body";
  o.out_dir = "out";
  o.shard_tokens = 12;  // forces several shards; documents stay whole
  o.threads = 2;
  o.progress = Progress::kOff;
  PrepareResult r = prepare(o, bpe);
  std::vector<int32_t> expect;
  std::vector<std::vector<int32_t>> expect_docs;
  for (const auto& d : docs) {
    auto ids = bpe.encode(d);
    if (ids.empty()) continue;  // empty documents are skipped
    ids.insert(ids.begin(), bpe.eotId());
    expect_docs.push_back(ids);
    expect.insert(expect.end(), ids.begin(), ids.end());
  }
  EXPECT_EQ(r.docs, 3);
  EXPECT_EQ(r.tokens, int64_t(expect.size()));
  std::vector<int32_t> got;
  size_t doc = 0;
  for (const auto& s : r.shards) {
    ShardReader sr(s, bpe.eotId());
    EXPECT_TRUE(sr.hasSidecar());
    for (size_t k = 0; k < sr.docStarts().size(); ++k) {
      int64_t b = sr.docStarts()[k], e = k + 1 < sr.docStarts().size() ? sr.docStarts()[k + 1] : sr.numTokens();
      std::vector<int32_t> ids(size_t(e - b));
      sr.copyTokens(b, e - b, ids.data());
      ASSERT_LT(doc, expect_docs.size());
      EXPECT_EQ(ids, expect_docs[doc++]);
      got.insert(got.end(), ids.begin(), ids.end());
    }
  }
  EXPECT_EQ(got, expect);
  EXPECT_GE(r.shards.size(), 2u);
  auto manifest = nlohmann::json::parse(readFile(r.manifest));
  EXPECT_EQ(manifest["tokens"].get<int64_t>(), r.tokens);
  EXPECT_EQ(manifest["tokenizer"]["eot_id"].get<int>(), 50256);

  // The whole-file format: a .txt file is one document.
  PrepareOptions t = o;
  t.json_field = "";
  t.inputs = {"in/sub"};
  t.out_dir = "out_txt";
  PrepareResult rt = prepare(t, bpe);
  EXPECT_EQ(rt.docs, 1);
  EXPECT_EQ(rt.tokens, int64_t(bpe.encode("A whole file is one document.\n").size()) + 1);
}

TEST(Prepare, OutputIsIndependentOfThreadCountAndChunking) {
  TempDir tmp;
  std::string a, b;
  for (int i = 0; i < 300; ++i) a += nlohmann::json({{"text", "document number " + std::to_string(i) + " says hi"}}).dump() + "\n";
  for (int i = 0; i < 50; ++i) b += nlohmann::json({{"text", std::string(size_t(i % 7 + 1), 'x')}}).dump() + "\n";
  writeFile(tmp / "a.jsonl", a);
  writeFile(tmp / "b.jsonl", b);
  ByteTokenizer bytes;
  auto run = [&](int threads, int64_t chunk, const std::string& out) {
    PrepareOptions o;
    o.inputs = {tmp / "*.jsonl"};
    o.out_dir = tmp / out;
    o.threads = threads;
    o.chunk_bytes = chunk;
    o.shard_tokens = 2000;
    o.progress = Progress::kOff;
    return prepare(o, bytes);
  };
  PrepareResult one = run(1, 1 << 20, "one"), many = run(3, 333, "many");
  ASSERT_EQ(one.shards.size(), many.shards.size());
  EXPECT_EQ(one.docs, 350);
  for (size_t i = 0; i < one.shards.size(); ++i) {
    EXPECT_EQ(readFile(one.shards[i]), readFile(many.shards[i])) << "shard " << i;
    EXPECT_EQ(readFile(one.shards[i] + ".json"), readFile(many.shards[i] + ".json"));
  }
}

TEST(Prepare, BadInputsAreNamedWithFileAndLine) {
  TempDir tmp;
  writeFile(tmp / "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": 3}\n");
  ByteTokenizer bytes;
  PrepareOptions o;
  o.inputs = {tmp / "bad.jsonl"};
  o.out_dir = tmp / "out";
  o.progress = Progress::kOff;
  std::string m = errorOf([&] { prepare(o, bytes); });
  expectContains(m, "bad.jsonl:2");
  expectContains(m, "not a string");
  o.inputs = {tmp / "nothing/*.jsonl"};
  expectContains(errorOf([&] { prepare(o, bytes); }), "no files match");
}

TEST(TextInput, GlobsAreSortedAndRecursive) {
  TempDir tmp;
  for (const char* f : {"d/z.txt", "d/a.txt", "d/sub/m.txt", "d/sub/deep/k.txt", "d/.hidden.txt", "d/x.bin"})
    writeFile(tmp / f, "x");
  auto rel = [&](std::vector<std::string> v) {
    for (auto& s : v) s = s.substr(tmp.path.size() + 1);
    return v;
  };
  EXPECT_EQ(rel(expandGlobs({"d/*.txt"}, tmp.path)), (std::vector<std::string>{"d/a.txt", "d/z.txt"}));
  EXPECT_EQ(rel(expandGlobs({"d/**/*.txt"}, tmp.path)),
            (std::vector<std::string>{"d/a.txt", "d/sub/deep/k.txt", "d/sub/m.txt", "d/z.txt"}));
  EXPECT_EQ(rel(expandGlobs({"d/sub", "d/*.txt"}, tmp.path)),
            (std::vector<std::string>{"d/sub/deep/k.txt", "d/sub/m.txt", "d/a.txt", "d/z.txt"}));
}

TEST(Shard, NumpyTokenArraysSplitAtEndOfText) {
  TempDir tmp;
  // uint16, uint32 and int32 arrays of the same tokens: three documents, each after an eot (9).
  const std::vector<uint16_t> toks{9, 1, 2, 3, 9, 4, 5, 9, 6};
  writeNpy(tmp / "a.npy", toks, "<u2");
  writeNpy(tmp / "b.npy", std::vector<uint32_t>(toks.begin(), toks.end()), "<u4");
  writeNpy(tmp / "c.npy", std::vector<int32_t>(toks.begin(), toks.end()), "<i4");
  for (const char* name : {"a.npy", "b.npy", "c.npy"}) {
    ShardReader r(tmp / name, /*eot_id=*/9);
    EXPECT_EQ(r.numTokens(), 9);
    EXPECT_EQ(r.docStarts(), (std::vector<int64_t>{0, 4, 7})) << name;
    EXPECT_EQ(r.token(5), 4);
    EXPECT_EQ(r.maxToken(), 9);
  }
  // A negative id, a 2-D array, a float array and a short body are named errors.
  writeNpy(tmp / "neg.npy", std::vector<int32_t>{1, 2, -7, 3}, "<i4");
  expectContains(errorOf([&] { ShardReader r(tmp / "neg.npy", 9); }), "holds token id -7 at token offset 2");
  writeNpy(tmp / "two.npy", std::vector<uint16_t>{1, 2, 3, 4}, "<u2", "2, 2");
  expectContains(errorOf([&] { ShardReader r(tmp / "two.npy", 9); }), "token arrays are 1-D (N,)");
  writeNpy(tmp / "f.npy", std::vector<float>{1, 2}, "<f4");
  expectContains(errorOf([&] { ShardReader r(tmp / "f.npy", 9); }), "is a .npy array of `<f4`");
  writeNpy(tmp / "short.npy", std::vector<uint16_t>{1, 2}, "<u2", "5,");
  expectContains(errorOf([&] { ShardReader r(tmp / "short.npy", 9); }), "its .npy header declares 5 tokens");
}

TEST(Shard, MegatronIndexedDatasetsKeepTheirDocuments) {
  TempDir tmp;
  writeMegatron(tmp / "m", {{5, 6, 7}, {8}, {1, 2}});
  ShardReader r(tmp / "m.bin", /*eot_id=*/-1);
  EXPECT_EQ(r.numTokens(), 6);
  EXPECT_EQ(r.docStarts(), (std::vector<int64_t>{0, 3, 4}));  // the index's boundaries, no eot needed
  EXPECT_EQ(r.token(3), 8);
  // An index that disagrees with its .bin is a named error.
  std::ofstream(tmp / "m.bin", std::ios::app | std::ios::binary) << "xx";
  expectContains(errorOf([&] { ShardReader r2(tmp / "m.bin", -1); }), "holds 7 tokens, but its index");
}

