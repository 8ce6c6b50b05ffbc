// Report.cpp — the terminal tables and the JSON of `recipec eval` / `recipec analyze`
// (schema in docs/analyze.md; `recipec report` reads the analyze JSON, so keys stay).
#include <algorithm>
#include <numeric>

#include "runtime/analyze/Analysis.h"

namespace recipec::analyze {
namespace {

nlohmann::json ckJson(const CheckpointInfo& c) {
  return {{"path", c.path}, {"step", c.step}};
}

std::vector<std::string> maskNames(const std::vector<TokenClass>& mask) {
  std::vector<std::string> out;
  for (TokenClass c : mask) out.push_back(className(c));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "none" : s;
}

// Classes with tokens, largest |change| first (eval: most tokens first).
std::vector<size_t> classOrder(const DatasetSummary& s, bool by_delta) {
  std::vector<size_t> idx;
  for (size_t c = 0; c < size_t(kNumTokenClasses); ++c)
    if (s.classes[c].count > 0) idx.push_back(c);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) {
    return by_delta ? std::abs(s.classes[x].delta()) > std::abs(s.classes[y].delta())
                    : s.classes[x].count > s.classes[y].count;
  });
  return idx;
}

nlohmann::json classesJson(const DatasetSummary& s, bool two) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t c : classOrder(s, two)) {
    const Totals& t = s.classes[c];
    nlohmann::json e{{"class", className(TokenClass(c))}, {"count", t.count}};
    if (two) {
      e["delta_nll_sum"] = t.delta();
      e["mean_delta"] = t.delta() / double(t.count);
      e["mean_nll_a"] = t.mean(0);
      e["mean_nll_b"] = t.mean(1);
    } else {
      e["nll_sum"] = t.nll_sum[0];
      e["mean_nll"] = t.mean(0);
    }
    out.push_back(e);
  }
  return out;
}

// The dataset column: wide enough for the longest name (a glob can be long).
int nameWidth(const std::vector<DatasetSummary>& sets, int least) {
  size_t w = size_t(least);
  for (const auto& s : sets) w = std::max(w, s.name.size());
  return int(w);
}

std::string stepText(const CheckpointInfo& c) {
  return c.step >= 0 ? " (step " + std::to_string(c.step) + ")" : "";
}

}  // namespace

nlohmann::json evalJson(const CheckpointInfo& ck, const std::vector<DatasetSummary>& sets, const DatasetSummary& overall,
                        const std::vector<TokenClass>& mask) {
  nlohmann::json j{{"type", "eval"}, {"checkpoint", ckJson(ck)}, {"datasets", nlohmann::json::array()}};
  for (const auto& s : sets)
    j["datasets"].push_back({{"name", s.name}, {"split", s.split}, {"tokens", s.all.count}, {"mean_nll", s.all.mean(0)},
                             {"ppl", s.all.ppl(0)}, {"masked_ppl", s.unmasked.ppl(0)}, {"classes", classesJson(s, false)}});
  j["overall"] = {{"tokens", overall.all.count}, {"mean_nll", overall.all.mean(0)}, {"ppl", overall.all.ppl(0)}};
  j["masked"] = {{"mask", maskNames(mask)}, {"tokens", overall.unmasked.count}, {"ppl", overall.unmasked.ppl(0)}};
  j["classes"] = classesJson(overall, false);
  return j;
}

