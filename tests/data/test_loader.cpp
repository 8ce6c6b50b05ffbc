// test_loader.cpp — the prefetching loader gives exactly the sequential batches, checkpoints
// the state of the last CONSUMED batch, reconfigures deterministically, and shuts down.
#include <gtest/gtest.h>

#include "runtime/data/DataError.h"
#include "runtime/data/Loader.h"
#include "runtime/data/Shard.h"
#include "tests/data/TestUtil.h"

using namespace recipec::data;
using namespace recipec::data::testutil;

namespace {
struct Fixture {
  TempDir tmp;
  std::vector<std::shared_ptr<const BlockStore>> stores;
  Fixture() {
    for (int d = 0; d < 2; ++d) {
      std::vector<int32_t> toks;
      std::vector<int64_t> starts;
      for (int doc = 0; doc < 40 + 30 * d; ++doc) {
        starts.push_back(int64_t(toks.size()));
        toks.push_back(256);
        for (int k = 0; k < 20 + doc % 9; ++k) toks.push_back((doc * 13 + k + d * 100) % 256);
      }
      const std::string p = tmp / ("d" + std::to_string(d) + ".bin");
      writeShard(p, toks, starts, {257, 256, "bytes-v1"});
      auto corpus = std::make_shared<const TokenCorpus>(std::vector<std::string>{p}, 256);
      stores.push_back(std::make_shared<const BlockStore>(corpus, Split::kTrain, 0.1, 16));
    }
  }
  MixtureSampler sampler(uint64_t seed = 5) const {
    MixtureSampler s({{"a", stores[0]->numBlocks()}, {"b", stores[1]->numBlocks()}}, seed);
    s.setMixture(std::vector<double>{0.3, 0.7});
    return s;
  }
  // What batch `b` must contain, computed without threads.
  Batch reference(MixtureSampler& s, int64_t B) const {
    Batch b;
    b.tokens.resize(size_t(B * 17));
    for (int64_t i = 0; i < B; ++i) {
      auto d = s.next();
      b.block_ids.push_back(d.block);
      b.dataset_ids.push_back(d.dataset);
      stores[size_t(d.dataset)]->copyBlock(d.block, b.tokens.data() + i * 17);
    }
    return b;
  }
};
}  // namespace

TEST(Loader, BatchesEqualSequentialSamplingWhateverTheTiming) {
  Fixture f;
  auto ref = f.sampler();
  Loader loader(f.stores, f.sampler(), {6, 3});
  for (int k = 0; k < 60; ++k) {
    Batch got = loader.next(), want = f.reference(ref, 6);
    ASSERT_EQ(got.index, k);
    ASSERT_EQ(got.tokens, want.tokens) << "batch " << k;
    ASSERT_EQ(got.block_ids, want.block_ids);
    ASSERT_EQ(got.dataset_ids, want.dataset_ids);
  }
  // The checkpoint state is that of the consumed batches, not of what was prefetched.
  EXPECT_EQ(loader.state(), ref.saveState());
  EXPECT_EQ(loader.batchesConsumed(), 60);
}

TEST(Loader, ResumeFromStateContinuesTheSameStream) {
  Fixture f;
  Loader a(f.stores, f.sampler(), {4, 4});
  for (int k = 0; k < 10; ++k) a.next();
  const std::string state = a.state();
  std::vector<Batch> expect;
  for (int k = 0; k < 10; ++k) expect.push_back(a.next());
  auto restored = f.sampler(5);
  restored.loadState(state);
  Loader b(f.stores, restored, {4, 2});
  for (int k = 0; k < 10; ++k) {
    Batch got = b.next();
    ASSERT_EQ(got.tokens, expect[size_t(k)].tokens);
    ASSERT_EQ(got.block_ids, expect[size_t(k)].block_ids);
  }
}

TEST(Loader, ReconfigureAppliesAtTheConsumptionPoint) {
  Fixture f;
  auto ref = f.sampler();
  Loader loader(f.stores, f.sampler(), {5, 4});
  for (int k = 0; k < 5; ++k) loader.next(), f.reference(ref, 5);
  auto focus = [](MixtureSampler& s) {
    s.setAllowed(0, {1, 2, 3});
    s.setMixture(std::vector<double>{1, 0});
  };
  loader.reconfigure(focus);
  focus(ref);
  for (int k = 0; k < 5; ++k) {
    Batch got = loader.next(), want = f.reference(ref, 5);
    ASSERT_EQ(got.block_ids, want.block_ids);
    for (int64_t id : got.block_ids) EXPECT_TRUE(id >= 1 && id <= 3);
  }
  // A change that throws leaves the loader serving the old configuration.
  EXPECT_THROW(loader.reconfigure([](MixtureSampler& s) { s.setAllowed(0, {-1}); }), std::out_of_range);
  EXPECT_EQ(loader.next().block_ids, f.reference(ref, 5).block_ids);
}

TEST(Loader, ProducerErrorsSurfaceAfterTheGoodBatches) {
  Fixture f;
  auto s = f.sampler();
  s.setNoReuse(true);
  const int64_t total = f.stores[0]->numBlocks() + f.stores[1]->numBlocks();
  Loader loader(f.stores, s, {4, 3});
  int64_t delivered = 0;
  try {
    for (;;) {
      loader.next();
      delivered += 4;
    }
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos);
  }
  EXPECT_EQ(delivered, total / 4 * 4);
}

TEST(Loader, DestroysCleanlyWithAFullQueue) {
  Fixture f;
  for (int i = 0; i < 20; ++i) {
    Loader loader(f.stores, f.sampler(uint64_t(i)), {3, 2});
    if (i % 2) loader.next();
  }
  SUCCEED();
}
