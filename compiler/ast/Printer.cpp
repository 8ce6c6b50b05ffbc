// Printer.cpp — a readable dump of the AST; each node shows its line:col.
#include "compiler/ast/Printer.h"

#include <sstream>

namespace recipec::ast {
namespace {

std::string pos(const SourceRange& r) {
  return "@" + std::to_string(r.line) + ":" + std::to_string(r.col);
}

std::string num(double v) {
  std::ostringstream ss;
  ss.precision(12);
  ss << v;
  return ss.str();
}

class Dumper {
 public:
  std::string out;
  void line(int depth, const std::string& text) { out += std::string(depth * 2, ' ') + text + "\n"; }

  void condition(int d, const Condition& c) {
    std::string s = "when " + c.metric.name;
    if (c.argument) s += "(" + c.argument->name + ")";
    s += " " + c.op + " " + printExpr(*c.threshold);
    if (c.window) s += " over " + printExpr(*c.window);
    line(d, s + " " + pos(c.range));
  }

  void item(int d, const Item& it) {
    switch (it.kind) {
      case Item::Kind::Use: line(d, "Use \"" + it.use->path + "\" " + pos(it.range)); break;
      case Item::Kind::Let: line(d, "Let " + it.let->name.name + " = " + printExpr(*it.let->value) + " " + pos(it.range)); break;
      case Item::Kind::Tokenizer: line(d, "Tokenizer " + it.tokenizer->name.name + " = " + printExpr(*it.tokenizer->init) + " " + pos(it.range)); break;
      case Item::Kind::Dataset: {
        std::string s = "Dataset " + it.dataset->name.name + " = " + printExpr(*it.dataset->source);
        if (it.dataset->split)
          s += " split " + it.dataset->split->split.name + " " +
               (it.dataset->split->fraction ? printExpr(*it.dataset->split->fraction) : "\"" + *it.dataset->split->path + "\"");
        line(d, s + " " + pos(it.range));
        break;
      }
      case Item::Kind::Mixture: line(d, "Mixture " + it.mixture->name.name + " = " + printExpr(*it.mixture->weights) + " " + pos(it.range)); break;
      case Item::Kind::Model: {
        std::string s = "Model " + it.model->name.name + " = " + it.model->base.name;
        if (it.model->overrides) s += " " + printExpr(*it.model->overrides);
        line(d, s + " " + pos(it.range));
        break;
      }
      case Item::Kind::Train:
        line(d, "Train " + pos(it.range));
        for (const auto& s : it.train->settings)
          line(d + 1, s.key.name + (s.from ? " from " : " ") + printExpr(*s.value) + " " + pos(s.range));
        break;
      case Item::Kind::Phase: {
        const auto& p = *it.phase;
        std::string dur = p.duration.kind == Duration::Kind::Rest ? "for rest"
                          : (p.duration.kind == Duration::Kind::For ? "for " : "until ") + printExpr(*p.duration.quantity);
        line(d, "Phase " + p.name.name + " " + dur + " " + pos(it.range));
        for (const auto& r : p.rules) {
          std::string s = "Rule";
          if (r.action.kind != ast::Action::Kind::Call) s += " " + r.action.keyword.name;
          if (r.action.qualifier) s += " " + r.action.qualifier->name;
          if (r.action.target.name.size()) s += " " + r.action.target.name;
          if (r.action.modifier) s += " " + r.action.modifier->name;
          if (r.action.value) s += " " + printExpr(*r.action.value);
          line(d + 1, s + " " + pos(r.range));
          if (r.when) condition(d + 2, *r.when);
          if (r.every) line(d + 2, "every " + (r.every->epoch ? std::string("epoch") : printExpr(*r.every->quantity)));
        }
        break;
      }
      case Item::Kind::Evaluate: {
        std::string s = "Evaluate " + it.evaluate->metric.name + " on " + it.evaluate->target.name;
        if (it.evaluate->every) s += " every " + (it.evaluate->every->epoch ? std::string("epoch") : printExpr(*it.evaluate->every->quantity));
        line(d, s + " " + pos(it.range));
        break;
      }
      case Item::Kind::Checkpoint: {
        std::string s = "Checkpoint";
        if (it.checkpoint->every) s += " every " + (it.checkpoint->every->epoch ? std::string("epoch") : printExpr(*it.checkpoint->every->quantity));
        if (it.checkpoint->keep) s += " keep " + printExpr(*it.checkpoint->keep);
        line(d, s + " " + pos(it.range));
        break;
      }
      case Item::Kind::Event:
        line(d, "Event " + (it.event->named ? it.event->named->name : std::string("")) + " -> " + it.event->action.name + " " + pos(it.range));
        if (it.event->condition) condition(d + 1, *it.event->condition);
        break;
    }
  }
};

}  // namespace

std::string printExpr(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::Number: return num(e.number);
    case Expr::Kind::Quantity:
      return e.unit == "percent" ? num(e.number) + "%" : num(e.number) + " " + e.unit;
    case Expr::Kind::Percentile: return "p" + num(e.number);
    case Expr::Kind::String: return "\"" + e.text + "\"";
    case Expr::Kind::Name: return e.text;
    case Expr::Kind::Neg: return "-" + printExpr(*e.elements[0]);
    case Expr::Kind::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < e.elements.size(); ++i) s += (i ? ", " : "") + printExpr(*e.elements[i]);
      return s + ")";
    }
    case Expr::Kind::Call:
    case Expr::Kind::Object: {
      bool call = e.kind == Expr::Kind::Call;
      std::string s = call ? e.text + "(" : "{ ";
      for (size_t i = 0; i < e.fields.size(); ++i) {
        const auto& f = e.fields[i];
        s += i ? ", " : "";
        if (!f.name.name.empty()) s += f.name.name + (call ? " = " : ": ");
        s += printExpr(*f.value);
        if (f.valueEnd) s += " -> " + printExpr(*f.valueEnd);
      }
      return s + (call ? ")" : " }");
    }
  }
  return "?";
}

std::string printAst(const File& file) {
  Dumper d;
  std::string head = "File \"" + file.path + "\"";
  if (file.recipeName) head += " recipe \"" + *file.recipeName + "\"";
  if (file.extends) head += " extends \"" + *file.extends + "\"";
  d.line(0, head);
  for (const auto& it : file.items) d.item(1, it);
  return d.out;
}

}  // namespace recipec::ast
