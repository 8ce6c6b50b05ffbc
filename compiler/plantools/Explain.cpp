// Explain.cpp — see Explain.h.
#include "compiler/plantools/Explain.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "compiler/plantools/PlanTree.h"

namespace recipec::explain {

namespace {

std::string num(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return withCommas(static_cast<int64_t>(v));
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string pct(double fraction) { return num(std::round(fraction * 1000) / 10) + "%"; }

std::string steps(int64_t n) { return withCommas(n) + (n == 1 ? " step" : " steps"); }

// "2,000 steps", "1 epoch", "64,000 tokens (250 steps)", "10% (400 steps)".
std::string quantity(const plan::Quantity& q) {
  if (q.unit == "percent") return num(q.value) + "%" + (q.steps >= 0 ? " (" + steps(q.steps) + ")" : "");
  if (q.unit == "steps") return steps(static_cast<int64_t>(q.value));
  std::string unit = q.unit;
  if (q.value == 1 && unit.back() == 's') unit.pop_back();
  return num(q.value) + " " + unit + (q.steps >= 0 ? " (" + steps(q.steps) + ")" : "");
}

std::string mixText(const std::vector<plan::MixEntry>& mix, bool end) {
  std::string s;
  for (const auto& e : mix) s += (s.empty() ? "" : " / ") + e.dataset + " " + pct(end ? e.weight_end.value_or(e.weight) : e.weight);
  return s;
}

bool scheduled(const std::vector<plan::MixEntry>& mix) {
  for (const auto& e : mix)
    if (e.weight_end && *e.weight_end != e.weight) return true;
  return false;
}

std::string metricText(const plan::Condition& c) { return c.metric + (c.dataset.empty() ? "" : "(" + c.dataset + ")"); }

std::string thresholdText(const plan::Threshold& t) {
  if (t.kind == "percentile") return "p" + num(t.value);
  if (t.kind == "sigma")
    return num(t.value) + " standard deviations above its running mean (over " + steps(t.window) + ")";
  return num(t.value);
}

std::string conditionText(const plan::Condition& c) { return metricText(c) + " " + c.op + " " + thresholdText(c.threshold); }

// Which share of the ranked blocks a percentile condition selects.
std::string share(const plan::Condition& c) {
  if (c.threshold.kind != "percentile") return "";
  bool above = c.op == ">" || c.op == ">=";
  double p = c.threshold.value / 100;
  return above ? " (the hardest " + pct(1 - p) + ")" : " (the easiest " + pct(p) + ")";
}

std::string ruleText(const plan::Rule& r) {
  const plan::Action& a = r.action;
  std::string s;
  if (a.kind == "mix") {
    s = scheduled(a.mixture) ? "mix moves linearly from " + mixText(a.mixture, false) + " to " + mixText(a.mixture, true) +
                                   " over the phase"
                             : "mix " + mixText(a.mixture, false);
  } else if (a.kind == "order") {
    const bool sources = a.granularity == "sources";
    s = std::string(sources ? "train the sources one after another, by mean " : "order the blocks by ") + a.method +
        ", " + (a.direction == "descending" ? "hardest" : "easiest") + " first" +
        " (scored with the current model at the phase's start where nothing is recorded)";
  } else if (a.kind == "record") {
    s = "record each block's " + a.metric + " (the per-" + a.granularity + " table" +
        (a.form == "relative"   ? ", relative to its step's mean loss"
         : a.form == "rescored" ? ", rescored with the current model before each focus/drop ranks it"
                                : ", as visited") +
        ")";
  } else if (a.kind == "focus") {
    s = r.when ? "train only on blocks with " + conditionText(*r.when) + share(*r.when) : "focus";
  } else if (a.kind == "drop") {
    s = r.when ? "drop the blocks with " + conditionText(*r.when) + share(*r.when) : "drop";
  } else if (a.kind == "review") {
    s = "return to all blocks";
  } else if (a.kind == "subnet") {
    s = "train a random subnetwork each step:";
    const char* parts[][2] = {{"layers", " of the layers"}, {"heads", " of the heads"}, {"mlp", " of the MLP units"}};
    bool first = true;
    for (auto& [k, what] : parts)
      if (auto it = a.params.find(k); it != a.params.end()) {
        s += std::string(first ? " " : ", ") + pct(it->second) + what;
        first = false;
      }
  } else if (a.kind == "reweight") {
    if (a.method == "irdro") {
      // The plan holds every parameter (the compiler writes the defaults).
      const double pool = a.params.count("pool") ? a.params.at("pool") : 1;
      s = "weight each sample by softmax(loss / " + num(a.params.at("lambda")) + ") over " +
          (pool > 1 ? "pools of " + num(pool) + " micro-batches" : "each micro-batch") + " (IR-DRO)";
    } else {
      s = "train on a slice of the batch ranked by loss (" + a.method;
      for (const auto& [k, v] : a.params) s += ", " + k + " " + num(v);
      s += ")";
    }
  } else if (a.kind == "fresh") {
    s = "draw only blocks no earlier step trained on (a new round of data)";
  } else if (a.kind == "remix") {
    s = "re-weight the mixture: each source x exp(" + num(a.params.at("rate")) +
        " x its loss drop over the previous phase, first vs last " + pct(a.params.at("window")) + ")";
  } else if (a.kind == "set") {
    for (const auto& [k, v] : a.params) s += "set " + k + " to " + num(v);
  } else if (a.kind == "stop") {
    s = "stop the run";
  } else if (a.kind == "checkpoint") {
    s = "save a checkpoint";
  } else {
    s = a.kind;
  }
  bool ranking = a.kind == "focus" || a.kind == "drop";
  if (r.when && !ranking) s = "when " + conditionText(*r.when) + ": " + s;
  if (r.every) {
    bool one = r.every->value == 1 && r.every->unit != "percent";
    std::string interval = one ? r.every->unit.substr(0, r.every->unit.size() - 1) : quantity(*r.every);
    s = "every " + interval + ": " + s + (ranking ? ", re-ranking the table" : "");
  }
  return s;
}

std::string eventText(const plan::Event& e) {
  std::string on = e.when ? conditionText(*e.when) : e.on;
  std::string what = e.action == "rollback" ? "roll back to the last checkpoint and skip the batch"
                     : e.action == "skip"   ? "skip the batch"
                     : e.action == "stop"   ? "stop the run"
                                            : e.action;
  return "on " + on + ": " + what;
}

// The parameter count of the runtime's models (runtime/models/GPT2.cpp, Llama.cpp), tensor by
// tensor, so explain and the run's start line agree.
double parameters(const plan::Model& m) {
  const double C = double(m.d_model), L = double(m.n_layer), F = double(m.d_ff), V = double(m.vocab_size);
  double layer = 0, rest = V * C * (m.tie_embeddings ? 1 : 2);
  if (m.arch == "llama") {
    const double H = double(m.n_head), KV = double(m.n_kv_head > 0 ? m.n_kv_head : m.n_head), D = C / H;
    layer = C + (H + 2 * KV) * D * C + C * H * D + C + 3 * F * C;  // norms, qkv, o, gate+up, down
    rest += C;                                                     // final norm
  } else {
    layer = 2 * C + 3 * C * C + 3 * C + C * C + C + 2 * C + C * F + F + F * C + C;  // ln, attn, ln, mlp
    rest += double(m.max_seq_len) * C + 2 * C;                                    // positions, final ln
  }
  return L * layer + rest;
}

std::string approx(double n) {  // as the run's start line prints it: "0.859M"
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4gM", n / 1e6);
  return buf;
}

}  // namespace

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::string explainPlan(const plan::Plan& p) {
  std::ostringstream os;
  os << (p.recipe_name.empty() ? "recipe" : p.recipe_name) << " (" << p.recipe_path << ")\n\n";

  const plan::Train& t = p.train;
  for (const auto& m : p.models) {
    if (m.name != t.model) continue;
    os << "model " << m.name << ": " << m.arch << (m.preset.empty() ? "" : " (from " + m.preset + ")") << ", "
       << m.n_layer << " layers, d_model " << m.d_model << ", " << m.n_head << " heads";
    if (m.n_kv_head != m.n_head) os << " sharing " << m.n_kv_head << " kv heads";
    os << ", d_ff " << m.d_ff << ", vocab " << withCommas(m.vocab_size) << ", context " << m.max_seq_len
       << (m.tie_embeddings ? ", tied embeddings" : "") << "; " << approx(parameters(m)) << " parameters";
    if (!m.init_from.empty()) os << "; starts from " << m.init_from;
    os << "\n";
  }
  os << "data:";
  for (const auto& d : p.datasets) {
    os << "\n  " << d.name << ": " << (d.kind == "text" ? "text" : "token shards") << " ";
    for (size_t i = 0; i < d.paths.size(); ++i) os << (i ? ", " : "") << d.paths[i];
    if (!d.tokenizer.empty()) os << ", tokenized by " << d.tokenizer;
    if (d.val_fraction > 0) os << ", " << pct(d.val_fraction) << " of the documents held out (" << d.name << ".val)";
    for (size_t i = 0; i < d.val_paths.size(); ++i)
      os << (i ? ", " : "; held-out files ") << d.val_paths[i] << (i + 1 == d.val_paths.size() ? " (" + d.name + ".val)" : "");
  }
  const plan::Schedule& s = t.schedule;
  os << "\ntraining: " << t.batch_seqs << " sequences x " << t.seq_len << " tokens = "
     << withCommas(t.batch_seqs * t.seq_len) << " tokens a step";
  if (t.micro_batch != t.batch_seqs) os << " (in micro-batches of " << t.micro_batch << ")";
  os << "; " << t.optimizer.kind << " lr " << num(t.optimizer.lr) << ", betas (" << num(t.optimizer.beta1) << ", "
     << num(t.optimizer.beta2) << "), weight decay " << num(t.optimizer.weight_decay) << ", gradients clipped at "
     << num(t.optimizer.grad_clip) << "\n";
  os << "schedule: " << s.kind << ", warmup "
     << (s.warmup_fraction > 0 ? pct(s.warmup_fraction) + " of the run" : steps(s.warmup_steps));
  if (s.kind != "constant") os << ", down to " << num(s.min_lr);
  if (s.kind == "wsd") os << " over the last " << (s.decay_fraction > 0 ? pct(s.decay_fraction) + " of the run" : steps(s.decay_steps));
  os << "; " << t.precision << ", seed " << t.seed << "\n";
  os << "run: " << (s.total_steps >= 0 ? steps(s.total_steps) + " = " + withCommas(s.total_steps * t.batch_seqs * t.seq_len) + " tokens"
                                       : std::string("its length is known at run time (it depends on the data)"))
     << "\n\ntimeline:\n";

  std::vector<plan::MixEntry> inForce;
  std::string prev;
  for (const auto& ph : p.phases) {
    std::string range;
    std::string len = ph.duration.unit == "rest" ? "the rest of the run"
                      : ph.until                 ? "until step " + (ph.duration.steps >= 0 ? withCommas(ph.duration.steps) : quantity(ph.duration))
                                                 : quantity(ph.duration);
    if (ph.start_step >= 0 && ph.end_step >= 0) range = "steps " + withCommas(ph.start_step) + "-" + withCommas(ph.end_step);
    else if (ph.start_step >= 0) range = "from step " + withCommas(ph.start_step);
    else if (!prev.empty()) range = "after " + prev;
    else range = "from the start";
    bool symbolic = ph.duration.unit == "epochs" && ph.duration.steps < 0;
    os << "  " << range << " (" << ph.name << ", " << len << (symbolic ? "; an epoch's length is known at run time" : "")
       << "):\n";
    bool mixes = false;
    for (const auto& r : ph.rules)
      if (r.action.kind == "mix" && !r.when) { mixes = true; inForce = r.action.mixture; }
    if (!mixes) {
      if (inForce.empty()) {
        std::string all;
        for (const auto& d : p.datasets) all += (all.empty() ? "" : ", ") + d.name;
        os << "      data: every dataset (" << all << ")\n";
      } else {
        os << "      data: as before (" << mixText(inForce, true) << ")\n";
      }
    }
    for (const auto& r : ph.rules) os << "      " << ruleText(r) << "\n";
    prev = ph.name;
  }
  if (!p.evaluations.empty() || p.checkpoint.every || p.checkpoint.keep || !p.events.empty()) os << "\nthroughout:\n";
  for (const auto& e : p.evaluations) {
    os << "  evaluate " << e.metric << " on " << e.dataset << "." << e.split << " ";
    os << (e.every.unit == "percent" && e.every.value == 100 ? "at the end of the run" : "every " + quantity(e.every));
    if (e.max_blocks > 0) os << " (at most " << withCommas(e.max_blocks) << " blocks)";
    os << "\n";
  }
  if (p.checkpoint.every || p.checkpoint.keep) {
    os << "  checkpoint " << (p.checkpoint.every ? "every " + quantity(*p.checkpoint.every) : std::string("at the end"));
    os << (p.checkpoint.keep > 0 ? ", keep the last " + std::to_string(p.checkpoint.keep) : ", keep all") << "\n";
  }
  for (const auto& e : p.events) os << "  " << eventText(e) << "\n";
  return os.str();
}

}  // namespace recipec::explain
