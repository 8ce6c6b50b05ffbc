// ReportData.cpp — reading run directories and analyze JSON for `recipec report` (see
// ReportData.h for the document it builds).
#include "cli/report/ReportData.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "compiler/plantools/PlanDiff.h"
#include "runtime/plan/Plan.h"

namespace recipec::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Step -> tokens from the train lines: linear between known points, proportional before
// the first and at the last line's tokens per step after it.
struct TokenScale {
  std::vector<std::pair<double, double>> points;  // (step, tokens), sorted by step
  double at(double step) const {
    if (points.empty()) return 0;
    if (step <= points.front().first || points.size() == 1) {
      const auto& [s, t] = points.front();
      return s > 0 ? step * t / s : t;
    }
    if (step >= points.back().first) {
      const auto& [s, t] = points.back();
      return s > 0 ? step * t / s : t;
    }
    auto hi = std::lower_bound(points.begin(), points.end(), std::make_pair(step, -1e300));
    auto lo = hi - 1;
    const double f = (step - lo->first) / (hi->first - lo->first);
    return lo->second + f * (hi->second - lo->second);
  }
};

// "kept=33306 threshold_ppl=12.5 rule=focus when ppl > p50": an event's fields in words.
std::string describeEvent(const json& e) {
  std::string out;
  for (const auto& [k, v] : e.items()) {
    if (k == "type" || k == "event" || k == "step") continue;
    std::string value;
    if (v.is_string()) value = v.get<std::string>();
    else if (v.is_number_float()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
      value = buf;
    } else value = v.dump();
    out += (out.empty() ? "" : "  ") + k + "=" + value;
  }
  return out;
}

}  // namespace

json readRun(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw ReportError("run directory `" + dir + "` does not exist");
  if (!fs::is_directory(dir, ec))
    throw ReportError("`" + dir + "` is neither a run directory nor a `.json` file from `recipec analyze --json`");
  const fs::path metricsPath = fs::path(dir) / "metrics.jsonl";
  if (!fs::exists(metricsPath, ec))
    throw ReportError("`" + dir + "` has no metrics.jsonl: not a run directory, or its run never started");
  std::ifstream in(metricsPath);
  if (!in) throw ReportError("cannot read `" + metricsPath.string() + "`");

  std::map<int64_t, json> train;                        // step -> last train line
  std::map<std::string, std::map<int64_t, json>> evals;  // dataset.split -> step -> line
  std::vector<json> events, phases;
  json summary = nullptr;
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      // A run killed mid-write leaves a cut last line; anything else is damage.
      if (i + 1 == lines.size()) continue;
      throw ReportError("`" + metricsPath.string() + "` line " + std::to_string(i + 1) + " is not a JSON object");
    }
    const std::string type = j.value("type", "");
    const int64_t step = j.value("step", int64_t(0));
    if (type == "train") train[step] = j;
    else if (type == "eval") evals[j.value("dataset", "?") + "." + j.value("split", "val")][step] = j;
    else if (type == "event" && j.value("event", "") == "phase") phases.push_back(j);
    else if (type == "event") events.push_back(j);
    else if (type == "summary") summary = j;
  }
  if (train.empty())
    throw ReportError("run `" + dir + "` has no metrics yet: `" + metricsPath.string() + "` has no train line");

  TokenScale scale;
  json t = {{"step", json::array()}, {"tokens", json::array()}, {"loss", json::array()}, {"lr", json::array()},
            {"tokens_per_s", json::array()}, {"mfu", json::array()}, {"grad_norm", json::array()},
            {"applied", json::array()}};
  for (const auto& [step, j] : train) {
    scale.points.emplace_back(double(step), num(j, "tokens"));
    t["step"].push_back(step);
    t["tokens"].push_back(num(j, "tokens"));
    for (const char* k : {"loss", "lr", "tokens_per_s", "mfu", "grad_norm"}) t[k].push_back(num(j, k));
    t["applied"].push_back(j.value("applied", true));
  }

  json ev = json::array();
  for (const auto& [key, bySteps] : evals) {
    json e = {{"key", key}, {"step", json::array()}, {"tokens", json::array()}, {"ppl", json::array()},
              {"loss", json::array()}};
    for (const auto& [step, j] : bySteps) {
      e["step"].push_back(step);
      e["tokens"].push_back(scale.at(double(step)));
      e["ppl"].push_back(num(j, "ppl"));
      e["loss"].push_back(num(j, "loss"));
    }
    ev.push_back(e);
  }

  // A resumed or rolled-back run enters a phase again: one boundary per phase start.
  json ph = json::array();
  std::set<std::pair<int64_t, std::string>> seen;
  std::sort(phases.begin(), phases.end(),
            [](const json& a, const json& b) { return a.value("start", int64_t(0)) < b.value("start", int64_t(0)); });
  for (const auto& p : phases) {
    const int64_t start = p.value("start", p.value("step", int64_t(0)));
    const std::string name = p.value("phase", "?");
    if (!seen.insert({start, name}).second) continue;
    ph.push_back({{"name", name}, {"start", start}, {"end", p.value("end", start)},
                  {"start_tokens", scale.at(double(start))}, {"end_tokens", scale.at(double(p.value("end", start)))}});
  }

  json es = json::array();
  std::stable_sort(events.begin(), events.end(),
                   [](const json& a, const json& b) { return a.value("step", int64_t(0)) < b.value("step", int64_t(0)); });
  for (const auto& e : events) {
    const int64_t step = e.value("step", int64_t(0));
    const auto action = e.find("action");
    es.push_back({{"step", step}, {"tokens", scale.at(double(step))}, {"event", e.value("event", "?")},
                  {"action", action != e.end() && action->is_string() ? action->get<std::string>() : ""},
                  {"detail", describeEvent(e)}});
  }

  const fs::path recipe = fs::path(dir) / "recipe.recipe";
  std::string recipeName;
  if (fs::exists(fs::path(dir) / "plan.json", ec)) {
    try {
      recipeName = plan::readPlanFile((fs::path(dir) / "plan.json").string()).recipe_name;
    } catch (const std::exception&) {
    }
  }
  fs::path canon = fs::weakly_canonical(fs::path(dir), ec);
  std::string name = canon.filename().string();
  if (name.empty()) name = dir;
  return {{"name", name}, {"path", dir}, {"recipe_name", recipeName},
          {"recipe_text", fs::exists(recipe, ec) ? readText(recipe) : std::string()},
          {"has_plan", fs::exists(fs::path(dir) / "plan.json", ec)},
          {"train", t}, {"eval", ev}, {"phases", ph}, {"events", es}, {"summary", summary}};
}

