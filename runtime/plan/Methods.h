// Methods.h — the one description of every rule action and event.
//
// Contract: this table is the only place an action's parameters, their defaults and
// ranges, its positional order, the contexts it is allowed in, its use of the per-block
// table and the meaning of its condition are written. The checker (compiler/sema), the
// lowering that writes defaults into the plan (compiler/mlir/MLIRGen.cpp), the dialect's
// verifier (compiler/mlir/Ops.cpp), the runtime's policies (runtime/train/methods/) and
// docs/language.md's action table all read it; tests/runtime/test_methods_table.cpp walks
// it (every parameter checks, compiles and runs). A new method is one entry here, one enum
// case in the dialect (compiler/mlir/RecipeDialect.td) and one runtime file.
//
// Header-only and free of MLIR and LibTorch, like Plan.h, so both halves include it.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace recipec::plan::methods {

inline constexpr double kNoDefault = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// A numeric parameter: `lambda` of `reweight irdro(lambda = 1.0)`.
struct Param {
  std::string name;
  double default_value = kNoDefault;  // written into the plan when the recipe omits it
  double min = -kInf, max = kInf;
  bool min_inclusive = true, max_inclusive = true;
  bool whole = false;                 // a whole number
  bool percent = false;               // `50%` is accepted and means 0.5
  std::string doc;

  bool hasDefault() const { return !std::isnan(default_value); }
  bool inRange(double v) const {
    if (std::isnan(v)) return false;
    if (whole && (v != std::floor(v) || std::fabs(v) > 9007199254740992.0)) return false;  // 2^53: no int64 wrap
    if (min_inclusive ? v < min : v <= min) return false;
    return max_inclusive ? v <= max : v < max;
  }
  // "(need > 0)", "(need 0 < frac <= 1)", "(need a whole number >= 1)": the text after a
  // value that is out of range, the same in check, compile and run.
  // A percentage parameter reads in percent where the value was written as one (check),
  // as a fraction where it is one (the IR, the plan): as_fraction.
  std::string rangeText(bool as_fraction = false) const {
    auto num = [](double v) {
      std::string s = std::to_string(v);
      s.erase(s.find_last_not_of('0') + 1);
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    };
    std::string lo = min_inclusive ? ">= " : "> ";
    if (percent && !as_fraction)
      return "(need more than " + num(min * 100) + "% and at most " + num(max * 100) + "%)";
    if (std::isinf(min) && std::isinf(max)) return "(need a number)";
    if (whole) return "(need a whole number " + lo + num(min) + ")";
    if (std::isinf(max)) return "(need " + lo + num(min) + ")";
    return "(need " + num(min) + (min_inclusive ? " <= " : " < ") + name + (max_inclusive ? " <= " : " < ") +
           num(max) + ")";
  }
};

// A word parameter: `by` and `direction` of `order by ppl ascending`.
struct Word {
  std::string name;
  std::vector<std::string> choices;  // the first is the default
  std::string doc;
};

enum class TableUse {
  kNone,          // does not touch the per-block table
  kBuilds,        // writes it (record)
  kNeeds,         // ranks it: a phase before (or this one) must record it
  kScoresIfEmpty  // ranks it, and scores the blocks with the current model when nothing
                  // is recorded yet (order)
};

enum class Condition {
  kNone,          // takes no `when`
  kTrigger,       // `when C`: fires each time C turns true
  kSelectsBlocks  // `when ppl > p50`: which blocks (required)
};

enum class Form {
  kWord,    // `review`, `fresh`: the keyword alone
  kCall,    // `reweight irdro(lambda = 1)`, `remix(rate = 1)`: arguments by name or position
  kObject,  // `subnet { layers: 75% }`: named fields
  kSet,     // `set lr = 1e-4`: exactly one of the parameters
  kSpecial  // `mix`, `order`, `record`: their own syntax, words only
};

struct Action {
  std::string kind;    // plan Action.kind and the recipe's keyword
  std::string method;  // a method of `kind` (reweight irdro); empty when the kind has one form
  std::string family;  // "LFR" | "EST" | "IR-DRO" | "continual" | "control"
  std::string runtime_file;
  Form form = Form::kWord;
  std::vector<Param> params;  // in positional order
  std::vector<Word> words;
  TableUse table = TableUse::kNone;
  Condition condition = Condition::kTrigger;
  std::string example;  // a complete rule, as docs and help lines show it
  std::string summary;
  bool repeats = true;   // may take `every N` (and `when`, for a trigger)

