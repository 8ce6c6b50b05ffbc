// Plan.h — the execution plan: the one contract between the compiler and the runtime.
//
// Contract: the compiler fills a `Plan` and writes it with `to_json`; the runtime reads it
// with `readPlanFile` and needs nothing else (no recipe, no MLIR, no ANTLR). Every value the
// runtime uses is explicit here: defaults are resolved by the compiler, so the plan printed
// into a run directory says exactly what ran. docs/plan.md documents every field.
//
// Versioning: `plan_version` is an integer. The runtime refuses a plan whose version is
// newer than kPlanVersion (it cannot know what it would ignore) and reads older ones.
// Header-only (nlohmann::json) so both halves include it without extra libraries.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace recipec::plan {

inline constexpr int kPlanVersion = 1;

// A user-facing error in a plan file (bad version, missing field): exit code 1.
struct PlanError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------
// Quantities. A duration or interval is kept in the unit the recipe used; `steps` holds the
// absolute step count once it is known. Steps and tokens resolve at compile time (tokens
// need batch x seq_len); epochs and percentages of an epoch-long phase stay symbolic until
// the runtime knows how many blocks the datasets hold (`steps == -1` until then).
struct Quantity {
  double value = 0;        // as written: 2000, 1.5, 50
  std::string unit;        // "steps" | "tokens" | "epochs" | "percent" | "rest"
  int64_t steps = -1;      // resolved absolute number of optimizer steps, -1 = symbolic
};

// A threshold in a condition: a number, a percentile over the per-block table, or
// N standard deviations above a running mean.
struct Threshold {
  std::string kind;        // "number" | "percentile" | "sigma"
  double value = 0;        // 4.2 | 90 (for p90) | 4 (for 4 sigma)
  int64_t window = 0;      // sigma: running-window length in steps (0 for other kinds)
};

struct Condition {
  std::string metric;      // "loss" | "ppl" | "val.ppl" | "grad_norm" | "step" | "tokens"
  std::string dataset;     // for val.ppl: "web.val"; empty otherwise
  std::string op;          // ">" | ">=" | "<" | "<=" | "==" | "!="
  Threshold threshold;
};

// One entry of a mixture: a dataset and its sampling probability. With a schedule
// (`a: 0.2 -> 0.6`) `weight` is the start and `weight_end` the end of a linear ramp over the
// phase; weights within one mixture are normalised to sum to 1 by the compiler.
struct MixEntry {
  std::string dataset;
  double weight = 0;
  std::optional<double> weight_end;
};

// What a rule does. Only the fields of its kind are meaningful; `params` carries the
// method parameters (focus/drop/subnet/reweight/set), each explicit in the plan.
struct Action {
  std::string kind;  // "mix" | "order" | "record" | "focus" | "drop" | "review" | "subnet" |
                     // "reweight" | "set" | "stop" | "checkpoint"
  std::vector<MixEntry> mixture;           // mix
  std::string mixture_name;                // mix: the declared mixture it came from, if any
  std::map<std::string, double> params;    // e.g. subnet {layers:0.75,heads:0.5,mlp:0.5},
                                           // reweight {lambda:1}, set {lr:1e-4}
  std::string method;                      // reweight: "irdro" | "rank"; order: "ppl"
  std::string direction;                   // order: "ascending" | "descending"
  std::string metric;                      // record: "ppl"
  std::string granularity;                 // record: "block"; order: "" (blocks) | "sources"
  std::string form;                        // record: "" (as visited) | "relative" | "rescored";
                                           // written only when set
};

struct Rule {
  Action action;
  std::optional<Condition> when;
  std::optional<Quantity> every;
  std::string source;  // "file:line:col" of the rule in the recipe, for messages
};

struct Phase {
  std::string name;
  Quantity duration;       // for N / until N / rest
  bool until = false;      // `until`: duration is an absolute end point of the run
  int64_t start_step = -1; // resolved range [start_step, end_step); -1 = symbolic
  int64_t end_step = -1;
  std::vector<Rule> rules;
  std::string source;
};

struct Tokenizer {
  std::string name;
  std::string kind;        // "gpt2_bpe" | "sentencepiece" | "bytes"
  std::string path;        // folder (gpt2_bpe: encoder.json + vocab.bpe) or .model file
  int64_t vocab_size = 0;
  int64_t eot_id = -1;     // end-of-text token joining documents
};

