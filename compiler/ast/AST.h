// AST.h — the recipe language's own syntax tree.
//
// Contract: built from the ANTLR parse tree by compiler/parse (which is the only code that
// sees ANTLR types); every node carries the SourceRange it came from, so checks, MLIR
// locations and `recipec diff` can all point back into the user's file. Nodes hold values
// as written (a quantity keeps its unit); meaning is given by sema and the MLIR passes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/Source.h"

namespace recipec::ast {

using diag::SourceRange;

struct Ident {
  std::string name;
  SourceRange range;
};

// The largest whole number a setting or a length takes: 2^53. Past it doubles skip whole
// numbers, and a larger one would wrap when the plan stores it as an int64.
inline constexpr double kMaxWhole = 9007199254740992.0;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// One `name = value` in a call or `name: value [-> end]` in an object.
struct Field {
  Ident name;            // empty name for a positional call argument
  ExprPtr value;
  ExprPtr valueEnd;      // object fields only: the `-> b` of a linear schedule
  SourceRange range;
};

struct Expr {
  enum class Kind {
    Number,      // 256, 6e-4, 2k       (number = expanded value, text = as written)
    Quantity,    // 200 steps, 64k tokens, 1 epoch, 10%, 4 sigma (unit set)
    Percentile,  // p90                  (number = 90)
    String,      // "data/gpt2"          (text = unescaped)
    Name,        // lr, web.val          (text = dotted name)
    Call,        // adamw(lr = 1e-3)     (text = callee, fields = args)
    Object,      // { web: 0.8 }         (fields)
    Tuple,       // (0.9, 0.95)          (elements)
    Neg,         // -x                   (elements[0])
  };
  Kind kind;
  SourceRange range;
  double number = 0;
  std::string text;
  std::string unit;      // Quantity: "steps" | "tokens" | "epochs" | "percent" | "sigma"
  SourceRange calleeRange;
  std::vector<Field> fields;
  std::vector<ExprPtr> elements;

  // Deep copy: `extends` and `--set` rewrite copies, never the parsed original.
  ExprPtr clone() const;
};

const char* exprKindName(Expr::Kind k);

// `ppl > p90`, `val.ppl(web.val) < 20`, `loss > 4 sigma over 100 steps`
struct Condition {
  Ident metric;          // dotted metric name: "ppl", "val.ppl", "grad_norm"
  std::optional<Ident> argument;  // val.ppl(web.val) -> "web.val"
  std::string op;        // > >= < <= == !=
  SourceRange opRange;
  ExprPtr threshold;
  ExprPtr window;        // `over N steps`, optional
  SourceRange range;
};

// `every 2k steps`, `every epoch`
struct Interval {
  bool epoch = false;    // `every epoch`
  ExprPtr quantity;      // Quantity, or a Name of a constant (`every eval_every`)
  SourceRange range;
};

struct Action {
  enum class Kind { Mix, Order, Record, Subnet, Reweight, Set, Call, Simple };
  Kind kind;
  Ident keyword;               // the action word as written: mix, focus, dropp, remix ...
  ExprPtr value;               // mix: Object or Name; subnet: Object; reweight, call: Call; set: value
  Ident target;                // order by <target>; record <target>; set <target>
  std::optional<Ident> modifier;  // order by ppl <ascending>; record ppl per <block>
  std::optional<Ident> qualifier; // order <sources> by ppl; record ppl per block <relative>
  SourceRange range;
};

struct Rule {
  Action action;
  std::optional<Condition> when;
  std::optional<Interval> every;
  SourceRange range;
};

struct Duration {
  enum class Kind { For, Until, Rest };
  Kind kind;
  ExprPtr quantity;      // absent for Rest; Quantity, or a Name of a constant (`for learn_len`)
  SourceRange range;
};

struct UseDecl { std::string path; SourceRange pathRange; SourceRange range; };
struct LetDecl { Ident name; ExprPtr value; SourceRange range; };
struct TokenizerDecl { Ident name; ExprPtr init; SourceRange range; };           // init: Call
// `split val 2%` (fraction set) or `split val "data/x/val/*.jsonl"` (path set, fraction null).
struct SplitClause {
  Ident split; ExprPtr fraction; std::optional<std::string> path; SourceRange pathRange; SourceRange range;
};
struct DatasetDecl { Ident name; ExprPtr source; std::optional<SplitClause> split; SourceRange range; };
struct MixtureDecl { Ident name; ExprPtr weights; SourceRange range; };          // Object
struct ModelDecl { Ident name; Ident base; ExprPtr overrides; SourceRange range; };  // overrides: Object or null
struct Setting { Ident key; bool from = false; ExprPtr value; SourceRange range; };
struct TrainDecl { std::vector<Setting> settings; SourceRange range; };
struct PhaseDecl { Ident name; Duration duration; std::vector<Rule> rules; SourceRange range; };
struct EvaluateDecl {
  Ident metric; Ident target; std::optional<Interval> every;
  ExprPtr limit; Ident limitUnit; SourceRange range;
};
struct CheckpointDecl { std::optional<Interval> every; ExprPtr keep; SourceRange range; };
struct EventDecl {
  std::optional<Ident> named;          // on nan: ...
  std::optional<Condition> condition;  // on loss > 4 sigma: ...
  Ident action;
  SourceRange range;
};

struct Item {
  enum class Kind { Use, Let, Tokenizer, Dataset, Mixture, Model, Train, Phase, Evaluate,
                    Checkpoint, Event };
  Kind kind;
  // Exactly one of these is set, matching `kind`.
  std::unique_ptr<UseDecl> use;
  std::unique_ptr<LetDecl> let;
  std::unique_ptr<TokenizerDecl> tokenizer;
  std::unique_ptr<DatasetDecl> dataset;
  std::unique_ptr<MixtureDecl> mixture;
  std::unique_ptr<ModelDecl> model;
  std::unique_ptr<TrainDecl> train;
  std::unique_ptr<PhaseDecl> phase;
  std::unique_ptr<EvaluateDecl> evaluate;
  std::unique_ptr<CheckpointDecl> checkpoint;
  std::unique_ptr<EventDecl> event;
  SourceRange range;
};

const char* itemKindName(Item::Kind k);

// One parsed .recipe file.
struct File {
  diag::FileId id = 0;
  std::string path;
  std::optional<std::string> recipeName;   // recipe "name"
  SourceRange recipeNameRange;
  std::optional<std::string> extends;      // extends "base.recipe"
  SourceRange extendsRange;
  std::vector<Item> items;
};

}  // namespace recipec::ast
