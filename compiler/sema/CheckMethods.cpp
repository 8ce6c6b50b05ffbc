// CheckMethods.cpp — rules and events checked against the method descriptions
// (runtime/plan/Methods.h): which actions exist, their parameters, defaults' ranges,
// positional order, forms, table use and conditions. Codes are listed in docs/errors.md.
#include <cmath>

#include "compiler/ast/Printer.h"
#include "compiler/sema/Checker.h"
#include "runtime/plan/Methods.h"

namespace recipec::sema {

using ast::Expr;
using K = ast::Expr::Kind;

// A method's numeric argument or field against its description (Methods.h): a number, or
// a percentage where the description allows one, within range.
void Checker::checkMethodValue(const plan::methods::Param& p, const Expr* written, const std::string& what) {
  const Expr* v = resolve(written);
  if (!v) return;
  if (p.percent && v->kind == K::Quantity && v->unit != "percent") {
    d_.error("E0301", what + " is a fraction or a percentage, not " + ast::printExpr(*v), v->range);
    return;
  }
  std::optional<double> n;
  if (p.percent && v->kind == K::Quantity) n = v->number / 100;
  else n = number(written, "`" + p.name + "`");
  if (n && !p.inRange(*n))
    valueError("E0312", what + (p.percent ? " keeps " + ast::printExpr(*v) : " is " + fmtNumber(*n)) + " " + p.rangeText(),
               written);
}

// `irdro(lambda = 1, pool = 4)`, `remix(0.5)`: names or positions against the description.
void Checker::checkMethodCall(const plan::methods::Action& spec, const Expr& c) {
  const auto names = spec.paramNames();
  checkFields(c, names, "argument of `" + c.text + "`");
  for (size_t i = 0; i < c.fields.size(); ++i) {
    const auto& f = c.fields[i];
    const plan::methods::Param* p = f.name.name.empty() ? (i < spec.params.size() ? &spec.params[i] : nullptr)
                                                        : spec.param(f.name.name);
    if (!p && f.name.name.empty()) {
      d_.error("E0204", "`" + c.text + "` takes " + std::to_string(spec.params.size()) + " argument" +
                            (spec.params.size() == 1 ? "" : "s") + ", given " + std::to_string(c.fields.size()),
               f.value->range, "one too many")
          .help = "write `" + spec.example + "`";
      continue;
    }
    if (p) checkMethodValue(*p, f.value.get(), "`" + p->name + "`");
  }
}

// The argument `name` of a call as written (positional or named), or its default.
static const Expr* argument(const plan::methods::Action& spec, const Expr& c, const std::string& name) {
  for (size_t i = 0; i < c.fields.size(); ++i) {
    const auto& f = c.fields[i];
    if (f.name.name == name || (f.name.name.empty() && i < spec.params.size() && spec.params[i].name == name))
      return f.value.get();
  }
  return nullptr;
}

std::optional<std::pair<double, double>> Checker::batchShape() {
  auto setting = [&](const char* k) { return s_.train.count(k) ? s_.train.at(k)->value.get() : nullptr; };
  std::optional<double> seqs;
  if (const Expr* b = resolve(setting("batch")); b && b->kind == K::Number) seqs = b->number;
  else if (b && b->kind == K::Quantity && b->unit == "tokens")
    if (auto len = peekNumber(setting("seq_len")); len && *len > 0) seqs = std::floor(b->number / *len);
  if (!seqs || *seqs < 1) return std::nullopt;
  double micro = *seqs;
  if (const Expr* m = setting("micro_batch")) {
    auto v = peekNumber(m);
    if (!v || *v < 1) return std::nullopt;
    micro = *v;
  }
  return std::make_pair(*seqs, micro);
}

// What the runtime would refuse or quietly change once it knows the micro-batch, said here:
// a `rank` slice past the micro-batch (an error), an IR-DRO pool larger than a step (a warning).
void Checker::checkReweightAgainstBatch(const plan::methods::Action& spec, const Expr& c) {
  auto shape = batchShape();
  if (!shape) return;
  const auto [seqs, micro] = *shape;
  auto value = [&](const char* name) {
    const Expr* e = argument(spec, c, name);
    return std::make_pair(e, e ? peekNumber(e) : std::optional<double>(spec.param(name)->default_value));
  };
  if (c.text == "rank") {
    auto [fracAt, frac] = value("frac");
    auto [portionAt, portion] = value("portion");
    if (!frac || !portion || *frac <= 0 || *frac > 1 || *portion < 0 || !isWhole(*portion)) return;  // reported above
    const int64_t b = int64_t(micro), k = std::max<int64_t>(1, std::llround(*frac * micro)), p = int64_t(*portion);
    if ((p + 1) * k > b) {
      auto& d = d_.error("E0312", "`rank` keeps the slice [" + std::to_string(p * k) + ", " + std::to_string((p + 1) * k) +
                                      ") of the losses sorted hardest first, past the micro-batch of " + std::to_string(b) +
                                      " sequences", portionAt ? portionAt->range : c.range, "the slice");
      d.notes.push_back("k = frac x micro-batch = " + fmtNumber(*frac) + " x " + std::to_string(b) + " = " + std::to_string(k));
      d.help = b / k >= 1 ? "`portion` goes up to " + std::to_string(b / k - 1) + " here (0 = the hardest " + std::to_string(k) + ")"
                          : "lower `frac`, or raise `micro_batch`";
    }
  } else if (c.text == "irdro") {
    auto [poolAt, pool] = value("pool");
    const double perStep = std::floor(seqs / micro);
    if (poolAt && pool && *pool > perStep && perStep >= 1) {
      auto& d = d_.warning("W0413", "`pool = " + fmtNumber(*pool) + "` is more than the " + fmtNumber(perStep) +
                                        " micro-batch" + (perStep == 1 ? "" : "es") + " of a step: the softmax pools " +
                                        fmtNumber(perStep), poolAt->range, "pools " + fmtNumber(perStep));
      d.notes.push_back("a step is batch / micro_batch = " + fmtNumber(seqs) + " / " + fmtNumber(micro) + " micro-batches");
      d.help = "write `pool = " + fmtNumber(perStep) + "`, or lower `micro_batch` to pool more sequences";
    }
  }
}

// `record relative ...` keeps losses beyond their step's mean: a perplexity like 30 means
// nothing against them, only a percentile does.
void Checker::relativeWithNumber(const diag::SourceRange& threshold, const diag::SourceRange& record) {
  auto& d = d_.error("E0344", "a number threshold ranks perplexities, but the table is `relative`", threshold,
                     "a perplexity");
  d.secondary.push_back({record, "the table keeps each loss minus its step's mean"});
  d.help = "use a percentile such as `p50`, or record the table as visited (`record ppl per block`)";
}

void Checker::checkRule(const ast::PhaseDecl& phase, const ast::Rule& r, bool& recordsTable, bool tableBefore) {
  namespace M = plan::methods;
  const ast::Action& a = r.action;
  const std::string& kw = a.keyword.name;
  auto needTable = [&] {
    if (tableBefore || recordsTable) return;
    auto& d = d_.error("E0342", "`" + kw + "` needs a per-block table, but no phase before `" + phase.name.name +
                                    "` records one", a.keyword.range, "nothing to rank yet");
    d.help = "add `record ppl per block` to an earlier phase (LFR's learn phase)";
  };
  auto oneOf = [&](const ast::Ident& id, const M::Word& w, const char* what, const char* code) {
    if (std::find(w.choices.begin(), w.choices.end(), id.name) == w.choices.end())
      unknown(what, id.name, id.range, w.choices, code);
  };
  const M::Action* spec = M::find(kw);
  switch (a.kind) {
    case ast::Action::Kind::Mix: {
      const Expr* v = resolve(a.value.get());
      if (v && v->kind == K::Name) {
        if (!isMixable(v->text)) {
          std::vector<std::string> c = keys(s_.mixtures);
          for (const auto& [n, ds] : s_.datasets) c.push_back(n);
          unknown("mixture", v->text, v->range, c);
        }
      } else if (v) {
        checkMixtureObject(*v, true, "mixture");
      }
      break;
    }
    case ast::Action::Kind::Order:
      if (a.qualifier) oneOf(*a.qualifier, *spec->word("unit"), "order unit", "E0206");
      oneOf(a.target, *spec->word("by"), "ordering metric", "E0203");  // the direction is a keyword
      break;
    case ast::Action::Kind::Record:
      oneOf(a.target, *spec->word("metric"), "recorded metric", "E0203");
      if (a.modifier) oneOf(*a.modifier, *spec->word("per"), "granularity", "E0206");
      if (a.qualifier) oneOf(*a.qualifier, *spec->word("form"), "record form", "E0206");
      recordsTable = true;
      {
        // One table, one form: what `focus` ranks must mean the same in every phase.
        const std::string form = a.qualifier ? a.qualifier->name : "visited";
        if (form == "relative" && numberFilter_) relativeWithNumber(*numberFilter_, a.range);
        if (!recordForm_) {
          recordForm_ = std::make_pair(form, a.range);
        } else if (recordForm_->first != form) {
          auto& d = d_.error("E0343", "this `record` keeps the table `" + form + "`, an earlier one `" +
                                          recordForm_->first + "`", a.range, "`" + form + "` here");
          d.secondary.push_back({recordForm_->second, "`" + recordForm_->first + "` here"});
          d.help = "write the same form in every `record` of the recipe (`record " + recordForm_->first + " ppl per block`)";
        }
      }
      break;
    case ast::Action::Kind::Subnet:
      checkFields(*a.value, spec->paramNames(), "subnet field");
      for (const auto& f : a.value->fields)
        if (const auto* p = spec->param(f.name.name)) checkMethodValue(*p, f.value.get(), "subnet `" + p->name + "`");
      break;
    case ast::Action::Kind::Reweight: {
      const Expr& c = *a.value;
      spec = M::find("reweight", c.text);
      if (!spec) {
        unknown("reweighting method", c.text, c.calleeRange, M::methodsOf("reweight"), "E0205");
        break;
      }
      checkMethodCall(*spec, c);
      checkReweightAgainstBatch(*spec, c);
      break;
    }
    case ast::Action::Kind::Set: {
      const auto settable = spec->paramNames();
      if (const auto* p = spec->param(a.target.name)) checkMethodValue(*p, a.value.get(), "`" + p->name + "`");
      else unknown("setting for `set`", a.target.name, a.target.range, settable, "E0204");
      break;
    }
    case ast::Action::Kind::Call:
      if (!spec || spec->form != M::Form::kCall || !spec->method.empty()) {
        std::vector<std::string> calls;
        for (const auto& m : M::actions())
          if (m.form == M::Form::kCall && m.method.empty()) calls.push_back(m.kind);
        if (spec) {
          d_.error("E0100", "`" + kw + "` is not written with arguments", a.keyword.range)
              .help = "write `" + spec->example + "`";
        } else {
          unknown("action", kw, a.keyword.range, calls, "E0202");
        }
        return;
      }
      checkMethodCall(*spec, *a.value);
      break;
    case ast::Action::Kind::Simple:
      if (!spec) {
        auto& d = unknown("action", kw, a.keyword.range, M::kinds(), "E0202");
        const auto& forms = M::find("record")->word("form")->choices;
        if (std::find(forms.begin(), forms.end(), kw) != forms.end())
          d.help = "a record form goes before the metric: `record " + kw + " ppl per block`";
        return;
      }
      if (spec->form != M::Form::kWord && !(spec->form == M::Form::kCall && spec->method.empty())) {
        auto& d = d_.error("E0380", "`" + kw + "` needs a value", a.keyword.range);
        d.help = kw == "mix" ? "write `mix base` or `mix { web: 0.8, code: 0.2 }`" : "write `" + spec->example + "`";
        return;
      }
      if (spec->condition == M::Condition::kSelectsBlocks && !r.when) {
        auto& d = d_.error("E0341", "`" + kw + "` needs a condition that says which blocks", a.keyword.range,
                           "keep which blocks?");
        d.help = "write `" + kw + " when ppl > p50`";
      }
      break;
  }
  if (!spec) return;
  if (spec->table == M::TableUse::kNeeds) needTable();
  if (r.when && spec->condition == M::Condition::kNone) {
    auto& d = d_.error("E0340", kw == "review" ? "`review` returns to all blocks; it takes no condition"
                                               : "`" + kw + "` takes no condition",
                       r.when->range);
    d.help = spec->repeats ? "remove the `when` part; use `every` to " + kw + " periodically"
                           : "remove the `when` part: `" + kw + "` acts once, when its phase starts";
    return;
  }
  if (r.every && !spec->repeats) {
    d_.error("E0340", "`" + kw + "` acts once, when its phase starts; it takes no `every`", r.every->range)
        .help = "remove the `every` part";
    return;
  }
  if (r.when) {
    bool perBlock = spec->condition == M::Condition::kSelectsBlocks;
    if (perBlock) {
      const Expr* t = resolve(r.when->threshold.get());
      if (t && t->kind != K::Percentile) {
        if (recordForm_ && recordForm_->first == "relative") relativeWithNumber(t->range, recordForm_->second);
        if (!numberFilter_) numberFilter_ = t->range;
      }
    }
    if (perBlock && r.when->metric.name != "ppl" && r.when->metric.name != "loss") {
      d_.error("E0340", "`" + kw + "` ranks blocks by `ppl` or `loss`, not `" + r.when->metric.name + "`",
               r.when->metric.range);
    } else {
      checkCondition(*r.when, ("this `" + kw + "` rule").c_str(), perBlock);
    }
  }
  if (r.every) checkInterval(*r.every, "a rule");
}

void Checker::checkEvent(const ast::EventDecl& e) {
  namespace M = plan::methods;
  const auto& actions = M::eventActions();
  std::vector<std::string> named, watched;  // `on nan`; what a condition may watch
  for (const auto& ev : M::events()) {
    if (ev.metrics.empty()) named.push_back(ev.on);
    for (const auto& m : ev.metrics)
      if (std::find(watched.begin(), watched.end(), m) == watched.end()) watched.push_back(m);
  }
  if (e.named && std::find(named.begin(), named.end(), e.named->name) == named.end())
    unknown("event", e.named->name, e.named->range, named, "E0206");
  if (e.condition) {
    if (std::find(watched.begin(), watched.end(), e.condition->metric.name) == watched.end()) {
      const std::string guess = diag::nearest(e.condition->metric.name, watched);
      d_.error("E0340", "events watch `loss` or `grad_norm`, not `" + e.condition->metric.name + "`",
               e.condition->metric.range, guess.empty() ? std::string("not watched by events") : "did you mean `" + guess + "`?")
          .help = "use a rule inside a phase for other triggers";
    } else {
      checkCondition(*e.condition, "an event", false);
    }
  }
  if (std::find(actions.begin(), actions.end(), e.action.name) == actions.end()) {
    if (M::find(e.action.name)) {
      auto& d = d_.error("E0340", "`" + e.action.name + "` is not allowed in an event", e.action.range,
                         "a phase rule, not an event action");
      d.help = "events take `rollback`, `skip` or `stop`";
    } else {
      unknown("event action", e.action.name, e.action.range, actions, "E0206");
    }
  }
}

}  // namespace recipec::sema