struct Dataset {
  std::string name;
  std::string kind;                   // "text" | "shards"
  std::vector<std::string> paths;     // globs as written, relative to `base_dir`
  std::string tokenizer;              // text datasets: tokenizer name
  std::string json_field;             // text datasets of JSON lines: the field to read
  double val_fraction = 0;            // `split val 2%` -> 0.02, by document
  // `split val "data/x/val/*.jsonl"`: globs (relative to `base_dir`) whose documents are all
  // the val split, the `paths` then being all training data. Empty: use val_fraction.
  std::vector<std::string> val_paths;
};

struct Model {
  std::string name;
  std::string arch;        // "gpt2" | "llama"
  std::string preset;      // preset it came from, informational
  int64_t n_layer = 0, n_head = 0, n_kv_head = 0, d_model = 0, d_ff = 0;
  int64_t vocab_size = 0, max_seq_len = 0;
  double norm_eps = 1e-5, rope_theta = 10000.0, init_std = 0.02, dropout = 0.0;
  bool tie_embeddings = true;
  std::string init_from;   // safetensors file to load, empty = random init
};

struct Optimizer {
  std::string kind = "adamw";
  double lr = 0, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.0;
  double grad_clip = 1.0;  // max global grad norm; 0 = off
};

struct Schedule {
  std::string kind = "constant";  // "constant" | "cosine" | "wsd" | "linear"
  int64_t warmup_steps = 0;
  double min_lr = 0;              // absolute floor
  int64_t decay_steps = 0;        // wsd: length of the final linear decay
  int64_t total_steps = -1;       // -1 until phases resolve
  // Warmup or decay given as `N%` of a run whose length the compiler cannot know (epochs):
  // the fraction (0.05 for 5%), and warmup_steps / decay_steps are -1 until the runtime
  // multiplies it by total_steps (rounding up). 0 when the steps are given.
  double warmup_fraction = 0;
  double decay_fraction = 0;
  // `total 3 epochs`: the run's length when the compiler could not turn it into steps
  // (epochs); the runtime sets total_steps from it, an epoch being one pass over the first
  // phase's mixture. Absent otherwise (a total in steps or tokens is already total_steps).
  std::optional<Quantity> total;
};

struct Train {
  std::string model;
  int64_t seq_len = 0;
  int64_t batch_seqs = 0;         // sequences per optimizer step
  int64_t micro_batch = 0;        // sequences per forward; batch_seqs % micro_batch == 0
  Optimizer optimizer;
  Schedule schedule;
  std::string precision = "fp32"; // "fp32" | "bf16"
  uint64_t seed = 0;
};

struct Evaluate {
  std::string metric = "ppl";
  std::string dataset;            // "web"
  std::string split = "val";
  Quantity every;
  int64_t max_blocks = 0;         // 0 = the whole split
};

struct Checkpointing {
  std::optional<Quantity> every;
  int64_t keep = 0;               // 0 = keep all
};

struct Event {
  std::string on;                 // "nan" | "loss_spike"
  std::optional<Condition> when;  // loss_spike: `loss > 4 sigma`
  std::string action;             // "rollback" | "skip" | "stop"
};

struct Plan {
  int plan_version = kPlanVersion;
  std::string recipe_name;
  std::string recipe_path;
  std::string base_dir;           // relative data paths resolve against this
  std::string compiler_version;
  std::map<std::string, std::string> constants;   // resolved `let` values, after --set
  std::vector<Tokenizer> tokenizers;
  std::vector<Dataset> datasets;
  std::vector<Model> models;
  Train train;
  std::vector<Phase> phases;
  std::vector<Evaluate> evaluations;
  Checkpointing checkpoint;
  std::vector<Event> events;
  // Where each entity was written, for `recipec diff` and messages: the entity's diff path
  // ("model net / n_layer", "train / optimizer", "phase focus / rule 2") -> "file:line:col".
  std::map<std::string, std::string> sources;
};

// ---------------------------------------------------------------------------------------
// JSON mapping. Optional fields are written as null and may be absent on read.
namespace detail {
template <class T>
void get_opt(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}
template <class T>
void get_opt(const nlohmann::json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>(); else out.reset();
}
template <class T>
void put_opt(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v; else j[key] = nullptr;
}
}  // namespace detail

#define RECIPEC_JSON_PUT(field) j[#field] = v.field;
#define RECIPEC_JSON_GET(field) detail::get_opt(j, #field, v.field);

