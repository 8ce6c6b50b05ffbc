// test_sampler.cpp — mixture proportions and schedules, passes, focus subsets, curricula,
// no-reuse rounds, and exact continuation after save/load of the state.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "runtime/data/DataError.h"
#include "runtime/data/Sampler.h"

using namespace recipec::data;
using Draws = std::vector<std::pair<int32_t, int64_t>>;

namespace {
Draws take(MixtureSampler& s, int n) {
  Draws out;
  for (int i = 0; i < n; ++i) {
    auto d = s.next();
    out.emplace_back(d.dataset, d.block);
  }
  return out;
}
MixtureSampler three(uint64_t seed = 7) { return MixtureSampler({{"web", 5000}, {"code", 300}, {"zh", 40}}, seed); }
}  // namespace

TEST(Sampler, RealisedProportionsWithinOnePercentOver10k) {
  for (uint64_t seed : {1ull, 2ull, 99ull}) {
    auto s = three(seed);
    s.setMixture(std::vector<double>{0.5, 0.3, 0.2});
    std::vector<int> count(3, 0);
    for (const auto& d : take(s, 10000)) ++count[size_t(d.first)];
    EXPECT_NEAR(count[0] / 10000.0, 0.5, 0.01) << "seed " << seed;
    EXPECT_NEAR(count[1] / 10000.0, 0.3, 0.01);
    EXPECT_NEAR(count[2] / 10000.0, 0.2, 0.01);
  }
  // Plan entries: weights are normalised; unnamed datasets get 0.
  auto s = three();
  s.setMixture(std::vector<recipec::plan::MixEntry>{{"web", 8, std::nullopt}, {"zh", 2, std::nullopt}}, 0);
  std::vector<int> count(3, 0);
  for (const auto& d : take(s, 10000)) ++count[size_t(d.first)];
  EXPECT_NEAR(count[0] / 10000.0, 0.8, 0.01);
  EXPECT_EQ(count[1], 0);
}

TEST(Sampler, LinearScheduleRampsOverThePhase) {
  auto s = three();
  s.setMixture(std::vector<recipec::plan::MixEntry>{{"web", 0.8, 0.2}, {"code", 0.2, 0.8}}, 10000);
  EXPECT_DOUBLE_EQ(s.progress(), 0.0);
  auto count = [&](int n) {
    int code = 0;
    for (const auto& d : take(s, n)) code += d.first == 1;
    return code / double(n);
  };
  EXPECT_NEAR(count(1000), 0.2 + 0.6 * 0.05, 0.01);  // mean progress 0.05 over the first 1000
  take(s, 8000);
  EXPECT_NEAR(s.progress(), 0.9, 1e-12);
  EXPECT_NEAR(count(1000), 0.2 + 0.6 * 0.95, 0.01);
  EXPECT_DOUBLE_EQ(s.progress(), 1.0);
  EXPECT_NEAR(count(5000), 0.8, 0.01);  // holds the end weights after the ramp
}

TEST(Sampler, EachPassIsAShuffledPermutation) {
  MixtureSampler s({{"a", 100}}, 3);
  std::vector<std::vector<int64_t>> passes(3);
  for (int p = 0; p < 3; ++p)
    for (const auto& d : take(s, 100)) passes[size_t(p)].push_back(d.second);
  for (auto pass : passes) {
    std::sort(pass.begin(), pass.end());
    for (int64_t i = 0; i < 100; ++i) ASSERT_EQ(pass[size_t(i)], i);
  }
  EXPECT_NE(passes[0], passes[1]);
  EXPECT_EQ(s.pass(0), 2);  // the third pass (0-based) is complete; the next draw starts pass 3
  EXPECT_EQ(s.positionInPass(0), 100);
  MixtureSampler again({{"a", 100}}, 3), other({{"a", 100}}, 4);
  EXPECT_EQ(take(again, 300), [&] { MixtureSampler x({{"a", 100}}, 3); return take(x, 300); }());
  EXPECT_NE(take(other, 100), [&] { MixtureSampler x({{"a", 100}}, 3); return take(x, 100); }());
}

TEST(Sampler, AllowedSubsetAndCurriculumOrder) {
  auto s = three();
  s.setMixture(std::vector<double>{1, 0, 0});
  std::vector<int64_t> hard = {5, 17, 4000, 23, 999};
  s.setAllowed(0, hard);
  EXPECT_EQ(s.passLength(0), 5);
  std::multiset<int64_t> seen;
  for (const auto& d : take(s, 50)) seen.insert(d.second);
  for (int64_t id : hard) EXPECT_EQ(seen.count(id), 10u);
  s.clearAllowed(0);
  EXPECT_EQ(s.passLength(0), 5000);

  std::vector<int64_t> order = {9, 3, 7, 1};  // e.g. ascending perplexity
  s.setOrder(0, order);
  std::vector<int64_t> got;
  for (const auto& d : take(s, 8)) got.push_back(d.second);
  EXPECT_EQ(got, (std::vector<int64_t>{9, 3, 7, 1, 9, 3, 7, 1}));
  EXPECT_THROW(s.setOrder(0, {1, 1}), std::invalid_argument);
  EXPECT_THROW(s.setAllowed(0, {5000}), std::out_of_range);
}

