// cmd_runs.cpp — `recipec runs [DIR...] [--json]`: the runs under DIR (default `runs/`), one
// line each: name, status, steps done / total, tokens, last train loss, last validation
// perplexity per dataset, and the source revision that produced it.
//
// Read-only: everything comes from the run directory (plan.json, run.json, metrics.jsonl,
// checkpoints/). A run is `running (pid N)` while a process holds its lock (flock on
// <run>/.lock; checked without taking it from the holder), else its status is the last
// `summary` line of metrics.jsonl: finished, interrupted (SIGTERM...), failed (why),
// stopped at --until-step; with no summary and no holder it `died` (resume continues it).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/Commands.h"

namespace fs = std::filesystem;

namespace recipec::cli {
namespace {

struct RunInfo {
  std::string path, status, revision;
  int64_t step = 0, total = 0, tokens = 0;
  double loss = NAN;
  std::map<std::string, double> val_ppl;  // "dataset.split" -> last ppl
  int64_t checkpoints = 0;
};

// The pid holding the run's lock, or 0 when none does.
long lockHolder(const fs::path& run) {
  const std::string path = (run / ".lock").string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  long pid = 0;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char buf[32] = {0};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0) pid = std::atol(buf);
    if (pid == 0) pid = -1;  // held, pid not written yet
  }
  ::close(fd);  // releases the shared lock if it was taken
  return pid;
}

nlohmann::json readJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

RunInfo describe(const fs::path& run) {
  RunInfo r;
  r.path = run.string();
  const auto plan = readJson(run / "plan.json");
  if (plan.is_object())
    r.total = plan.value("train", nlohmann::json::object()).value("schedule", nlohmann::json::object()).value("total_steps", int64_t(0));
  const auto info = readJson(run / "run.json");
  if (info.is_object()) r.revision = info.value("revision", "");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run / "checkpoints", ec)) {
    const std::string n = e.path().filename().string();
    r.checkpoints += n.rfind("step_", 0) == 0 && fs::exists(e.path() / "MANIFEST.json");
  }
  nlohmann::json summary;
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut short by a kill: the resume truncates it away
    }
    const std::string type = j.value("type", "");
    if (type == "train") {
      r.step = j.value("step", r.step);
      r.tokens = j.value("tokens", r.tokens);
      if (j.contains("loss") && j["loss"].is_number()) r.loss = j["loss"].get<double>();
    } else if (type == "eval" && j.contains("ppl") && j["ppl"].is_number()) {
      r.val_ppl[j.value("dataset", "?") + "." + j.value("split", "val")] = j["ppl"].get<double>();
    } else if (type == "summary") {
      summary = j;
    }
  }
  if (long pid = lockHolder(run); pid != 0) {
    r.status = pid > 0 ? "running (pid " + std::to_string(pid) + ")" : "running";
  } else if (summary.is_object()) {
    r.step = summary.value("step", r.step);
    r.tokens = summary.value("tokens", r.tokens);
    if (summary.value("finished", false)) r.status = "finished";
    else if (summary.contains("interrupted")) r.status = "interrupted (" + summary["interrupted"].get<std::string>() + ")";
    else if (summary.contains("failed")) r.status = "failed";
    else r.status = "stopped (--until-step)";
  } else {
    r.status = fs::exists(run / "plan.json") ? "died" : "empty";
  }
  return r;
}

std::string fmtCount(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2fB", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace

void addRuns(CLI::App& app) {
  auto* cmd = app.add_subcommand("runs", "List runs with their status, progress, loss and perplexity");
  struct Args {
    std::vector<std::string> dirs{"runs"};
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("dirs", a->dirs, "Folders of runs, or run directories (default runs/)");
  cmd->add_flag("--json", a->json, "One JSON object per run on stdout");
  cmd->callback([a] {
    std::vector<fs::path> found;
    for (const auto& d : a->dirs) {
      std::error_code ec;
      if (!fs::exists(d, ec) && a->dirs.size() == 1 && d == "runs") {
        std::cerr << "no runs yet (`runs/` does not exist; `recipec run` creates it)\n";
        throw Exit{kOk};
      }
      if (!fs::is_directory(d, ec)) {
        std::cerr << "error: `" << d << "` " << (fs::exists(d, ec) ? "is not a folder" : "does not exist") << "\n";
        throw Exit{kUserError};
      }
      if (fs::exists(fs::path(d) / "plan.json")) {
        found.push_back(d);
        continue;
      }
      for (const auto& e : fs::directory_iterator(d, ec))
        if (e.is_directory() && (fs::exists(e.path() / "plan.json") || fs::exists(e.path() / ".lock")))
          found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    std::vector<RunInfo> runs;
    for (const auto& f : found) runs.push_back(describe(f));
    if (a->json) {
      for (const auto& r : runs) {
        nlohmann::json j{{"run", r.path}, {"status", r.status}, {"step", r.step}, {"total_steps", r.total},
                         {"tokens", r.tokens}, {"checkpoints", r.checkpoints}, {"revision", r.revision},
                         {"loss", std::isfinite(r.loss) ? nlohmann::json(r.loss) : nlohmann::json(nullptr)},
                         {"val_ppl", r.val_ppl}};
        std::cout << j.dump() << "\n";
      }
      throw Exit{kOk};
    }
    if (runs.empty()) {
      std::cerr << "no runs under " << a->dirs.front() << "\n";
      throw Exit{kOk};
    }
    std::vector<std::vector<std::string>> rows{{"run", "status", "steps", "tokens", "loss", "val ppl", "revision"}};
    for (const auto& r : runs) {
      char loss[32] = "-";
      if (std::isfinite(r.loss)) std::snprintf(loss, sizeof loss, "%.4f", r.loss);
      std::string ppl;
      for (const auto& [k, v] : r.val_ppl) {
        char b[64];
        std::snprintf(b, sizeof b, "%s%s %.2f", ppl.empty() ? "" : ", ", k.c_str(), v);
        ppl += b;
      }
      rows.push_back({r.path, r.status, std::to_string(r.step) + (r.total > 0 ? "/" + std::to_string(r.total) : ""),
                      fmtCount(double(r.tokens)), loss, ppl.empty() ? "-" : ppl, r.revision.substr(0, 12)});
    }
    std::vector<size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    for (const auto& row : rows) {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c)
        line += row[c] + (c + 1 < row.size() ? std::string(width[c] - row[c].size() + 2, ' ') : "");
      std::cout << line << "\n";
    }
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
