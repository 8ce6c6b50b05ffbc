// Resolve.cpp — checkpoints and datasets from the command line (rules in Resolve.h).
#include "runtime/analyze/Resolve.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/data/DataError.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Tokenizer.h"

namespace fs = std::filesystem;

namespace recipec::analyze {
namespace {

plan::Plan readPlan(const fs::path& p) {
  try {
    return plan::readPlanFile(p.string());
  } catch (const plan::PlanError& e) {
    throw AnalyzeError(e.what());
  }
}

// "step" of a safetensors file's __metadata__, -1 when absent or unreadable.
int64_t safetensorsStep(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), sizeof n);
  if (!in || n > (64u << 20)) return -1;
  std::string h(n, '\0');
  in.read(h.data(), std::streamsize(n));
  const auto j = nlohmann::json::parse(h, nullptr, false);
  if (j.is_discarded() || !j.contains("__metadata__") || !j["__metadata__"].contains("step")) return -1;
  try {
    return std::stoll(j["__metadata__"]["step"].get<std::string>());
  } catch (...) {
    return -1;
  }
}

int64_t manifestStep(const fs::path& folder) {
  std::ifstream in(folder / "MANIFEST.json");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("step") || !j["step"].is_number_integer()) return -1;
  return j["step"].get<int64_t>();
}

fs::path newestCheckpoint(const fs::path& run) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run / "checkpoints", ec))
    if (e.is_directory() && e.path().filename().string().rfind("step_", 0) == 0 && fs::exists(e.path() / "MANIFEST.json"))
      found.push_back(e.path());
  std::sort(found.begin(), found.end());
  return found.empty() ? fs::path() : found.back();
}

bool isGlob(const std::string& s) {
  return s.find('/') != std::string::npos || s.find('*') != std::string::npos || s.find('?') != std::string::npos ||
         fs::is_regular_file(s);
}

std::string cacheName(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.substr(0, 80);
}

}  // namespace

