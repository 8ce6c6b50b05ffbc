// PlanTree.cpp — plan -> diff tree (see PlanTree.h).
#include "compiler/plantools/PlanTree.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "compiler/plantools/PlanPaths.h"

namespace recipec::plandiff {

namespace pp = recipec::planpath;

namespace {

std::string num(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return v == 0 ? "0" : std::to_string(static_cast<long long>(v));
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

Node leaf(const std::string& key, const std::string& value, const std::string& compare = "") {
  Node n;
  n.key = key;
  n.value = value;
  n.compare = compare;
  n.leaf = true;
  return n;
}

Node group(const std::string& key, const std::string& summary = "") {
  Node n;
  n.key = key;
  n.summary = summary;
  return n;
}

// Same unit: compare as written (2k steps == 2000 steps); different units: compare the
// resolved steps when both are known (64k tokens == 250 steps at 256 tokens a step).
std::string quantityKey(const plan::Quantity& q) {
  if (q.steps >= 0 && q.unit != "epochs") return "steps:" + std::to_string(q.steps);
  return num(q.value) + " " + q.unit;
}

std::string source(const plan::Plan& p, const std::string& path) {
  auto it = p.sources.find(path);
  return it == p.sources.end() ? "" : it->second;
}

// The constants the entity at `path` took values from ("PATH / uses constant NAME" keys).
std::vector<std::string> usesConstants(const plan::Plan& p, const std::string& path) {
  std::vector<std::string> out;
  std::string prefix = path + " / uses constant ";
  for (auto it = p.sources.lower_bound(prefix); it != p.sources.end() && it->first.rfind(prefix, 0) == 0; ++it)
    out.push_back(it->first.substr(prefix.size()));
  return out;
}

// Source and constants of the entity at `path`.
void locate(Node& n, const plan::Plan& p, const std::string& path) {
  if (n.source.empty()) n.source = source(p, path);
  n.constants = usesConstants(p, path);
}

std::string thresholdText(const plan::Threshold& t) {
  if (t.kind == "percentile") return "p" + num(t.value);
  if (t.kind == "sigma") return num(t.value) + " sigma" + (t.window > 0 ? " over " + std::to_string(t.window) + " steps" : "");
  return num(t.value);
}

std::string conditionText(const plan::Condition& c) {
  std::string m = c.metric + (c.dataset.empty() ? "" : "(" + c.dataset + ")");
  return m + " " + c.op + " " + thresholdText(c.threshold);
}

std::string mixText(const std::vector<plan::MixEntry>& mix) {
  std::vector<plan::MixEntry> sorted = mix;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.dataset < b.dataset; });
  std::string s;
  for (const auto& e : sorted) {
    if (!s.empty()) s += ", ";
    s += e.dataset + " " + num(e.weight);
    if (e.weight_end) s += " -> " + num(*e.weight_end);
  }
  return s;
}

std::string ruleText(const plan::Rule& r) {
  const plan::Action& a = r.action;
  std::string s = a.kind;
  if (a.kind == "mix") s += " { " + mixText(a.mixture) + " }";
  if (a.kind == "order") s += (a.granularity.empty() ? "" : " " + a.granularity) + " by " + a.method + " " + a.direction;
  if (a.kind == "record") s += (a.form.empty() ? "" : " " + a.form) + " " + a.metric + " per " + a.granularity;
  if (a.kind == "reweight") s += " " + a.method;
  for (const auto& [k, v] : a.params) s += " " + k + "=" + num(v);
  if (r.when) s += " when " + conditionText(*r.when);
  if (r.every) s += " every " + quantityText(*r.every);
  return s;
}

Node ruleNode(const plan::Plan& p, const std::string& phaseName, size_t index, const plan::Rule& r) {
  std::string path = pp::rule(phaseName, index);
  Node n = group("rule " + std::to_string(index), ruleText(r));
  n.source = r.source;
  locate(n, p, path);
  const plan::Action& a = r.action;
  n.children.push_back(leaf("action", a.kind));
  if (a.kind == "mix") {
    Node m = leaf("mix", mixText(a.mixture));
    m.source = source(p, pp::join(path, "mix"));
    n.children.push_back(m);
  }
  if (!a.method.empty()) n.children.push_back(leaf(a.kind == "order" ? "by" : "method", a.method));
  if (!a.direction.empty()) n.children.push_back(leaf("direction", a.direction));
  if (!a.metric.empty()) n.children.push_back(leaf("metric", a.metric));
  if (!a.granularity.empty()) n.children.push_back(leaf(a.kind == "order" ? "unit" : "per", a.granularity));
  if (!a.form.empty()) n.children.push_back(leaf("form", a.form));
  for (const auto& [k, v] : a.params) n.children.push_back(leaf(k, num(v)));
  if (r.when) {
    Node w = group("when", conditionText(*r.when));
    w.transparent = true;
    const auto& c = *r.when;
    w.children.push_back(leaf("metric", c.metric + (c.dataset.empty() ? "" : "(" + c.dataset + ")")));
    w.children.push_back(leaf("comparison", c.op));
    w.children.push_back(leaf("threshold", thresholdText(c.threshold)));
    n.children.push_back(w);
  }
  if (r.every) n.children.push_back(leaf("every", quantityText(*r.every), quantityKey(*r.every)));
  return n;
}

std::string durationText(const plan::Phase& ph) {
  if (ph.duration.unit == "rest") return "for the rest";
  return std::string(ph.until ? "until " : "for ") + quantityText(ph.duration);
}

}  // namespace

