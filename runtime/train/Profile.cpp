// Profile.cpp — `--profile N` (see Profile.h) on torch's profiler API (the Kineto front end,
// which LibTorch 1.13 and 2.x share: prepare/enable/disable, KinetoEvent's name, thread,
// start and duration). Without Kineto the result's `save` throws; the trace is then written
// here from the events.
#include "runtime/train/Profile.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_kineto.h>

namespace recipec::train {

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

namespace {

struct Span {
  std::string name;
  bool device;  // a kernel (or copy) on the accelerator, not a host operator
  uint64_t thread, start, dur;
};

std::vector<Span> spans(const prof::ProfilerResult& r) {
  std::vector<Span> out;
  // Microseconds: newer LibTorch reports events in ns (startNs), older in us (startUs).
  auto us = [](const auto& e) -> std::pair<uint64_t, uint64_t> {
    if constexpr (requires { e.startNs(); }) return {uint64_t(e.startNs()) / 1000, uint64_t(e.durationNs()) / 1000};
    else return {uint64_t(e.startUs()), uint64_t(e.durationUs())};
  };
  for (const auto& e : r.events()) {
    const auto [start, dur] = us(e);
    out.push_back({e.name(), e.deviceType() != c10::DeviceType::CPU, e.startThreadId(), start, dur});
  }
  return out;
}

void writeChromeTrace(const std::vector<Span>& s, int rank, const std::string& path) {
  // Host threads keep their ids; the accelerator's work goes on a track of its own.
  constexpr uint64_t kDeviceTrack = 1u << 30;
  nlohmann::json events = nlohmann::json::array();
  std::set<uint64_t> tracks;
  for (const auto& e : s) {
    const uint64_t tid = e.device ? kDeviceTrack : e.thread;
    tracks.insert(tid);
    events.push_back({{"name", e.name}, {"ph", "X"}, {"cat", e.device ? "kernel" : "cpu_op"}, {"pid", rank},
                      {"tid", tid}, {"ts", e.start}, {"dur", e.dur}});
  }
  for (uint64_t t : tracks)
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank}, {"tid", t},
                      {"args", {{"name", t == kDeviceTrack ? std::string("device") : "host thread " + std::to_string(t)}}}});
  std::ofstream out(path);
  out << nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << "\n";
  out.close();
  if (!out) throw std::runtime_error("write failed");
}

struct Row {
  int64_t calls = 0;
  double self_us = 0;
};
struct SelfTimes {
  std::map<std::pair<bool, std::string>, Row> rows;  // (is a kernel, name) -> totals
  double profiled_us = 0;                             // the step ranges' time
  size_t longest_name = 4;
};

// Self time per (kind, name): each host operator's duration minus its direct children's on
// the same thread (ranges on a thread nest); kernels count whole.
SelfTimes selfTimes(std::vector<Span> s) {
  SelfTimes out;
  std::sort(s.begin(), s.end(), [](const Span& a, const Span& b) {
    return a.thread != b.thread ? a.thread < b.thread : a.start != b.start ? a.start < b.start : a.dur > b.dur;
  });
  std::vector<std::pair<const Span*, double>> stack;  // (range, its children's time)
  auto close = [&](const Span* e, double children) {
    if (e->name.rfind("step ", 0) == 0) {
      out.profiled_us += double(e->dur);
      return;
    }
    auto& row = out.rows[{false, e->name}];
    ++row.calls;
    row.self_us += std::max(0.0, double(e->dur) - children);
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const auto& e = s[i];
    out.longest_name = std::max(out.longest_name, e.name.size());
    if (e.device) {
      auto& row = out.rows[{true, e.name}];
      ++row.calls;
      row.self_us += double(e.dur);
      continue;
    }
    if (i > 0 && s[i - 1].thread != e.thread)
      for (; !stack.empty(); stack.pop_back()) close(stack.back().first, stack.back().second);
    while (!stack.empty() && stack.back().first->start + stack.back().first->dur <= e.start) {
      close(stack.back().first, stack.back().second);
      stack.pop_back();
    }
    if (!stack.empty() && stack.back().first->name.rfind("step ", 0) != 0) stack.back().second += double(e.dur);
    stack.push_back({&e, 0.0});
  }
  for (; !stack.empty(); stack.pop_back()) close(stack.back().first, stack.back().second);
  return out;
}