  const Param* param(const std::string& n) const {
    for (const auto& p : params)
      if (p.name == n) return &p;
    return nullptr;
  }
  const Word* word(const std::string& n) const {
    for (const auto& w : words)
      if (w.name == n) return &w;
    return nullptr;
  }
  std::vector<std::string> paramNames() const {
    std::vector<std::string> out;
    for (const auto& p : params) out.push_back(p.name);
    return out;
  }
  std::string spelled() const { return method.empty() ? kind : kind + " " + method; }
};

inline const std::vector<Action>& actions() {
  static const std::vector<Action> table = [] {
    auto fraction = [](std::string n, std::string doc) {
      return Param{std::move(n), 1.0, 0.0, 1.0, false, true, false, true, std::move(doc)};
    };
    std::vector<Action> t;
    t.push_back({"mix", "", "continual", "runtime/train/methods/Continual.cpp", Form::kSpecial, {}, {},
                 TableUse::kNone, Condition::kTrigger, "mix { web: 0.8, code: 0.2 }",
                 "sample from a mixture (weights may ramp linearly over the phase: `a: 0.2 -> 0.6`)"});
    t.push_back({"order", "", "continual", "runtime/train/methods/Continual.cpp", Form::kSpecial, {},
                 {{"unit", {"blocks", "sources"}, "`order sources by ppl`: whole sources in turn, easiest first"},
                  {"by", {"ppl", "loss"}, "what blocks are ranked by (the two give the same order)"},
                  {"direction", {"ascending", "descending"}, "easiest first, or hardest first"}},
                 TableUse::kScoresIfEmpty, Condition::kTrigger, "order by ppl ascending",
                 "a curriculum: blocks (or sources) in order of perplexity; scores them with the current "
                 "model at phase start when nothing is recorded"});
    t.push_back({"record", "", "LFR", "runtime/train/methods/Lfr.cpp", Form::kSpecial, {},
                 {{"metric", {"ppl", "loss"}, "what is stored (the table keeps the loss; ppl = exp(loss))"},
                  {"per", {"block"}, "granularity"},
                  {"form", {"visited", "relative", "rescored"},
                   "`visited`: the loss when the block was trained on (LFR's form); `relative`: minus the "
                   "step's mean loss; `rescored`: the blocks are scored again with the current model "
                   "before each focus/drop ranks them"}},
                 TableUse::kBuilds, Condition::kTrigger, "record ppl per block",
                 "store each block's loss from the training forward pass"});
    t.push_back({"focus", "", "LFR", "runtime/train/methods/Lfr.cpp", Form::kWord, {}, {}, TableUse::kNeeds,
                 Condition::kSelectsBlocks, "focus when ppl > p50",
                 "train only on the blocks whose recorded perplexity satisfies the condition"});
    t.push_back({"drop", "", "LFR", "runtime/train/methods/Lfr.cpp", Form::kWord, {}, {}, TableUse::kNeeds,
                 Condition::kSelectsBlocks, "drop when ppl < p10", "leave out the blocks that satisfy the condition"});
    t.push_back({"review", "", "LFR", "runtime/train/methods/Lfr.cpp", Form::kWord, {}, {}, TableUse::kNone,
                 Condition::kNone, "review", "clear the table and every focus/drop: all blocks again"});
    t.push_back({"subnet", "", "EST", "runtime/train/methods/Est.cpp", Form::kObject,
                 {fraction("layers", "fraction of the layers each step keeps"),
                  fraction("heads", "fraction of each layer's attention heads"),
                  fraction("mlp", "fraction of each layer's MLP units")},
                 {}, TableUse::kNone, Condition::kTrigger, "subnet { layers: 75%, heads: 50%, mlp: 50% }",
                 "each step trains a random subnetwork keeping these fractions (an omitted part is kept whole)"});
    t.push_back({"reweight", "irdro", "IR-DRO", "runtime/train/methods/IrDro.cpp", Form::kCall,
                 {{"lambda", 1.0, 0.0, kInf, false, true, false, false, "temperature of softmax(loss / lambda)"},
                  {"pool", 1.0, 1.0, kInf, true, true, true, false,
                   "micro-batches whose samples share one softmax (their graphs are kept until it is taken)"}},
                 {}, TableUse::kNone, Condition::kTrigger, "reweight irdro(lambda = 1.0, pool = 1)",
                 "weight each sequence's loss by softmax(loss / lambda) over the micro-batch (or pool)"});
    t.push_back({"reweight", "rank", "IR-DRO", "runtime/train/methods/IrDro.cpp", Form::kCall,
                 {{"frac", 0.125, 0.0, 1.0, false, true, false, false, "k = frac x the micro-batch"},
                  {"portion", 0.0, 0.0, kInf, true, true, true, false, "which slice of k: 0 = the hardest"}},
                 {}, TableUse::kNone, Condition::kTrigger, "reweight rank(frac = 0.125, portion = 1)",
                 "keep the slice [portion*k, (portion+1)*k) of the micro-batch sorted by loss"});
    t.push_back({"fresh", "", "continual", "runtime/train/methods/Continual.cpp", Form::kWord, {}, {},
                 TableUse::kNone, Condition::kNone, "fresh",
                 "draw only blocks never trained on (in this or any earlier phase): data in rounds"});
    t.back().repeats = false;
    t.push_back({"remix", "", "continual", "runtime/train/methods/Continual.cpp", Form::kCall,
                 {{"rate", 1.0, -kInf, kInf, true, true, false, false,
                   "w <- w exp(rate x d), d = the source's loss drop (nats) over the previous phase; "
                   "> 0 favours sources still improving, < 0 those improving least"},
                  {"window", 0.2, 0.0, 0.5, false, true, false, true,
                   "the share of the previous phase at each end whose losses are compared"}},
                 {}, TableUse::kNone, Condition::kNone, "remix(rate = 1.0, window = 20%)",
                 "re-weight this phase's mixture from each source's perplexity change in the previous phase"});
    t.back().repeats = false;
    t.push_back({"set", "", "control", "runtime/train/methods/Control.cpp", Form::kSet,
                 {{"lr", kNoDefault, 0.0, kInf, true, true, false, false, "base learning rate"},
                  {"weight_decay", kNoDefault, 0.0, kInf, true, true, false, false, "AdamW weight decay"},
                  {"grad_clip", kNoDefault, 0.0, kInf, true, true, false, false, "max global grad norm; 0 = off"}},
                 {}, TableUse::kNone, Condition::kTrigger, "set lr = 1e-4", "change a setting for the rest of the run"});
    t.push_back({"stop", "", "control", "runtime/train/methods/Control.cpp", Form::kWord, {}, {}, TableUse::kNone,
                 Condition::kTrigger, "stop when val.ppl(web.val) < 20", "end the run"});
    t.push_back({"checkpoint", "", "control", "runtime/train/methods/Control.cpp", Form::kWord, {}, {},
                 TableUse::kNone, Condition::kTrigger, "checkpoint every 1000 steps", "save a checkpoint"});
    return t;
  }();
  return table;
}