json readAnalyze(const std::string& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw ReportError("analyze file `" + file + "` does not exist");
  std::ifstream in(file);
  if (!in) throw ReportError("cannot read `" + file + "`");
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ReportError("`" + file + "` is not valid JSON (expected the output of `recipec analyze --json`)");
  if (!j.is_object() || j.value("type", "") != "analyze")
    throw ReportError("`" + file + "` is not from `recipec analyze --json` (it has no \"type\": \"analyze\")");
  for (const char* k : {"datasets", "classes", "top_tokens"})
    if (j.contains(k) && !j[k].is_array())
      throw ReportError("`" + file + "`: \"" + std::string(k) + "\" should be a list");
  j["file"] = file;
  return j;
}

json readInputs(const std::vector<std::string>& inputs) {
  json runs = json::array(), analyses = json::array(), diffs = json::array();
  std::vector<std::string> runDirs;
  for (const auto& in : inputs) {
    std::error_code ec;
    const bool jsonName = in.size() > 5 && in.compare(in.size() - 5, 5, ".json") == 0;
    if (fs::is_regular_file(in, ec) || (jsonName && !fs::exists(in, ec))) analyses.push_back(readAnalyze(in));
    else {
      runs.push_back(readRun(in));
      runDirs.push_back(in);
    }
  }
  // Two runs of one name (runs/a/x, runs/b/x) are told apart by their paths.
  std::map<std::string, int> count;
  for (const auto& r : runs) ++count[r["name"].get<std::string>()];
  for (auto& r : runs)
    if (count[r["name"].get<std::string>()] > 1) r["name"] = r["path"];

  // Each later run against the first, by meaning (`recipec diff`).
  for (size_t i = 1; i < runs.size(); ++i) {
    json d = {{"a", runs[0]["name"]}, {"b", runs[i]["name"]}, {"note", ""}, {"changes", json::array()}};
    if (!runs[0]["has_plan"].get<bool>() || !runs[i]["has_plan"].get<bool>()) {
      d["note"] = "no plan.json in " + std::string(runs[0]["has_plan"].get<bool>() ? runDirs[i] : runDirs[0]) +
                  ": nothing to compare";
    } else {
      try {
        const auto a = plan::readPlanFile((fs::path(runDirs[0]) / "plan.json").string());
        const auto b = plan::readPlanFile((fs::path(runDirs[i]) / "plan.json").string());
        for (const auto& c : plandiff::diffPlans(a, b))
          d["changes"].push_back({{"path", c.path}, {"kind", c.kind}, {"before", c.before}, {"after", c.after},
                                  {"source_before", c.sourceBefore}, {"source_after", c.sourceAfter}});
      } catch (const plan::PlanError& e) {
        d["note"] = std::string("a plan.json could not be read: ") + e.what();
      }
    }
    diffs.push_back(d);
  }
  return {{"runs", runs}, {"diffs", diffs}, {"analyses", analyses}};
}

}  // namespace recipec::report
