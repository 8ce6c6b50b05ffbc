// Analysis.h — what `recipec eval` and `recipec analyze` compute from per-token NLLs
// (docs/analyze.md; the paper's five questions, ../methods.md section 5). No LibTorch.
//
// Contract:
//   summarize: one dataset's totals from its NLL set (EvalJob.h) and the class of every
//   stream token (TokenClass.h, ids[0] included): per checkpoint the NLL sum over all N
//   tokens, over the tokens whose class is not masked, and per class. mean = sum / count,
//   ppl = exp(mean). Sums are in double, in stream order.
//   topTokens: per token id, the count and the summed change NLL_B - NLL_A over every
//   dataset, ordered by |change| descending (ties: lower id first); its class is the one
//   its occurrences have most often (a byte token's class depends on its context).
//   Similarity: unigram Jensen-Shannon similarity, 1 - JSD(P, Q) with log base 2, of the
//   token-count distributions P and Q: 1 for identical distributions (the maximum), 0 for
//   disjoint ones. Symmetric, bounded, and defined when a token occurs in only one of them.
//   pearson: the correlation of two equally long series, NaN when fewer than 3 points or
//   a series is constant; spearman: pearson of their ranks (ties get their average rank).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/analyze/EvalJob.h"
#include "runtime/analyze/TokenClass.h"

namespace recipec::analyze {

inline constexpr const char* kSimilarityMetric = "unigram-js";

struct Totals {
  int64_t count = 0;
  std::vector<double> nll_sum;  // per checkpoint
  double mean(size_t k) const { return count > 0 ? nll_sum[k] / double(count) : std::nan(""); }
  double ppl(size_t k) const { return std::exp(mean(k)); }
  double delta() const { return nll_sum.size() > 1 ? nll_sum[1] - nll_sum[0] : 0.0; }
};

struct DatasetSummary {
  std::string name, split;
  Totals all, unmasked;
  std::array<Totals, kNumTokenClasses> classes;
  double similarity = std::nan("");
};

// classes: one per ids entry (N + 1); mask: classes left out of `unmasked`.
DatasetSummary summarize(const std::string& name, const std::string& split, const NllSet& set,
                         const std::vector<TokenClass>& classes, const std::vector<TokenClass>& mask);

// The totals of several datasets added up (the "overall" line).
DatasetSummary combine(const std::vector<DatasetSummary>& parts);

struct TokenChange {
  int32_t id = 0;
  int64_t count = 0;
  double delta_sum = 0;
  TokenClass cls = TokenClass::kOther;
};
std::vector<TokenChange> topTokens(const std::vector<const NllSet*>& sets,
                                   const std::vector<const std::vector<TokenClass>*>& classes, size_t limit);

std::vector<int64_t> unigramCounts(const int32_t* ids, size_t n, size_t vocab);
double jsSimilarity(const std::vector<int64_t>& p, const std::vector<int64_t>& q);
double pearson(const std::vector<double>& x, const std::vector<double>& y);
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// --- output (Report.cpp) ---------------------------------------------------------------

struct CheckpointInfo {
  std::string path;
  int64_t step = -1;
};

nlohmann::json evalJson(const CheckpointInfo& ck, const std::vector<DatasetSummary>& sets, const DatasetSummary& overall,
                        const std::vector<TokenClass>& mask);
void printEval(std::FILE* out, const CheckpointInfo& ck, const std::vector<DatasetSummary>& sets,
               const DatasetSummary& overall, const std::vector<TokenClass>& mask);

struct AnalyzeResult {
  CheckpointInfo a, b;
  std::string reference;
  std::vector<DatasetSummary> datasets;  // with similarity
  DatasetSummary overall;
  std::vector<TokenClass> mask;
  std::vector<TokenChange> top;
  std::vector<std::string> top_text;     // decoded text of each top token
};
nlohmann::json analyzeJson(const AnalyzeResult& r);
void printAnalyze(std::FILE* out, const AnalyzeResult& r);

// Every token as a TSV row: dataset, index (stream position k), position (in its block,
// 0-based: it saw position + 1 tokens), id, class, text (escapeTokenText), then nll (one
// checkpoint) or nll_a, nll_b, delta (two). Floats with 9 significant digits (float32 exact).
void writePerTokenTsv(std::FILE* out, const std::vector<const NllSet*>& sets,
                      const std::vector<const std::vector<TokenClass>*>& classes, const DecodeFn& decode);

}  // namespace recipec::analyze
