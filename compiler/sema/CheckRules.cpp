// CheckRules.cpp — checks of the train block, phases, conditions,
// evaluation and checkpoint policies. Codes are listed in docs/errors.md.
#include <cmath>
#include <map>

#include "compiler/ast/Printer.h"
#include "compiler/sema/Checker.h"
#include "runtime/plan/Methods.h"

namespace recipec::sema {

using ast::Expr;
using K = ast::Expr::Kind;

namespace {
const std::vector<std::string> kTrainKeys{"model", "seq_len", "batch", "micro_batch", "optimizer",
                                          "schedule", "precision", "seed", "grad_clip", "init", "total"};
const std::vector<std::string> kActions = plan::methods::kinds();
const std::vector<std::string> kMetrics{"loss", "ppl", "val.ppl", "grad_norm", "step", "tokens"};

}  // namespace

void Checker::checkTrain() {
  const bool isRecipe = p_.root()->recipeName.has_value() || p_.root()->extends.has_value();
  if (!s_.trainDecl) {
    if (isRecipe) {
      auto& d = d_.error("E0380", "recipe `" + s_.recipeName + "` has no `train` block", s_.recipeNameRange,
                         "declared here");
      d.help = "add `train { model net; seq_len 256; batch 32; optimizer adamw(lr = 6e-4) }`";
    }
    return;
  }
  for (const auto& key : s_.trainOrder) {
    const ast::Setting& st = *s_.train.at(key);
    const Expr* v = st.value.get();
    const std::string what = "`" + key + "`";
    if (std::find(kTrainKeys.begin(), kTrainKeys.end(), key) == kTrainKeys.end()) {
      unknown("train setting", key, st.key.range, kTrainKeys, "E0204");
      continue;
    }
    if (st.from && key != "init") {
      d_.error("E0100", "`from` only follows `init`", st.key.range);
      continue;
    }
    if (key == "model") {
      if (auto w = word(v, what)) {
        if (!s_.models.count(*w)) {
          auto& d = unknown("model", *w, v->range, keys(s_.models));
          if (s_.models.empty()) d.help = "declare one: model net = gpt2_nano (with `use \"stdlib/models.recipe\"`)";
        }
      }
    } else if (key == "seq_len" || key == "seed" || key == "micro_batch") {
      if (auto n = number(v, what)) {
        if (*n < (key == "seed" ? 0 : 1) || !isWhole(*n))
          valueError("E0312", what + " is " + fmtNumber(*n) + " (need a " +
                                  (key == "seed" ? "non-negative" : "positive") + " whole number" + wholeLimit(*n) + ")", v);
      }
    } else if (key == "batch") {
      const Expr* r = resolve(v);
      if (r && r->kind == K::Quantity) {
        if (r->unit != "tokens") {
          d_.error("E0301", "`batch` is counted in sequences or `tokens`, not " + r->unit, r->range)
              .help = "write `batch 32` (sequences) or `batch 64k tokens`";
        }
      } else if (auto n = number(v, what)) {
        if (*n < 1 || !isWhole(*n))
          valueError("E0312", "`batch` is " + fmtNumber(*n) + " (need a positive whole number of sequences" + wholeLimit(*n) + ")", v);
      }
    } else if (key == "grad_clip") {
      if (auto n = number(v, what); n && *n < 0)
        valueError("E0312", "`grad_clip` is " + fmtNumber(*n) + " (need >= 0; 0 turns clipping off)", v);
    } else if (key == "precision") {
      if (auto w = word(v, what); w && *w != "fp32" && *w != "bf16")
        unknown("precision", *w, v->range, {"fp32", "bf16"}, "E0206");
    } else if (key == "total") {
      checkTotal(*v);
    } else if (key == "init") {
      if (!st.from) d_.error("E0100", "write `init from \"weights.safetensors\"`", st.range);
      if (auto s = string(v, "`init from`")) missingFile(*s, v->range, "weights file", v);
    } else if (key == "optimizer") {
      const Expr* c = resolve(v);
      if (!c || c->kind != K::Call) { typeError(v, what, "a call like adamw(lr = 6e-4)"); continue; }
      if (c->text != "adamw") { unknown("optimizer", c->text, c->calleeRange, {"adamw"}, "E0205"); continue; }
      checkFields(*c, {"lr", "betas", "weight_decay", "eps"}, "argument of `adamw`");
      bool hasLr = false;
      for (const auto& f : c->fields) {
        if (f.name.name.empty()) {
          d_.error("E0370", "arguments of `adamw` are named", f.range).help = "write lr = 6e-4";
        } else if (f.name.name == "betas") {
          const Expr* t = resolve(f.value.get());
          if (!t || t->kind != K::Tuple || t->elements.size() != 2) { typeError(f.value.get(), "`betas`", "a pair like (0.9, 0.95)"); continue; }
          for (const auto& b : t->elements)
            if (auto n = number(b.get(), "a beta"); n && (*n < 0 || *n >= 1))
              valueError("E0312", "beta " + fmtNumber(*n) + " is out of range (need 0 <= beta < 1)", b.get());
        } else if (f.name.name == "lr" || f.name.name == "eps" || f.name.name == "weight_decay") {
          hasLr |= f.name.name == "lr";
          if (auto n = number(f.value.get(), "`" + f.name.name + "`")) {
            bool bad = f.name.name == "weight_decay" ? *n < 0 : *n <= 0;
            if (bad) valueError("E0312", "`" + f.name.name + "` is " + fmtNumber(*n) +
                                             (f.name.name == "weight_decay" ? " (need >= 0)" : " (need > 0)"), f.value.get());
          }
        }
      }
      if (!hasLr) d_.error("E0380", "`adamw` needs a learning rate", c->range, "no `lr`").help = "add lr = 6e-4";
    } else if (key == "schedule") {
      const Expr* c = resolve(v);
      if (!c || c->kind != K::Call) { typeError(v, what, "a call like cosine(warmup = 200 steps)"); continue; }
      static const std::vector<std::string> kinds{"constant", "cosine", "wsd", "linear"};
      if (std::find(kinds.begin(), kinds.end(), c->text) == kinds.end()) { unknown("schedule", c->text, c->calleeRange, kinds, "E0205"); continue; }
      checkFields(*c, c->text == "wsd" ? std::vector<std::string>{"warmup", "decay", "min_lr"}
                                       : std::vector<std::string>{"warmup", "min_lr"},
                  "argument of `" + c->text + "`");
      for (const auto& f : c->fields) {
        const Expr* a = resolve(f.value.get());
        if (!a) continue;
        if (f.name.name == "warmup" || f.name.name == "decay") {
          if (a->kind == K::Number) {
            d_.error("E0300", "`" + f.name.name + "` needs a unit", a->range, "a bare number")
                .help = "write `" + ast::printExpr(*a) + " steps` or `" + ast::printExpr(*a) + "%` of the run";
          } else if (a->kind == K::Quantity && a->unit != "steps" && a->unit != "tokens" && a->unit != "percent") {
            d_.error("E0301", "`" + f.name.name + "` cannot be measured in " + a->unit, a->range)
                .help = "use steps, tokens or % of the run";
          } else if (a->kind == K::Quantity && a->unit == "percent" && (a->number < 0 || a->number > 100)) {
            valueError("E0312", "`" + f.name.name + "` of " + fmtNumber(a->number) + "% is out of range (need 0%..100%)", f.value.get());
          } else if (a->kind == K::Quantity && a->number < 0) {
            valueError("E0312", "`" + f.name.name + "` of " + ast::printExpr(*a) + " is negative (need >= 0)", f.value.get())
                .help = std::string(f.name.name == "warmup" ? "`warmup = 0 steps` starts at the full learning rate"
                                                            : "`decay` is how long the rate falls at the end of the run");
          }
        } else if (f.name.name == "min_lr") {
          if (a->kind == K::Quantity && a->unit == "percent") {
            if (a->number < 0 || a->number > 100)
              valueError("E0312", "`min_lr` of " + fmtNumber(a->number) + "% is out of range (need 0%..100% of lr)", f.value.get());
          } else if (auto n = number(f.value.get(), "`min_lr`"); n && *n < 0) {
            valueError("E0312", "`min_lr` is " + fmtNumber(*n) + " (need >= 0)", f.value.get());
          }
        }
      }
    }
  }
  auto has = [&](const char* k) { return s_.train.count(k) > 0; };
  for (const char* k : {"model", "seq_len", "batch", "optimizer"}) {
    if (!has(k)) {
      auto& d = d_.error("E0380", std::string("the `train` block has no `") + k + "`", s_.trainDecl->range,
                         "in this block");
      d.help = std::string(k) == "model" ? "add `model net` naming a declared model"
               : std::string(k) == "optimizer" ? "add `optimizer adamw(lr = 6e-4)`"
               : std::string("add `") + k + (std::string(k) == "seq_len" ? " 256`" : " 32`");
    }
  }
  // Cross-setting shape checks.
  std::optional<double> seqLen = has("seq_len") ? peekNumber(s_.train.at("seq_len")->value.get()) : std::nullopt;
  if (seqLen && has("model")) {
    if (auto m = word(s_.train.at("model")->value.get(), ""); m && s_.models.count(*m)) {
      if (auto ctx = modelField(*m, "ctx"); ctx && *seqLen > *ctx) {
        auto& d = d_.error("E0362", "`seq_len` " + fmtNumber(*seqLen) + " exceeds the context of model `" + *m +
                                        "` (" + fmtNumber(*ctx) + ")", s_.train.at("seq_len")->value->range);
        d.help = "lower seq_len or raise the model's `ctx`";
      }
    }
  }
  if (seqLen && *seqLen > 0 && has("batch")) {
    const Expr* b = resolve(s_.train.at("batch")->value.get());
    double seqs = 0;
    if (b && b->kind == K::Quantity && b->unit == "tokens") {
      if (b->number < *seqLen) {
        d_.error("E0312", "`batch` of " + ast::printExpr(*b) + " is less than one sequence of " + fmtNumber(*seqLen) +
                              " tokens (need a positive whole number of sequences)", b->range)
            .help = "a batch is whole sequences: at least `batch " + fmtNumber(*seqLen) + " tokens`";
      } else if (std::fmod(b->number, *seqLen) != 0) {
        auto& d = d_.error("E0363", "`batch` of " + fmtNumber(b->number) + " tokens is not a whole number of " +
                                        fmtNumber(*seqLen) + "-token sequences", b->range);
        d.help = "use a multiple of seq_len, e.g. " + fmtNumber(std::round(b->number / *seqLen) * *seqLen) + " tokens";
      }
      seqs = std::floor(b->number / *seqLen);
    } else if (b && b->kind == K::Number) {
      seqs = b->number;
    }
    if (seqs > 0 && has("micro_batch")) {
      if (auto mb = peekNumber(s_.train.at("micro_batch")->value.get()); mb && *mb > 0 && std::fmod(seqs, *mb) != 0) {
        auto& d = d_.error("E0363", "`micro_batch` " + fmtNumber(*mb) + " does not divide the batch of " +
                                        fmtNumber(seqs) + " sequences", s_.train.at("micro_batch")->value->range);
        d.help = "gradient accumulation needs batch = micro_batch x steps";
      }
    }
  }
}

// `total 30k steps`, `total 92.5B tokens`, `total 3 epochs`: the run's length.
void Checker::checkTotal(const Expr& e) {
  const Expr* q = resolve(&e);
  if (!q) return;
  if (q->kind == K::Number) {
    auto& d = d_.error("E0300", "`total " + ast::printExpr(*q) + "` has no unit", e.range, "steps, tokens or epochs?");
    d.help = "write `total " + ast::printExpr(*q) + " steps`";
  } else if (q->kind != K::Quantity) {
    typeError(&e, "`total`", "a length like `30k steps`");
  } else if (q->unit != "steps" && q->unit != "tokens" && q->unit != "epochs") {
    d_.error("E0301", "the run's `total` cannot be measured in " + q->unit, e.range)
        .help = "the run lasts steps, tokens or epochs: `total 30k steps`";
  } else if (q->number <= 0) {
    d_.error("E0312", "`total` is " + ast::printExpr(*q) + " (need > 0)", e.range);
  }
}

// A length written as a constant's name (`for learn_len`, `every eval_every`): its value, or
// null after reporting a name that is not a constant. `q` keeps the written range for messages.
const Expr* Checker::lengthValue(const Expr& written) {
  if (written.kind != K::Name) return &written;
  const Expr* r = resolve(&written);
  if (!r) return nullptr;  // a cycle, reported by checkLets
  if (r->kind == K::Name) {
    unknown("constant", r->text, r->range, keys(s_.lets));
    return nullptr;
  }
  return r;
}

void Checker::checkInterval(const ast::Interval& iv, const char* what) {
  if (iv.epoch) return;
  const Expr* resolved = lengthValue(*iv.quantity);
  if (!resolved) return;
  const Expr& q = *resolved;
  if (q.kind != K::Number && q.kind != K::Quantity) {
    typeError(iv.quantity.get(), what, "an interval like `2k steps`");
    return;
  }
  // Through a constant: point at the use, and show the value.
  const diag::SourceRange at = iv.quantity->range;
  auto viaConstant = [&](diag::Diagnostic& d) {
    if (&q != iv.quantity.get()) d.secondary.push_back({q.range, "the value of `" + iv.quantity->text + "`"});
  };
  if (q.kind == K::Number) {
    auto& d = d_.error("E0300", std::string(what) + " `every " + q.text + "` has no unit", at, "steps, tokens or epochs?");
    d.help = &q != iv.quantity.get() ? "give the constant a unit: `let " + iv.quantity->text + " = " + q.text + " steps`"
                                     : "write `every " + q.text + " steps`";
    viaConstant(d);
  } else if (q.unit != "steps" && q.unit != "tokens" && q.unit != "epochs" && q.unit != "percent") {
    auto& d = d_.error("E0301", std::string(what) + " cannot repeat every " + ast::printExpr(q), at);
    d.help = "intervals are counted in steps, tokens, epochs or % (of the run; of the phase for a rule)";
    viaConstant(d);
  } else if (q.unit == "percent" && (q.number <= 0 || q.number > 100)) {
    viaConstant(d_.error("E0312", std::string(what) + " interval is " + ast::printExpr(q) + " (need 0% < N <= 100%)", at));
  } else if (q.number <= 0) {
    viaConstant(d_.error("E0312", std::string(what) + " interval is " + ast::printExpr(q) + " (need > 0)", at));
  }
}

void Checker::checkDuration(const ast::Duration& d) {
  if (d.kind == ast::Duration::Kind::Rest) return;
  const Expr* resolved = lengthValue(*d.quantity);
  if (!resolved) return;
  const Expr& q = *resolved;
  if (q.kind != K::Number && q.kind != K::Quantity) {
    typeError(d.quantity.get(), "a phase length", "a length like `1 epoch`");
    return;
  }
  // Through a constant: point at the use, and show the value.
  const diag::SourceRange at = d.quantity->range;
  const bool constant = &q != d.quantity.get();
  auto viaConstant = [&](diag::Diagnostic& e) {
    if (constant) e.secondary.push_back({q.range, "the value of `" + d.quantity->text + "`"});
  };
  const char* word = d.kind == ast::Duration::Kind::For ? "for" : "until";
  if (q.kind == K::Number) {
    auto& e = d_.error("E0300", std::string("phase length `") + word + " " + (constant ? d.quantity->text : q.text) +
                                    "` has no unit", at, "steps, tokens or epochs?");
    e.help = constant ? "give the constant a unit: `let " + d.quantity->text + " = " + q.text + " steps`"
                      : std::string("write `") + word + " " + q.text + " steps`";
    viaConstant(e);
  } else if (q.unit == "sigma") {
    auto& e = d_.error("E0301", "a phase cannot last " + ast::printExpr(q), at, "`sigma` measures spread, not time");
    e.help = "phases last steps, tokens, epochs or a % of the run";
    viaConstant(e);
  } else if (d.kind == ast::Duration::Kind::Until && q.unit != "steps" && q.unit != "tokens") {
    viaConstant(d_.error("E0301", "`until` needs an absolute point in steps or tokens, not " + q.unit, at));
  } else if (q.number <= 0) {
    viaConstant(d_.error("E0312", "phase length is " + ast::printExpr(q) + " (need > 0)", at));
  } else if (q.unit == "percent" && q.number > 100) {
    viaConstant(d_.error("E0312", "phase length of " + fmtNumber(q.number) + "% is more than the whole run", at));
  }
}

void Checker::checkPhases() {
  const bool isRecipe = p_.root()->recipeName.has_value() || p_.root()->extends.has_value();
  if (s_.phases.empty()) {
    if (isRecipe)
      d_.error("E0380", "recipe `" + s_.recipeName + "` has no phases", s_.recipeNameRange, "nothing to run")
          .help = "add `phase main for 1 epoch { mix web }`";
    return;
  }
  const ast::PhaseDecl* rest = nullptr;
  double percent = 0;
  bool table = false;
  for (const ast::PhaseDecl* ph : s_.phases) {
    checkDuration(ph->duration);
    if (rest) {
      auto& d = d_.error("E0330", "phase `" + ph->name.name + "` comes after a phase that runs for the `rest`",
                         ph->name.range, "never reached");
      d.secondary.push_back({rest->duration.range, "`" + rest->name.name + "` already takes the rest of the run"});
      d.help = "move `" + ph->name.name + "` before `" + rest->name.name + "`, or give `" + rest->name.name + "` a length";
    }
    if (ph->duration.kind == ast::Duration::Kind::Rest && !rest) {
      rest = ph;
      // A `rest` phase ends where the run does, and only `total` says where that is.
      if (s_.trainDecl && !s_.train.count("total")) {
        auto& d = d_.error("E0380", "phase `" + ph->name.name + "` runs for the `rest`, but the run has no length",
                           ph->duration.range, "needs the run's `total`");
        d.notes.push_back("the run's length is given by `total` in the train block; the phases before a `rest` "
                          "phase do not say where the run ends");
        d.help = "add `total 30k steps` to the train block";
      }
    }
    const Expr* len = ph->duration.quantity ? resolve(ph->duration.quantity.get()) : nullptr;
    if (len && len->kind == K::Quantity && len->unit == "percent") {
      percent += len->number;
      if (percent > 100 + 1e-9)
        d_.error("E0312", "phases given in % add up to " + fmtNumber(percent) + "% of the run (need <= 100%)",
                 ph->duration.range);
    }
    bool records = false;
    bool afterUnknown = false;
    const ast::Rule* previous = nullptr;
    for (const auto& r : ph->rules) {
      // `recrod ppl per block` parses as four one-word actions; after an unknown one, the
      // words that follow on its line are its arguments, not more mistakes.
      bool simple = r.action.kind == ast::Action::Kind::Simple && !r.when && !r.every;
      bool known = std::find(kActions.begin(), kActions.end(), r.action.keyword.name) != kActions.end();
      // `order by ppl upward`: an unknown word on the line of an `order` without a direction
      // was meant as its direction.
      const bool orderWord = previous && previous->action.kind == ast::Action::Kind::Order &&
                             !previous->action.modifier && previous->range.line == r.range.line;
      previous = &r;
      if (simple && !known && orderWord) {
        const auto& dirs = plan::methods::find("order")->word("direction")->choices;
        unknown("order", r.action.keyword.name, r.action.keyword.range, dirs, "E0206");
        afterUnknown = true;
        continue;
      }
      if (afterUnknown && simple && !known) continue;
      afterUnknown = r.action.kind == ast::Action::Kind::Simple && !known;
      checkRule(*ph, r, records, table);
    }
    table = table || records;
  }
}

void Checker::checkCondition(const ast::Condition& c, const char* context, bool perBlock) {
  if (std::find(kMetrics.begin(), kMetrics.end(), c.metric.name) == kMetrics.end()) {
    unknown("metric", c.metric.name, c.metric.range, kMetrics, "E0203");
    return;
  }
  if (c.metric.name == "val.ppl") {
    if (!c.argument) {
      d_.error("E0380", "`val.ppl` needs the split it is measured on", c.metric.range)
          .help = "write `val.ppl(web.val)`";
    } else {
      std::string ds = c.argument->name.substr(0, c.argument->name.find('.'));
      if (!s_.datasets.count(ds)) unknown("dataset", ds, c.argument->range, keys(s_.datasets));
    }
  }
  const Expr* t = resolve(c.threshold.get());
  if (!t) return;
  if (t->kind == K::Percentile) {
    if (t->number < 0 || t->number > 100) {
      d_.error("E0320", "percentile " + t->text + " is outside p0..p100", t->range)
          .help = "percentiles rank the per-block table from p0 (easiest) to p100 (hardest)";
    } else if (!perBlock) {
      auto& d = d_.error("E0321", std::string("a percentile threshold needs the per-block table, which ") + context +
                                      " does not use", t->range);
      d.help = "percentiles work in `focus`, `drop` and `order` rules; compare `" + c.metric.name + "` with a number here";
    }
  } else if (t->kind == K::Quantity && t->unit == "sigma") {
    if (perBlock) {
      d_.error("E0321", "a sigma threshold does not rank blocks", t->range)
          .help = "use a percentile such as p90 to keep the hardest 10% of blocks";
    } else if (c.metric.name != "loss" && c.metric.name != "grad_norm") {
      d_.error("E0321", "a sigma threshold needs a running series; `" + c.metric.name + "` is not one", t->range)
          .help = "sigma thresholds apply to `loss` and `grad_norm`";
    }
  } else if (t->kind == K::Quantity && (c.metric.name == "step" || c.metric.name == "tokens")) {
    // `step > 10k steps` is fine; a unit that is not a count is not.
    if (t->unit != "steps" && t->unit != "tokens")
      d_.error("E0301", "`" + c.metric.name + "` is compared with a count, not " + t->unit, t->range);
  } else if (t->kind == K::Quantity) {
    auto& d = d_.error("E0301", "`" + c.metric.name + "` is compared with a plain number, not " + ast::printExpr(*t),
                       t->range);
    if (t->unit == "percent")
      d.help = perBlock ? "a percentile of the per-block table is written `p" + fmtNumber(t->number) + "`"
                        : "compare with a plain number, e.g. `" + c.metric.name + " > 30`";
  } else {
    number(c.threshold.get(), "the threshold");
  }
  if (c.window) {
    const Expr& w = *c.window;
    if (w.kind != K::Quantity || w.unit != "steps")
      d_.error("E0301", "the window of a sigma threshold is counted in steps", w.range).help = "write `over 100 steps`";
  }
}

void Checker::checkEvaluate(const ast::EvaluateDecl& e) {
  if (e.metric.name != "ppl" && e.metric.name != "loss")
    unknown("evaluation metric", e.metric.name, e.metric.range, {"ppl", "loss"}, "E0203");
  auto dot = e.target.name.find('.');
  std::string ds = e.target.name.substr(0, dot);
  std::string split = dot == std::string::npos ? "" : e.target.name.substr(dot + 1);
  auto it = s_.datasets.find(ds);
  if (it == s_.datasets.end()) {
    unknown("dataset", ds, e.target.range, keys(s_.datasets));
  } else if (split.empty()) {
    d_.error("E0380", "say which split of `" + ds + "` to evaluate on", e.target.range)
        .help = "write `evaluate ppl on " + ds + ".val`";
  } else if (split != "val") {
    unknown("split", split, e.target.range, {"val"}, "E0206");
  } else {
    requireValSplit(*it->second, e.target.range, "evaluated here");
  }
  if (e.every) checkInterval(*e.every, "an evaluation");
  if (e.limit) {
    if (e.limitUnit.name != "blocks" && e.limitUnit.name != "block")
      unknown("limit unit", e.limitUnit.name, e.limitUnit.range, {"blocks"}, "E0206");
    if (e.limit->number < 1 || !isWhole(e.limit->number))
      d_.error("E0312", "evaluation limit is " + e.limit->text + " (need a positive whole number" + wholeLimit(e.limit->number) + ")", e.limit->range);
  }
}

void Checker::requireValSplit(const ast::DatasetDecl& ds, const diag::SourceRange& at, const char* label) {
  if (ds.split || ds.source->text == "shards") return;
  auto& d = d_.error("E0380", "dataset `" + ds.name.name + "` has no `val` split", at, label);
  d.secondary.push_back({ds.name.range, "declared without a split"});
  d.help = "add `split val 2%` to the dataset";
}

void Checker::checkCheckpoint(const ast::CheckpointDecl& c) {
  if (c.every) checkInterval(*c.every, "a checkpoint");
  if (c.keep && (c.keep->number < 1 || !isWhole(c.keep->number)))
    d_.error("E0312", "`keep " + c.keep->text + "` (need a positive whole number of checkpoints" + wholeLimit(c.keep->number) + ")", c.keep->range);
}

}  // namespace recipec::sema