inline void to_json(nlohmann::json& j, const Quantity& v) {
  RECIPEC_JSON_PUT(value) RECIPEC_JSON_PUT(unit) RECIPEC_JSON_PUT(steps)
}
inline void from_json(const nlohmann::json& j, Quantity& v) {
  RECIPEC_JSON_GET(value) RECIPEC_JSON_GET(unit) RECIPEC_JSON_GET(steps)
}
inline void to_json(nlohmann::json& j, const Threshold& v) {
  RECIPEC_JSON_PUT(kind) RECIPEC_JSON_PUT(value) RECIPEC_JSON_PUT(window)
}
inline void from_json(const nlohmann::json& j, Threshold& v) {
  RECIPEC_JSON_GET(kind) RECIPEC_JSON_GET(value) RECIPEC_JSON_GET(window)
}
inline void to_json(nlohmann::json& j, const Condition& v) {
  RECIPEC_JSON_PUT(metric) RECIPEC_JSON_PUT(dataset) RECIPEC_JSON_PUT(op)
  RECIPEC_JSON_PUT(threshold)
}
inline void from_json(const nlohmann::json& j, Condition& v) {
  RECIPEC_JSON_GET(metric) RECIPEC_JSON_GET(dataset) RECIPEC_JSON_GET(op)
  RECIPEC_JSON_GET(threshold)
}
inline void to_json(nlohmann::json& j, const MixEntry& v) {
  RECIPEC_JSON_PUT(dataset) RECIPEC_JSON_PUT(weight) detail::put_opt(j, "weight_end", v.weight_end);
}
inline void from_json(const nlohmann::json& j, MixEntry& v) {
  RECIPEC_JSON_GET(dataset) RECIPEC_JSON_GET(weight) RECIPEC_JSON_GET(weight_end)
}
inline void to_json(nlohmann::json& j, const Action& v) {
  RECIPEC_JSON_PUT(kind) RECIPEC_JSON_PUT(mixture) RECIPEC_JSON_PUT(mixture_name)
  RECIPEC_JSON_PUT(params) RECIPEC_JSON_PUT(method) RECIPEC_JSON_PUT(direction)
  RECIPEC_JSON_PUT(metric) RECIPEC_JSON_PUT(granularity)
  if (!v.form.empty()) j["form"] = v.form;
}
inline void from_json(const nlohmann::json& j, Action& v) {
  RECIPEC_JSON_GET(kind) RECIPEC_JSON_GET(mixture) RECIPEC_JSON_GET(mixture_name)
  RECIPEC_JSON_GET(params) RECIPEC_JSON_GET(method) RECIPEC_JSON_GET(direction)
  RECIPEC_JSON_GET(metric) RECIPEC_JSON_GET(granularity) RECIPEC_JSON_GET(form)
}
inline void to_json(nlohmann::json& j, const Rule& v) {
  RECIPEC_JSON_PUT(action) detail::put_opt(j, "when", v.when);
  detail::put_opt(j, "every", v.every); RECIPEC_JSON_PUT(source)
}
inline void from_json(const nlohmann::json& j, Rule& v) {
  RECIPEC_JSON_GET(action) RECIPEC_JSON_GET(when) RECIPEC_JSON_GET(every) RECIPEC_JSON_GET(source)
}
inline void to_json(nlohmann::json& j, const Phase& v) {
  RECIPEC_JSON_PUT(name) RECIPEC_JSON_PUT(duration) RECIPEC_JSON_PUT(until)
  RECIPEC_JSON_PUT(start_step) RECIPEC_JSON_PUT(end_step) RECIPEC_JSON_PUT(rules)
  RECIPEC_JSON_PUT(source)
}
inline void from_json(const nlohmann::json& j, Phase& v) {
  RECIPEC_JSON_GET(name) RECIPEC_JSON_GET(duration) RECIPEC_JSON_GET(until)
  RECIPEC_JSON_GET(start_step) RECIPEC_JSON_GET(end_step) RECIPEC_JSON_GET(rules)
  RECIPEC_JSON_GET(source)
}
inline void to_json(nlohmann::json& j, const Tokenizer& v) {
  RECIPEC_JSON_PUT(name) RECIPEC_JSON_PUT(kind) RECIPEC_JSON_PUT(path)
  RECIPEC_JSON_PUT(vocab_size) RECIPEC_JSON_PUT(eot_id)
}
inline void from_json(const nlohmann::json& j, Tokenizer& v) {
  RECIPEC_JSON_GET(name) RECIPEC_JSON_GET(kind) RECIPEC_JSON_GET(path)
  RECIPEC_JSON_GET(vocab_size) RECIPEC_JSON_GET(eot_id)
}
inline void to_json(nlohmann::json& j, const Dataset& v) {
  RECIPEC_JSON_PUT(name) RECIPEC_JSON_PUT(kind) RECIPEC_JSON_PUT(paths)
  RECIPEC_JSON_PUT(tokenizer) RECIPEC_JSON_PUT(json_field) RECIPEC_JSON_PUT(val_fraction)
  if (!v.val_paths.empty()) j["val_paths"] = v.val_paths;
}
inline void from_json(const nlohmann::json& j, Dataset& v) {
  RECIPEC_JSON_GET(name) RECIPEC_JSON_GET(kind) RECIPEC_JSON_GET(paths)
  RECIPEC_JSON_GET(tokenizer) RECIPEC_JSON_GET(json_field) RECIPEC_JSON_GET(val_fraction)
  RECIPEC_JSON_GET(val_paths)
}
inline void to_json(nlohmann::json& j, const Model& v) {
  RECIPEC_JSON_PUT(name) RECIPEC_JSON_PUT(arch) RECIPEC_JSON_PUT(preset)
  RECIPEC_JSON_PUT(n_layer) RECIPEC_JSON_PUT(n_head) RECIPEC_JSON_PUT(n_kv_head)
  RECIPEC_JSON_PUT(d_model) RECIPEC_JSON_PUT(d_ff) RECIPEC_JSON_PUT(vocab_size)
  RECIPEC_JSON_PUT(max_seq_len) RECIPEC_JSON_PUT(norm_eps) RECIPEC_JSON_PUT(rope_theta)
  RECIPEC_JSON_PUT(init_std) RECIPEC_JSON_PUT(dropout) RECIPEC_JSON_PUT(tie_embeddings)
  RECIPEC_JSON_PUT(init_from)
}
inline void from_json(const nlohmann::json& j, Model& v) {
  RECIPEC_JSON_GET(name) RECIPEC_JSON_GET(arch) RECIPEC_JSON_GET(preset)
  RECIPEC_JSON_GET(n_layer) RECIPEC_JSON_GET(n_head) RECIPEC_JSON_GET(n_kv_head)
  RECIPEC_JSON_GET(d_model) RECIPEC_JSON_GET(d_ff) RECIPEC_JSON_GET(vocab_size)
  RECIPEC_JSON_GET(max_seq_len) RECIPEC_JSON_GET(norm_eps) RECIPEC_JSON_GET(rope_theta)
  RECIPEC_JSON_GET(init_std) RECIPEC_JSON_GET(dropout) RECIPEC_JSON_GET(tie_embeddings)
  RECIPEC_JSON_GET(init_from)
}
inline void to_json(nlohmann::json& j, const Optimizer& v) {
  RECIPEC_JSON_PUT(kind) RECIPEC_JSON_PUT(lr) RECIPEC_JSON_PUT(beta1) RECIPEC_JSON_PUT(beta2)
  RECIPEC_JSON_PUT(eps) RECIPEC_JSON_PUT(weight_decay) RECIPEC_JSON_PUT(grad_clip)
}
inline void from_json(const nlohmann::json& j, Optimizer& v) {
  RECIPEC_JSON_GET(kind) RECIPEC_JSON_GET(lr) RECIPEC_JSON_GET(beta1) RECIPEC_JSON_GET(beta2)
  RECIPEC_JSON_GET(eps) RECIPEC_JSON_GET(weight_decay) RECIPEC_JSON_GET(grad_clip)
}
inline void to_json(nlohmann::json& j, const Schedule& v) {
  RECIPEC_JSON_PUT(kind) RECIPEC_JSON_PUT(warmup_steps) RECIPEC_JSON_PUT(min_lr)
  RECIPEC_JSON_PUT(decay_steps) RECIPEC_JSON_PUT(total_steps)
  RECIPEC_JSON_PUT(warmup_fraction) RECIPEC_JSON_PUT(decay_fraction)
  if (v.total) j["total"] = *v.total;
}
inline void from_json(const nlohmann::json& j, Schedule& v) {
  RECIPEC_JSON_GET(kind) RECIPEC_JSON_GET(warmup_steps) RECIPEC_JSON_GET(min_lr)
  RECIPEC_JSON_GET(decay_steps) RECIPEC_JSON_GET(total_steps)
  RECIPEC_JSON_GET(warmup_fraction) RECIPEC_JSON_GET(decay_fraction)
  RECIPEC_JSON_GET(total)
}
inline void to_json(nlohmann::json& j, const Train& v) {
  RECIPEC_JSON_PUT(model) RECIPEC_JSON_PUT(seq_len) RECIPEC_JSON_PUT(batch_seqs)
  RECIPEC_JSON_PUT(micro_batch) RECIPEC_JSON_PUT(optimizer) RECIPEC_JSON_PUT(schedule)
  RECIPEC_JSON_PUT(precision) RECIPEC_JSON_PUT(seed)
}
inline void from_json(const nlohmann::json& j, Train& v) {
  RECIPEC_JSON_GET(model) RECIPEC_JSON_GET(seq_len) RECIPEC_JSON_GET(batch_seqs)
  RECIPEC_JSON_GET(micro_batch) RECIPEC_JSON_GET(optimizer) RECIPEC_JSON_GET(schedule)
  RECIPEC_JSON_GET(precision) RECIPEC_JSON_GET(seed)
}
inline void to_json(nlohmann::json& j, const Evaluate& v) {
  RECIPEC_JSON_PUT(metric) RECIPEC_JSON_PUT(dataset) RECIPEC_JSON_PUT(split)
  RECIPEC_JSON_PUT(every) RECIPEC_JSON_PUT(max_blocks)
}
inline void from_json(const nlohmann::json& j, Evaluate& v) {
  RECIPEC_JSON_GET(metric) RECIPEC_JSON_GET(dataset) RECIPEC_JSON_GET(split)
  RECIPEC_JSON_GET(every) RECIPEC_JSON_GET(max_blocks)
}
inline void to_json(nlohmann::json& j, const Checkpointing& v) {
  detail::put_opt(j, "every", v.every); RECIPEC_JSON_PUT(keep)
}
inline void from_json(const nlohmann::json& j, Checkpointing& v) {
  RECIPEC_JSON_GET(every) RECIPEC_JSON_GET(keep)
}
inline void to_json(nlohmann::json& j, const Event& v) {
  RECIPEC_JSON_PUT(on) detail::put_opt(j, "when", v.when); RECIPEC_JSON_PUT(action)
}
inline void from_json(const nlohmann::json& j, Event& v) {
  RECIPEC_JSON_GET(on) RECIPEC_JSON_GET(when) RECIPEC_JSON_GET(action)
}
inline void to_json(nlohmann::json& j, const Plan& v) {
  RECIPEC_JSON_PUT(plan_version) RECIPEC_JSON_PUT(recipe_name) RECIPEC_JSON_PUT(recipe_path)
  RECIPEC_JSON_PUT(base_dir) RECIPEC_JSON_PUT(compiler_version) RECIPEC_JSON_PUT(constants)
  RECIPEC_JSON_PUT(tokenizers) RECIPEC_JSON_PUT(datasets) RECIPEC_JSON_PUT(models)
  RECIPEC_JSON_PUT(train) RECIPEC_JSON_PUT(phases) RECIPEC_JSON_PUT(evaluations)
  RECIPEC_JSON_PUT(checkpoint) RECIPEC_JSON_PUT(events) RECIPEC_JSON_PUT(sources)
}
inline void from_json(const nlohmann::json& j, Plan& v) {
  RECIPEC_JSON_GET(plan_version) RECIPEC_JSON_GET(recipe_name) RECIPEC_JSON_GET(recipe_path)
  RECIPEC_JSON_GET(base_dir) RECIPEC_JSON_GET(compiler_version) RECIPEC_JSON_GET(constants)
  RECIPEC_JSON_GET(tokenizers) RECIPEC_JSON_GET(datasets) RECIPEC_JSON_GET(models)
  RECIPEC_JSON_GET(train) RECIPEC_JSON_GET(phases) RECIPEC_JSON_GET(evaluations)
  RECIPEC_JSON_GET(checkpoint) RECIPEC_JSON_GET(events) RECIPEC_JSON_GET(sources)
}
#undef RECIPEC_JSON_PUT
#undef RECIPEC_JSON_GET

// Parses plan text; `origin` names the file in messages.
inline Plan parsePlan(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw PlanError("plan `" + origin + "` is not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("plan_version") || !j["plan_version"].is_number_integer())
    throw PlanError("plan `" + origin + "` has no integer `plan_version`");
  int version = j["plan_version"].get<int>();
  if (version > kPlanVersion)
    throw PlanError("plan `" + origin + "` has version " + std::to_string(version) +
                    ", newer than this runtime reads (" + std::to_string(kPlanVersion) +
                    "); rebuild recipec-runtime from the same revision as the compiler");
  if (version < 1)
    throw PlanError("plan `" + origin + "` has invalid version " + std::to_string(version));
  try {
    return j.get<Plan>();
  } catch (const nlohmann::json::exception& e) {
    throw PlanError("plan `" + origin + "` has a malformed field: " + e.what());
  }
}

inline Plan readPlanFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PlanError("cannot open plan file `" + path + "`");
  std::stringstream ss;
  ss << in.rdbuf();
  return parsePlan(ss.str(), path);
}

inline std::string planToText(const Plan& p) { return nlohmann::json(p).dump(2) + "\n"; }

}  // namespace recipec::plan