// The tables (host operators, then kernels), per step, names cut at `width`, at most
// `max_rows` rows each; one string per line.
std::vector<std::string> tables(const SelfTimes& t, int64_t steps, int width, size_t max_rows) {
  const double per = double(std::max<int64_t>(1, steps));
  std::vector<std::string> out;
  char line[1024];
  for (bool device : {false, true}) {
    std::vector<std::pair<std::string, Row>> sorted;
    double total = 0;
    for (const auto& [key, row] : t.rows)
      if (key.first == device) {
        sorted.push_back({key.second, row});
        total += row.self_us;
      }
    if (sorted.empty()) continue;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.self_us > b.second.self_us; });
    std::snprintf(line, sizeof line, "%s, by self time (%.2f ms a step in all):",
                  device ? "device kernels" : "host operators", total / 1e3 / per);
    out.push_back(line);
    std::snprintf(line, sizeof line, "  %-*s %8s %12s %7s", width, "name", "calls", "ms a step", "share");
    out.push_back(line);
    for (size_t i = 0; i < sorted.size() && i < max_rows; ++i) {
      const auto& [name, row] = sorted[i];
      std::snprintf(line, sizeof line, "  %-*.*s %8lld %12.3f %6.1f%%", width, width, name.c_str(),
                    (long long)(row.calls / std::max<int64_t>(1, steps)), row.self_us / 1e3 / per,
                    100.0 * row.self_us / std::max(1e-9, total));
      out.push_back(line);
    }
  }
  return out;
}

}  // namespace

StepProfiler::StepProfiler(int64_t steps, std::string dir, int rank, int world, bool cuda,
                           std::function<void(const std::string&)> log)
    : steps_(steps), dir_(std::move(dir)), rank_(rank), world_(world), cuda_(cuda), log_(std::move(log)) {}

StepProfiler::~StepProfiler() {
  if (running_) (void)prof::disableProfiler();  // an exception left the loop: drop it
}

void StepProfiler::plan(int64_t s, int64_t total) { first_ = s + 1 < total ? s + 1 : s; }

bool StepProfiler::beforeStep(int64_t s) {
  if (written_ || s < first_) return false;
  if (!running_) {
    const impl::ProfilerConfig cfg(impl::ProfilerState::KINETO, /*report_input_shapes=*/false,
                                   /*profile_memory=*/false, /*with_stack=*/false, /*with_flops=*/false);
    std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
    if (cuda_) activities.insert(impl::ActivityType::CUDA);
    prof::prepareProfiler(cfg, activities);
    prof::enableProfiler(cfg, activities);
    running_ = true;
  }
  return true;
}

void StepProfiler::afterStep(int64_t s) {
  if (!running_ || s < first_) return;
  if (++done_ >= steps_) stopAndWrite();
}

void StepProfiler::finish() {
  if (running_) stopAndWrite();
  else if (!written_ && rank_ == 0)
    log_("warning: profile: no step was profiled (the run ended before step " + std::to_string(first_ + 1) + ")");
}

void StepProfiler::stopAndWrite() {
  running_ = false;
  written_ = true;
  auto result = prof::disableProfiler();
  // One folder per profiled start, so a resumed run's profile keeps the earlier one.
  const std::string folder = dir_ + "/profile/from_step_" + std::to_string(first_ + 1);
  const std::string name = world_ > 1 ? "trace_rank" + std::to_string(rank_) + ".json" : "trace.json";
  const std::string path = folder + "/" + name;
  auto s = spans(*result);
  try {
    std::filesystem::create_directories(folder);
    try {
      result->save(path);  // Kineto's own trace (with the GPU's kernels)
    } catch (const std::exception&) {
      writeChromeTrace(s, rank_, path);  // no Kineto in this LibTorch
    }
  } catch (const std::exception& e) {
    if (rank_ == 0) log_("warning: profile: cannot write `" + path + "` (" + e.what() + "); training goes on");
    return;
  }
  if (rank_ != 0) return;
  const SelfTimes times = selfTimes(std::move(s));
  const double step_ms = times.profiled_us / 1e3 / double(std::max<int64_t>(1, done_));
  char head[320];
  std::snprintf(head, sizeof head, "profile: %lld step%s from step %lld, %.2f ms a step; trace `%s` (open in "
                "https://ui.perfetto.dev or chrome://tracing)",
                (long long)done_, done_ == 1 ? "" : "s", (long long)first_ + 1, step_ms, path.c_str());
  std::ofstream out(folder + "/summary.txt");
  out << head << "\n\n";
  for (const auto& line : tables(times, done_, int(std::min<size_t>(times.longest_name, 900)), SIZE_MAX))
    out << line << "\n";  // the file: every operator, whole names
  log_(head);
  for (const auto& line : tables(times, done_, 60, 8)) log_(line);  // the log: the head of each
  if (!out) log_("warning: profile: cannot write `" + folder + "/summary.txt`");
}

}  // namespace recipec::train