void printEval(std::FILE* out, const CheckpointInfo& ck, const std::vector<DatasetSummary>& sets,
               const DatasetSummary& overall, const std::vector<TokenClass>& mask) {
  std::fprintf(out, "checkpoint %s%s\n\n", ck.path.c_str(), stepText(ck).c_str());
  const int w = nameWidth(sets, 16);
  std::fprintf(out, "%-*s %-6s %10s %10s %10s %12s\n", w, "dataset", "split", "tokens", "mean NLL", "ppl", "masked ppl");
  auto row = [&](const DatasetSummary& s, const char* split) {
    std::fprintf(out, "%-*s %-6s %10lld %10.4f %10.3f %12.3f\n", w, s.name.c_str(), split, (long long)s.all.count,
                 s.all.mean(0), s.all.ppl(0), s.unmasked.ppl(0));
  };
  for (const auto& s : sets) row(s, s.split.c_str());
  if (sets.size() > 1) row(overall, "");
  std::fprintf(out, "\nmasked ppl leaves out: %s\n", joined(maskNames(mask)).c_str());
  std::fprintf(out, "\n%-14s %10s %8s %10s\n", "class", "tokens", "share", "mean NLL");
  for (size_t c : classOrder(overall, false)) {
    const Totals& t = overall.classes[c];
    std::fprintf(out, "%-14s %10lld %7.1f%% %10.4f\n", className(TokenClass(c)), (long long)t.count,
                 100.0 * double(t.count) / double(std::max<int64_t>(1, overall.all.count)), t.mean(0));
  }
}

nlohmann::json analyzeJson(const AnalyzeResult& r) {
  nlohmann::json j{{"type", "analyze"},       {"a", ckJson(r.a)},
                   {"b", ckJson(r.b)},        {"reference", r.reference},
                   {"similarity_metric", kSimilarityMetric}, {"datasets", nlohmann::json::array()}};
  std::vector<double> sim, change;
  for (const auto& s : r.datasets) {
    j["datasets"].push_back({{"name", s.name},
                             {"split", s.split},
                             {"tokens", s.all.count},
                             {"ppl_a", s.all.ppl(0)},
                             {"ppl_b", s.all.ppl(1)},
                             {"mean_nll_a", s.all.mean(0)},
                             {"mean_nll_b", s.all.mean(1)},
                             {"similarity", s.similarity},
                             {"delta_nll_sum", s.all.delta()},
                             {"masked_ppl_a", s.unmasked.ppl(0)},
                             {"masked_ppl_b", s.unmasked.ppl(1)},
                             {"classes", classesJson(s, true)}});
    sim.push_back(s.similarity);
    change.push_back(100.0 * (s.all.ppl(1) / s.all.ppl(0) - 1.0));
  }
  j["overall"] = {{"tokens", r.overall.all.count},         {"ppl_a", r.overall.all.ppl(0)},
                  {"ppl_b", r.overall.all.ppl(1)},         {"mean_nll_a", r.overall.all.mean(0)},
                  {"mean_nll_b", r.overall.all.mean(1)},   {"delta_nll_sum", r.overall.all.delta()}};
  j["classes"] = classesJson(r.overall, true);
  j["top_tokens"] = nlohmann::json::array();
  for (size_t i = 0; i < r.top.size(); ++i)
    j["top_tokens"].push_back({{"id", r.top[i].id},
                               {"text", r.top_text[i]},
                               {"count", r.top[i].count},
                               {"delta_nll_sum", r.top[i].delta_sum},
                               {"class", className(r.top[i].cls)}});
  j["masked"] = {{"mask", maskNames(r.mask)},
                 {"tokens", r.overall.unmasked.count},
                 {"ppl_a", r.overall.unmasked.ppl(0)},
                 {"ppl_b", r.overall.unmasked.ppl(1)}};
  j["correlation"] = {{"of", "similarity vs ppl change %"}, {"datasets", sim.size()},
                      {"pearson", pearson(sim, change)}, {"spearman", spearman(sim, change)}};
  return j;
}

