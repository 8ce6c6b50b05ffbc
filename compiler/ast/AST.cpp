// AST.cpp — deep copy and names for messages.
#include "compiler/ast/AST.h"

namespace recipec::ast {

ExprPtr Expr::clone() const {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->range = range;
  e->number = number;
  e->text = text;
  e->unit = unit;
  e->calleeRange = calleeRange;
  for (const auto& f : fields)
    e->fields.push_back(Field{f.name, f.value ? f.value->clone() : nullptr,
                              f.valueEnd ? f.valueEnd->clone() : nullptr, f.range});
  for (const auto& x : elements) e->elements.push_back(x->clone());
  return e;
}

const char* exprKindName(Expr::Kind k) {
  switch (k) {
    case Expr::Kind::Number: return "a number";
    case Expr::Kind::Quantity: return "a quantity";
    case Expr::Kind::Percentile: return "a percentile";
    case Expr::Kind::String: return "a string";
    case Expr::Kind::Name: return "a name";
    case Expr::Kind::Call: return "a call";
    case Expr::Kind::Object: return "an object";
    case Expr::Kind::Tuple: return "a tuple";
    case Expr::Kind::Neg: return "a negative number";
  }
  return "a value";
}

const char* itemKindName(Item::Kind k) {
  switch (k) {
    case Item::Kind::Use: return "use";
    case Item::Kind::Let: return "constant";
    case Item::Kind::Tokenizer: return "tokenizer";
    case Item::Kind::Dataset: return "dataset";
    case Item::Kind::Mixture: return "mixture";
    case Item::Kind::Model: return "model";
    case Item::Kind::Train: return "train block";
    case Item::Kind::Phase: return "phase";
    case Item::Kind::Evaluate: return "evaluate";
    case Item::Kind::Checkpoint: return "checkpoint";
    case Item::Kind::Event: return "event";
  }
  return "declaration";
}

}  // namespace recipec::ast