// The kinds in table order, each once ("mix", "order", ...): what a recipe may write.
inline std::vector<std::string> kinds() {
  std::vector<std::string> out;
  for (const auto& a : actions())
    if (out.empty() || out.back() != a.kind) out.push_back(a.kind);
  return out;
}

// The methods of a kind ("irdro", "rank" for reweight); empty for one-form kinds.
inline std::vector<std::string> methodsOf(const std::string& kind) {
  std::vector<std::string> out;
  for (const auto& a : actions())
    if (a.kind == kind && !a.method.empty()) out.push_back(a.method);
  return out;
}

inline const Action* find(const std::string& kind, const std::string& method = "") {
  for (const auto& a : actions())
    if (a.kind == kind && (a.method == method || a.method.empty())) return &a;
  return nullptr;
}

// Events: `on nan: ACTION` and `on CONDITION: ACTION`. The plan's `on` says which: a
// sigma threshold on loss or grad_norm is a spike, a number threshold a plain condition.
struct Event {
  std::string on;                    // the plan's Event.on
  std::vector<std::string> metrics;  // what its condition watches; empty: it takes none
  std::string example;
};

inline const std::vector<Event>& events() {
  static const std::vector<Event> table{
      {"nan", {}, "on nan: rollback"},
      {"loss_spike", {"loss"}, "on loss > 4 sigma: skip"},
      {"grad_spike", {"grad_norm"}, "on grad_norm > 6 sigma over 200 steps: stop"},
      {"condition", {"loss", "grad_norm"}, "on loss > 12: stop"},
  };
  return table;
}

// What an event may do, whatever its trigger.
inline const std::vector<std::string>& eventActions() {
  static const std::vector<std::string> a{"rollback", "skip", "stop"};
  return a;
}

}  // namespace recipec::plan::methods