void printAnalyze(std::FILE* out, const AnalyzeResult& r) {
  std::fprintf(out, "A  %s%s\nB  %s%s\n", r.a.path.c_str(), stepText(r.a).c_str(), r.b.path.c_str(), stepText(r.b).c_str());
  std::fprintf(out, "similarity: %s (1 - Jensen-Shannon divergence of token counts, log2) against %s\n\n",
               kSimilarityMetric, r.reference.c_str());

  std::vector<size_t> order(r.datasets.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return r.datasets[x].similarity > r.datasets[y].similarity; });
  const std::string mask = joined(maskNames(r.mask));
  const int w = nameWidth(r.datasets, 14);
  std::fprintf(out, "%-*s %8s %10s %9s %9s %8s %11s %11s\n", w, "dataset", "tokens", "similarity", "ppl A", "ppl B",
               "change", "masked A", "masked B");
  std::vector<double> sim, change;
  for (size_t i : order) {
    const auto& s = r.datasets[i];
    const double pct = 100.0 * (s.all.ppl(1) / s.all.ppl(0) - 1.0);
    sim.push_back(s.similarity);
    change.push_back(pct);
    std::fprintf(out, "%-*s %8lld %10.4f %9.3f %9.3f %+7.1f%% %11.3f %11.3f\n", w, s.name.c_str(), (long long)s.all.count,
                 s.similarity, s.all.ppl(0), s.all.ppl(1), pct, s.unmasked.ppl(0), s.unmasked.ppl(1));
  }
  if (r.datasets.size() > 1) {
    const auto& o = r.overall;
    std::fprintf(out, "%-*s %8lld %10s %9.3f %9.3f %+7.1f%% %11.3f %11.3f\n", w, "overall", (long long)o.all.count, "",
                 o.all.ppl(0), o.all.ppl(1), 100.0 * (o.all.ppl(1) / o.all.ppl(0) - 1.0), o.unmasked.ppl(0),
                 o.unmasked.ppl(1));
  }
  std::fprintf(out, "masked: ppl without %s tokens\n", mask.c_str());
  if (const double r_p = pearson(sim, change), r_s = spearman(sim, change); !std::isnan(r_p) || !std::isnan(r_s))
    std::fprintf(out, "similarity vs ppl change over %zu datasets: Spearman rho %+.3f, Pearson r %+.3f\n", sim.size(),
                 r_s, r_p);

  const double total = r.overall.all.delta();
  std::fprintf(out, "\nchange by token class, all datasets (delta = NLL_B - NLL_A, summed over tokens; total %+.1f)\n",
               total);
  std::fprintf(out, "%-14s %10s %12s %8s %10s %10s %10s\n", "class", "tokens", "delta sum", "share", "mean delta",
               "NLL A", "NLL B");
  for (size_t c : classOrder(r.overall, true)) {
    const Totals& t = r.overall.classes[c];
    char share[16] = "-";
    if (std::abs(total) > 1e-9) std::snprintf(share, sizeof share, "%6.1f%%", 100.0 * t.delta() / total);
    std::fprintf(out, "%-14s %10lld %+12.2f %8s %+10.4f %10.4f %10.4f\n", className(TokenClass(c)), (long long)t.count,
                 t.delta(), share, t.delta() / double(t.count), t.mean(0), t.mean(1));
  }

  if (r.datasets.size() > 1) {
    std::fprintf(out, "\ndelta sum by class and dataset\n%-14s", "class");
    for (size_t i : order) std::fprintf(out, " %12.12s", r.datasets[i].name.c_str());
    std::fprintf(out, "\n");
    for (size_t c : classOrder(r.overall, true)) {
      std::fprintf(out, "%-14s", className(TokenClass(c)));
      for (size_t i : order) std::fprintf(out, " %+12.2f", r.datasets[i].classes[c].delta());
      std::fprintf(out, "\n");
    }
  }

  std::fprintf(out, "\ntop tokens by |delta sum|\n%-8s %-14s %-13s %8s %12s %10s\n", "id", "text", "class", "count",
               "delta sum", "mean delta");
  for (size_t i = 0; i < r.top.size(); ++i) {
    const auto& t = r.top[i];
    std::fprintf(out, "%-8d %-14s %-13s %8lld %+12.2f %+10.4f\n", t.id, ("`" + r.top_text[i] + "`").c_str(),
                 className(t.cls), (long long)t.count, t.delta_sum, t.delta_sum / double(t.count));
  }
}

}  // namespace recipec::analyze