std::string quantityText(const plan::Quantity& q) {
  if (q.unit == "rest") return "rest";
  if (q.unit == "percent") return num(q.value) + "%" + (q.steps >= 0 ? " (" + std::to_string(q.steps) + " steps)" : "");
  std::string unit = q.unit;
  if (q.value == 1 && !unit.empty() && unit.back() == 's') unit.pop_back();
  std::string s = num(q.value) + " " + unit;
  if (q.steps >= 0 && q.unit != "steps") s += " (" + std::to_string(q.steps) + " steps)";
  return s;
}

Node planTree(const plan::Plan& p) {
  Node root = group("");

  for (const auto& t : p.tokenizers) {
    Node n = group(pp::tokenizer(t.name), t.kind + "(\"" + t.path + "\")");
    locate(n, p, n.key);
    n.children = {leaf("kind", t.kind), leaf("path", t.path), leaf("vocab_size", std::to_string(t.vocab_size)),
                  leaf("eot_id", std::to_string(t.eot_id))};
    root.children.push_back(n);
  }
  for (const auto& d : p.datasets) {
    std::vector<std::string> paths = d.paths;
    std::sort(paths.begin(), paths.end());
    std::string joined;
    for (const auto& s : paths) joined += (joined.empty() ? "" : ", ") + s;
    Node n = group(pp::dataset(d.name), d.kind + "(" + joined + ")");
    locate(n, p, n.key);
    n.children = {leaf("kind", d.kind), leaf("paths", joined), leaf("tokenizer", d.tokenizer),
                  leaf("json_field", d.json_field), leaf("val_fraction", num(d.val_fraction))};
    if (!d.val_paths.empty()) {
      std::string val;
      for (const auto& s : d.val_paths) val += (val.empty() ? "" : ", ") + s;
      n.children.push_back(leaf("val_paths", val));
    }
    root.children.push_back(n);
  }
  for (const auto& m : p.models) {
    std::string path = pp::model(m.name);
    Node n = group(path, m.arch + ", " + std::to_string(m.n_layer) + " layers, d_model " + std::to_string(m.d_model) +
                             ", " + std::to_string(m.n_head) + " heads");
    locate(n, p, path);
    // A field's own source, and the constants it alone took its value from (`init from
    // base` records "model net / init_from / uses constant base"); the model's constants
    // (its fields' `let`s) otherwise.
    auto add = [&](const std::string& k, const std::string& v) {
      Node l = leaf(k, v);
      locate(l, p, pp::join(path, k));
      n.children.push_back(l);
    };
    add("arch", m.arch);
    add("n_layer", std::to_string(m.n_layer));
    add("n_head", std::to_string(m.n_head));
    add("n_kv_head", std::to_string(m.n_kv_head));
    add("d_model", std::to_string(m.d_model));
    add("d_ff", std::to_string(m.d_ff));
    add("vocab_size", std::to_string(m.vocab_size));
    add("max_seq_len", std::to_string(m.max_seq_len));
    add("norm_eps", num(m.norm_eps));
    add("rope_theta", num(m.rope_theta));
    add("init_std", num(m.init_std));
    add("dropout", num(m.dropout));
    add("tie_embeddings", m.tie_embeddings ? "true" : "false");
    add("init_from", m.init_from);
    root.children.push_back(n);
  }

  {
    const plan::Train& t = p.train;
    Node n = group(pp::kTrain);
    locate(n, p, pp::kTrain);
    auto add = [&](Node& parent, const std::string& parentPath, const std::string& k, const std::string& v) {
      Node l = leaf(k, v);
      locate(l, p, pp::join(parentPath, k));
      parent.children.push_back(l);
    };
    add(n, pp::kTrain, "model", t.model);
    add(n, pp::kTrain, "seq_len", std::to_string(t.seq_len));
    add(n, pp::kTrain, "batch_seqs", std::to_string(t.batch_seqs));
    add(n, pp::kTrain, "micro_batch", std::to_string(t.micro_batch));
    std::string optPath = pp::join(pp::kTrain, "optimizer");
    Node opt = group("optimizer");
    locate(opt, p, optPath);
    add(opt, optPath, "kind", t.optimizer.kind);
    add(opt, optPath, "lr", num(t.optimizer.lr));
    add(opt, optPath, "beta1", num(t.optimizer.beta1));
    add(opt, optPath, "beta2", num(t.optimizer.beta2));
    add(opt, optPath, "eps", num(t.optimizer.eps));
    add(opt, optPath, "weight_decay", num(t.optimizer.weight_decay));
    add(opt, optPath, "grad_clip", num(t.optimizer.grad_clip));
    n.children.push_back(opt);
    std::string schedPath = pp::join(pp::kTrain, "schedule");
    Node sched = group("schedule");
    locate(sched, p, schedPath);
    const plan::Schedule& s = t.schedule;
    auto stepsOrFraction = [&](int64_t steps, double fraction) {
      return fraction > 0 ? num(fraction * 100) + "%" : std::to_string(steps) + " steps";
    };
    add(sched, schedPath, "kind", s.kind);
    add(sched, schedPath, "warmup", stepsOrFraction(s.warmup_steps, s.warmup_fraction));
    add(sched, schedPath, "min_lr", num(s.min_lr));
    if (s.kind == "wsd") add(sched, schedPath, "decay", stepsOrFraction(s.decay_steps, s.decay_fraction));
    n.children.push_back(sched);
    add(n, pp::kTrain, "precision", t.precision);
    add(n, pp::kTrain, "seed", std::to_string(t.seed));
    root.children.push_back(n);
  }

  Node phases = group("phases");
  phases.transparent = true;
  phases.ordered = true;
  for (const auto& ph : p.phases) {
    Node n = group(pp::phase(ph.name), durationText(ph) + ", " + std::to_string(ph.rules.size()) + " rules");
    n.source = ph.source;
    locate(n, p, n.key);
    std::string durKey = (ph.until ? "until " : "for ") + quantityKey(ph.duration);
    n.children.push_back(leaf("duration", durationText(ph), ph.duration.unit == "rest" ? "rest" : durKey));
    Node rules = group("rules");
    rules.transparent = true;
    rules.sequence = true;
    for (size_t i = 0; i < ph.rules.size(); ++i) rules.children.push_back(ruleNode(p, ph.name, i + 1, ph.rules[i]));
    n.children.push_back(rules);
    phases.children.push_back(n);
  }
  root.children.push_back(phases);

  for (const auto& e : p.evaluations) {
    Node n = group(pp::evaluate(e.metric, e.dataset, e.split), "every " + quantityText(e.every));
    locate(n, p, n.key);
    n.children = {leaf("every", quantityText(e.every), quantityKey(e.every)),
                  leaf("max_blocks", std::to_string(e.max_blocks))};
    root.children.push_back(n);
  }
  {
    Node n = group(pp::kCheckpoint);
    locate(n, p, pp::kCheckpoint);
    const auto& c = p.checkpoint;
    n.children = {c.every ? leaf("every", quantityText(*c.every), quantityKey(*c.every)) : leaf("every", "at the end"),
                  leaf("keep", c.keep == 0 ? "all" : std::to_string(c.keep))};
    root.children.push_back(n);
  }
  for (const auto& e : p.events) {
    Node n = group(pp::event(e.on), (e.when ? conditionText(*e.when) + ": " : "") + e.action);
    locate(n, p, n.key);
    if (e.when) n.children.push_back(leaf("when", conditionText(*e.when)));
    n.children.push_back(leaf("action", e.action));
    root.children.push_back(n);
  }
  return root;
}

}  // namespace recipec::plandiff