std::vector<std::string> splitComma(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

plan::Plan readPlanSource(const std::string& path) {
  const fs::path p(path);
  if (fs::is_directory(p)) {
    if (!fs::exists(p / "plan.json")) throw AnalyzeError("`" + path + "` has no plan.json (not a run directory)");
    return readPlan(p / "plan.json");
  }
  if (!fs::exists(p)) throw AnalyzeError("`" + path + "` does not exist");
  return readPlan(p);
}

CheckpointRef resolveCheckpoint(const std::string& arg, const std::string& plan_override) {
  CheckpointRef ck;
  ck.label = arg;
  const fs::path p(arg);
  if (!fs::exists(p)) throw AnalyzeError("checkpoint `" + arg + "` does not exist");
  fs::path plan_path;
  if (fs::is_directory(p) && fs::exists(p / "plan.json")) {  // a run directory
    plan_path = p / "plan.json";
    if (fs::exists(p / "model.safetensors")) {
      ck.weights = (p / "model.safetensors").string();
      ck.step = safetensorsStep(p / "model.safetensors");
    } else if (fs::path c = newestCheckpoint(p); !c.empty()) {
      ck.weights = (c / "model.safetensors").string();
      ck.verify_folder = c.string();
      ck.step = manifestStep(c);
    } else {
      throw AnalyzeError("checkpoint `" + arg + "`: the run directory has no model.safetensors and no checkpoint");
    }
  } else if (fs::is_directory(p)) {  // a checkpoint folder
    if (!fs::exists(p / "model.safetensors"))
      throw AnalyzeError("checkpoint `" + arg + "` has no model.safetensors (give a run directory, a checkpoint folder or a .safetensors file)");
    ck.weights = (p / "model.safetensors").string();
    if (fs::exists(p / "MANIFEST.json")) {
      ck.verify_folder = p.string();
      ck.step = manifestStep(p);
    }
    plan_path = fs::absolute(p).parent_path().parent_path() / "plan.json";
  } else {
    ck.weights = p.string();
    ck.step = safetensorsStep(p);
    const fs::path dir = fs::absolute(p).parent_path();
    plan_path = fs::exists(dir / "plan.json") ? dir / "plan.json" : dir.parent_path().parent_path() / "plan.json";
    if (fs::exists(dir / "MANIFEST.json")) {
      ck.verify_folder = dir.string();
      ck.step = manifestStep(dir);
    }
  }
  if (!plan_override.empty()) {
    ck.plan = readPlanSource(plan_override);
    ck.plan_path = plan_override;
  } else {
    if (!fs::exists(plan_path))
      throw AnalyzeError("checkpoint `" + arg + "`: cannot find the plan of its run (looked for `" + plan_path.string() +
                         "`); give it with --plan RUN_DIR|plan.json");
    ck.plan = readPlan(plan_path);
    ck.plan_path = plan_path.string();
  }
  for (const auto& m : ck.plan.models)
    if (m.name == ck.plan.train.model) ck.model = m;
  if (ck.model.name.empty())
    throw AnalyzeError("checkpoint `" + arg + "`: its plan `" + ck.plan_path + "` declares no model `" + ck.plan.train.model + "`");
  for (const auto& d : ck.plan.datasets) {
    for (const auto& t : ck.plan.tokenizers)
      if (t.name == d.tokenizer) {
        ck.tokenizer = t;
        if (!t.path.empty()) ck.tokenizer->path = data::resolvePath(t.path, ck.plan.base_dir);
      }
    if (ck.tokenizer) break;
  }
  return ck;
}

DatasetRef resolveDataset(const std::string& spec, const std::vector<const plan::Plan*>& sources, const CheckpointRef& ck) {
  DatasetRef d;
  const size_t eq = spec.find('=');
  if (eq != std::string::npos || isGlob(spec)) {
    const std::string name = eq == std::string::npos ? spec : spec.substr(0, eq);
    const std::string glob = eq == std::string::npos ? spec : spec.substr(eq + 1);
    if (name.empty() || glob.empty()) throw AnalyzeError("dataset `" + spec + "`: expected NAME=GLOB");
    if (!ck.tokenizer)
      throw AnalyzeError("dataset `" + name + "`: checkpoint `" + ck.label + "`'s plan names no tokenizer to read text files with");
    d.name = name;
    d.split = "all";
    d.job.name = name;
    d.job.dataset.name = cacheName(name);
    d.job.dataset.kind = "text";
    d.job.dataset.paths = {glob};
    d.job.dataset.tokenizer = ck.tokenizer->name;
    d.job.tokenizer = ck.tokenizer;
    d.job.base_dir = fs::current_path().string();
    d.job.split = "train";  // val_fraction 0: every document
    return d;
  }
  std::string name = spec, split = "val";
  for (const char* suffix : {".val", ".train"}) {
    const size_t n = std::strlen(suffix);
    if (spec.size() > n && spec.compare(spec.size() - n, n, suffix) == 0) {
      name = spec.substr(0, spec.size() - n);
      split = suffix + 1;
    }
  }
  for (const plan::Plan* p : sources) {
    for (const auto& ds : p->datasets) {
      if (ds.name != name) continue;
      if (split == "val" && ds.val_paths.empty() && ds.val_fraction <= 0)
        throw AnalyzeError("dataset `" + name + "` has no held-out split (no `split val` in its recipe): name `" + name +
                           ".train` for its training documents, or give files as NAME=GLOB");
      d.name = split == "val" ? name : spec;
      d.split = split;
      d.job.name = d.name;
      d.job.dataset = ds;
      d.job.base_dir = p->base_dir;
      d.job.split = split;
      for (const auto& t : p->tokenizers)
        if (t.name == ds.tokenizer) d.job.tokenizer = t;
      return d;
    }
  }
  std::string known;
  for (const plan::Plan* p : sources)
    for (const auto& ds : p->datasets)
      if (known.find("`" + ds.name + "`") == std::string::npos) known += std::string(known.empty() ? "" : ", ") + "`" + ds.name + "`";
  throw AnalyzeError("unknown dataset `" + name + "`: the checkpoints' plans declare " + (known.empty() ? "none" : known) +
                     " (or give files as NAME=GLOB, or more datasets with --datasets-from RECIPE|RUN|plan.json)");
}

void checkTokenizer(const DatasetRef& d, const CheckpointRef& ck) {
  if (!d.job.tokenizer || !ck.tokenizer) return;  // shards with sidecars: the runtime checks token ids
  std::string fd, fc;
  try {
    fd = data::tokenizerFingerprint(*d.job.tokenizer, d.job.base_dir);
    fc = data::tokenizerFingerprint(*ck.tokenizer, "");
  } catch (const data::DataError& e) {
    throw AnalyzeError(std::string("dataset `") + d.name + "`: " + e.what());
  }
  if (fd != fc)
    throw AnalyzeError("dataset `" + d.name + "` is tokenized by `" + d.job.tokenizer->name + "` (" + d.job.tokenizer->kind +
                       ") but checkpoint `" + ck.label + "` was trained with `" + ck.tokenizer->name + "` (" +
                       ck.tokenizer->kind + "): per-token NLL needs the checkpoint's own tokenizer");
}

void checkSameArchitecture(const CheckpointRef& a, const CheckpointRef& b) {
  const plan::Model &x = a.model, &y = b.model;
  auto differ = [&](const std::string& field, const std::string& vx, const std::string& vy) {
    if (vx != vy)
      throw AnalyzeError("A `" + a.label + "` and B `" + b.label + "` have different architectures: " + field + " " + vx +
                         " vs " + vy + " (analyze compares one model before and after further training)");
  };
  differ("arch", x.arch, y.arch);
  differ("n_layer", std::to_string(x.n_layer), std::to_string(y.n_layer));
  differ("n_head", std::to_string(x.n_head), std::to_string(y.n_head));
  differ("n_kv_head", std::to_string(x.n_kv_head), std::to_string(y.n_kv_head));
  differ("d_model", std::to_string(x.d_model), std::to_string(y.d_model));
  differ("d_ff", std::to_string(x.d_ff), std::to_string(y.d_ff));
  differ("vocab_size", std::to_string(x.vocab_size), std::to_string(y.vocab_size));
}

std::vector<std::string> trainingDatasets(const plan::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& ph : plan.phases)
    for (const auto& r : ph.rules)
      if (r.action.kind == "mix")
        for (const auto& e : r.action.mixture)
          if ((e.weight > 0 || e.weight_end.value_or(0) > 0) &&
              std::find(out.begin(), out.end(), e.dataset + ".train") == out.end())
            out.push_back(e.dataset + ".train");
  if (out.empty())
    for (const auto& ds : plan.datasets) out.push_back(ds.name + ".train");
  return out;
}

}  // namespace recipec::analyze
