// Analysis.cpp — totals, class breakdown, top tokens and similarity (contract in Analysis.h).
#include "runtime/analyze/Analysis.h"

#include <algorithm>
#include <map>

namespace recipec::analyze {
namespace {

void add(Totals& t, const NllSet& set, size_t k) {
  ++t.count;
  for (size_t c = 0; c < set.nll.size(); ++c) t.nll_sum[c] += double(set.nll[c][k]);
}

Totals zeros(size_t checkpoints) {
  Totals t;
  t.nll_sum.assign(checkpoints, 0.0);
  return t;
}

}  // namespace

DatasetSummary summarize(const std::string& name, const std::string& split, const NllSet& set,
                         const std::vector<TokenClass>& classes, const std::vector<TokenClass>& mask) {
  DatasetSummary s;
  s.name = name;
  s.split = split;
  const size_t K = set.nll.size();
  s.all = s.unmasked = zeros(K);
  for (auto& c : s.classes) c = zeros(K);
  bool masked[kNumTokenClasses] = {};
  for (TokenClass c : mask) masked[int(c)] = true;
  const auto N = size_t(set.tokens());
  for (size_t k = 0; k < N; ++k) {
    const TokenClass c = classes.at(k + 1);
    add(s.all, set, k);
    add(s.classes[size_t(c)], set, k);
    if (!masked[int(c)]) add(s.unmasked, set, k);
  }
  return s;
}

DatasetSummary combine(const std::vector<DatasetSummary>& parts) {
  DatasetSummary s;
  s.name = "overall";
  if (parts.empty()) return s;
  const size_t K = parts[0].all.nll_sum.size();
  s.all = s.unmasked = zeros(K);
  for (auto& c : s.classes) c = zeros(K);
  auto merge = [K](Totals& into, const Totals& t) {
    into.count += t.count;
    for (size_t k = 0; k < K; ++k) into.nll_sum[k] += t.nll_sum[k];
  };
  for (const auto& p : parts) {
    merge(s.all, p.all);
    merge(s.unmasked, p.unmasked);
    for (size_t c = 0; c < size_t(kNumTokenClasses); ++c) merge(s.classes[c], p.classes[c]);
  }
  return s;
}

std::vector<TokenChange> topTokens(const std::vector<const NllSet*>& sets,
                                   const std::vector<const std::vector<TokenClass>*>& classes, size_t limit) {
  std::map<int32_t, TokenChange> by_id;
  std::map<int32_t, std::array<int64_t, kNumTokenClasses>> class_counts;
  for (size_t d = 0; d < sets.size(); ++d) {
    const NllSet& s = *sets[d];
    if (s.nll.size() < 2) continue;
    for (size_t k = 0; k < size_t(s.tokens()); ++k) {
      TokenChange& t = by_id[s.ids[k + 1]];
      t.id = s.ids[k + 1];
      ++class_counts[t.id][size_t((*classes[d])[k + 1])];
      ++t.count;
      t.delta_sum += double(s.nll[1][k]) - double(s.nll[0][k]);
    }
  }
  std::vector<TokenChange> out;
  for (auto& [id, t] : by_id) {
    const auto& c = class_counts[id];
    t.cls = TokenClass(std::max_element(c.begin(), c.end()) - c.begin());  // its most frequent class
    out.push_back(t);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TokenChange& x, const TokenChange& y) { return std::abs(x.delta_sum) > std::abs(y.delta_sum); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<int64_t> unigramCounts(const int32_t* ids, size_t n, size_t vocab) {
  std::vector<int64_t> c(vocab, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto id = size_t(ids[i]);
    if (id >= c.size()) c.resize(id + 1, 0);
    ++c[id];
  }
  return c;
}

double jsSimilarity(const std::vector<int64_t>& p, const std::vector<int64_t>& q) {
  double np = 0, nq = 0;
  for (int64_t v : p) np += double(v);
  for (int64_t v : q) nq += double(v);
  if (np == 0 || nq == 0) return std::nan("");
  double jsd = 0;
  for (size_t i = 0; i < std::max(p.size(), q.size()); ++i) {
    const double a = i < p.size() ? double(p[i]) / np : 0.0;
    const double b = i < q.size() ? double(q[i]) / nq : 0.0;
    const double m = 0.5 * (a + b);
    if (a > 0) jsd += 0.5 * a * std::log2(a / m);
    if (b > 0) jsd += 0.5 * b * std::log2(b / m);
  }
  return 1.0 - std::clamp(jsd, 0.0, 1.0);
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 3) return std::nan("");
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= double(n);
  my /= double(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return std::nan("");
  return sxy / std::sqrt(sxx * syy);
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {  // ties share their average rank
      size_t j = i;
      while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
      for (size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * double(i + j) + 1.0;
      i = j + 1;
    }
    return r;
  };
  const size_t n = std::min(x.size(), y.size());
  return pearson(ranks(std::vector<double>(x.begin(), x.begin() + long(n))),
                 ranks(std::vector<double>(y.begin(), y.begin() + long(n))));
}

void writePerTokenTsv(std::FILE* out, const std::vector<const NllSet*>& sets,
                      const std::vector<const std::vector<TokenClass>*>& classes, const DecodeFn& decode) {
  const size_t K = sets.empty() ? 1 : sets[0]->nll.size();
  std::fputs(K == 1 ? "dataset\tindex\tposition\tid\tclass\ttext\tnll\n"
                    : "dataset\tindex\tposition\tid\tclass\ttext\tnll_a\tnll_b\tdelta\n",
             out);
  std::map<int32_t, std::string> texts;
  for (size_t d = 0; d < sets.size(); ++d) {
    const NllSet& s = *sets[d];
    for (size_t k = 1; k <= size_t(s.tokens()); ++k) {
      const int32_t id = s.ids[k];
      auto it = texts.find(id);
      if (it == texts.end()) it = texts.emplace(id, escapeTokenText(decode(id))).first;
      std::fprintf(out, "%s\t%zu\t%lld\t%d\t%s\t%s", s.name.c_str(), k, (long long)((int64_t(k) - 1) % s.seq_len), id,
                   className((*classes[d])[k]), it->second.c_str());
      if (K == 1) {
        std::fprintf(out, "\t%.9g\n", double(s.nll[0][k - 1]));
      } else {
        const double a = s.nll[0][k - 1], b = s.nll[1][k - 1];
        std::fprintf(out, "\t%.9g\t%.9g\t%.9g\n", a, b, b - a);
      }
    }
  }
}

}  // namespace recipec::analyze