TEST(Sampler, NoReuseNeverRepeatsAcrossPhasesAndExhausts) {
  MixtureSampler s({{"small", 30}, {"big", 200}}, 11);
  s.setNoReuse(true);
  s.setMixture(std::vector<double>{0.5, 0.5});
  std::set<std::pair<int32_t, int64_t>> used;
  for (const auto& d : take(s, 40)) ASSERT_TRUE(used.insert(d).second);
  // A new phase: new mixture and an LFR-style focus subset; consumed blocks stay consumed.
  s.setMixture(std::vector<double>{0.9, 0.1});
  std::vector<int64_t> focus;
  for (int64_t i = 0; i < 30; i += 2) focus.push_back(i);
  s.setAllowed(0, focus);
  for (int i = 0; i < 150; ++i) {
    auto d = s.next();
    ASSERT_TRUE(used.insert({d.dataset, d.block}).second) << "reused block " << d.block << " of " << d.dataset;
    if (d.dataset == 0) ASSERT_EQ(d.block % 2, 0);
  }
  EXPECT_TRUE(s.exhausted(0));  // every focus block is used: `small` dropped out of the mixture
  EXPECT_EQ(s.currentWeights()[0], 0.0);
  while (!s.exhausted(1)) ASSERT_TRUE(used.insert([&] { auto d = s.next(); return std::make_pair(d.dataset, d.block); }()).second);
  EXPECT_EQ(s.consumedCount(1), 200);
  EXPECT_THROW(s.next(), DataError);
}

TEST(Sampler, SaveLoadContinuesIdentically) {
  auto a = three(42);
  a.setMixture(std::vector<double>{0.2, 0.5, 0.3}, std::vector<double>{0.6, 0.2, 0.2}, 3000);
  take(a, 700);
  a.setAllowed(0, {1, 2, 3, 50, 60, 70, 4999});
  a.setOrder(2, {39, 0, 12, 5});
  take(a, 555);
  a.setNoReuse(1, true);
  take(a, 100);
  const std::string state = a.saveState();
  const Draws expect = take(a, 3000);

  auto b = three(42);
  b.loadState(state);
  EXPECT_EQ(b.saveState(), state);
  EXPECT_EQ(take(b, 3000), expect);
  EXPECT_EQ(b.saveState(), a.saveState());

  MixtureSampler wrong({{"web", 5001}, {"code", 300}, {"zh", 40}}, 42);
  EXPECT_THROW(wrong.loadState(state), DataError);
  EXPECT_THROW(wrong.loadState("{\"format\":\"x\"}"), DataError);
}

TEST(Sampler, ReapplyingAnAnchoredPhaseMixtureAfterResumeChangesNothing) {
  const std::vector<recipec::plan::MixEntry> mix = {{"web", 0.2, 0.7}, {"code", 0.8, 0.3}};
  auto a = three(3);
  a.setMixtureAt(mix, 0, 4000);  // phase starts at sample 0 and ramps over 4000 samples
  take(a, 1500);
  const std::string state = a.saveState();
  auto b = three(3);
  b.loadState(state);
  b.setMixtureAt(mix, 0, 4000);  // the trainer re-enters the phase after a resume
  EXPECT_EQ(b.saveState(), state);
  EXPECT_EQ(take(b, 500), take(a, 500));
  // Re-applying the same focus subset and order is a no-op too; a different one is not.
  a.setAllowed(0, {4, 8, 15, 16, 23, 42});
  a.setOrder(2, {3, 1, 2});
  take(a, 77);
  const std::string mid = a.saveState();
  b.loadState(mid);
  b.setAllowed(0, {42, 23, 16, 15, 8, 4});
  b.setOrder(2, {3, 1, 2});
  b.clearOrder(1);
  EXPECT_EQ(b.saveState(), mid);
  b.setAllowed(0, {4, 8});
  EXPECT_NE(b.saveState(), mid);
  b.loadState(mid);
  EXPECT_EQ(take(b, 500), take(a, 500));
  EXPECT_NEAR(b.progress(), (1500 + 500 + 77 + 500) / 4000.0, 1e-12);
}
