// Parser.cpp — ANTLR parse tree -> AST, and syntax errors in the language's own words.
#include "compiler/parse/Parser.h"
#include "compiler/parse/SyntaxErrors.h"
#include "runtime/data/formats/Sniff.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "RecipeLexer.h"
#include "RecipeParser.h"
#include "antlr4-runtime.h"

namespace recipec::parse {
namespace {

using diag::SourceRange;
using P = RecipeParser;

constexpr size_t kMaxNesting = 64;

std::string unescape(const std::string& quoted) {
  std::string out;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\' && i + 2 < quoted.size()) {
      char n = quoted[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      out += c;
    }
  }
  return out;
}

// Walks the parse tree of one file and builds the AST.
class Builder {
 public:
  Builder(diag::FileId file, diag::DiagnosticEngine& diags) : file_(file), diags_(diags) {}

  // A literal's value; one that no double holds is E0108 at the literal (the value then
  // reads as 0, and the file has an error, so nothing downstream sees it).
  double number(const std::string& text, const SourceRange& at) const {
    if (std::optional<double> v = parseNumber(text)) return *v;
    const bool tooLarge = text.find_first_of("123456789") != std::string::npos &&
                          (text.find("e-") == std::string::npos && text.find("E-") == std::string::npos);
    auto& d = diags_.error("E0108", "number `" + text + "` is out of range", at,
                           tooLarge ? "larger than any number recipec can hold" : "too close to 0 to hold");
    d.help = tooLarge ? "numbers go up to about 1.8e308; no setting takes more than 2^63 - 1 (9.2e18)"
                      : "the smallest number recipec holds is about 2.2e-308; write 0 if 0 is meant";
    return 0;
  }

  SourceRange range(antlr4::ParserRuleContext* ctx) const {
    SourceRange r = tokenRange(file_, ctx->getStart());
    antlr4::Token* stop = ctx->getStop();
    if (stop && stop->getTokenIndex() >= ctx->getStart()->getTokenIndex()) {
      SourceRange e = tokenRange(file_, stop);
      r.endLine = e.endLine;
      r.endCol = e.endCol;
    }
    return r;
  }
  SourceRange range(antlr4::tree::TerminalNode* n) const { return tokenRange(file_, n->getSymbol()); }

  ast::Ident ident(P::IdentContext* ctx) const { return {ctx->getText(), range(ctx)}; }
  ast::Ident ident(P::DottedContext* ctx) const {
    std::string s;
    for (auto* i : ctx->ident()) s += (s.empty() ? "" : ".") + i->getText();
    return {s, range(ctx)};
  }

  ast::ExprPtr expr(P::ExprContext* ctx) const {
    auto e = std::make_unique<ast::Expr>();
    e->range = range(ctx);
    if (auto* c = dynamic_cast<P::NegExprContext*>(ctx)) {
      ast::ExprPtr inner = expr(c->expr());
      // `-5`, `--1`, `-0`: a literal's sign is part of the literal, so every check sees the
      // value (`--1` is 1, `-0` is 0) and gives the field's own message for it.
      if (inner->kind == ast::Expr::Kind::Number || inner->kind == ast::Expr::Kind::Quantity) {
        inner->number = inner->number == 0 ? 0.0 : -inner->number;
        inner->text = "-" + inner->text;
        inner->range = e->range;
        return inner;
      }
      e->kind = ast::Expr::Kind::Neg;
      e->elements.push_back(std::move(inner));
    } else if (auto* c = dynamic_cast<P::QuantityExprContext*>(ctx)) {
      return quantity(c->quantity());
    } else if (auto* c = dynamic_cast<P::PercentileExprContext*>(ctx)) {
      e->kind = ast::Expr::Kind::Percentile;
      e->text = c->getText();
      e->number = number(e->text.substr(1), e->range);
    } else if (auto* c = dynamic_cast<P::StringExprContext*>(ctx)) {
      e->kind = ast::Expr::Kind::String;
      e->text = unescape(c->getText());
    } else if (auto* c = dynamic_cast<P::CallExprContext*>(ctx)) {
      return call(c->call());
    } else if (auto* c = dynamic_cast<P::ObjectExprContext*>(ctx)) {
      return object(c->object());
    } else if (auto* c = dynamic_cast<P::TupleExprContext*>(ctx)) {
      e->kind = ast::Expr::Kind::Tuple;
      for (auto* x : c->expr()) e->elements.push_back(expr(x));
    } else if (auto* c = dynamic_cast<P::ParenExprContext*>(ctx)) {
      return expr(c->expr());
    } else if (auto* c = dynamic_cast<P::NameExprContext*>(ctx)) {
      e->kind = ast::Expr::Kind::Name;
      e->text = ident(c->dotted()).name;
    }
    return e;
  }

  // A constant's name where a quantity may stand (`for learn_len`, `every eval_every`).
  ast::ExprPtr name(P::DottedContext* ctx) const {
    auto e = std::make_unique<ast::Expr>();
    e->range = range(ctx);
    e->kind = ast::Expr::Kind::Name;
    e->text = ident(ctx).name;
    return e;
  }

  ast::ExprPtr numberLiteral(antlr4::tree::TerminalNode* n) const {
    auto q = std::make_unique<ast::Expr>();
    q->kind = ast::Expr::Kind::Number;
    q->text = n->getText();
    q->range = range(n);
    q->number = number(q->text, q->range);
    return q;
  }

  ast::ExprPtr quantity(P::QuantityContext* ctx) const {
    auto e = std::make_unique<ast::Expr>();
    e->range = range(ctx);
    e->text = ctx->NUMBER()->getText();
    e->number = number(e->text, range(ctx->NUMBER()));
    e->kind = ast::Expr::Kind::Number;
    if (auto* u = ctx->unit()) {
      e->kind = ast::Expr::Kind::Quantity;
      if (u->PERCENT()) e->unit = "percent";
      else if (u->STEP()) e->unit = "steps";
      else if (u->EPOCH()) e->unit = "epochs";
      else if (u->TOKEN()) e->unit = "tokens";
      else if (u->SIGMA()) e->unit = "sigma";
      // A length no run can count: past 2^53 steps are no longer whole numbers, and the plan
      // stores them as int64. Each field checks its own range below that.
      if ((e->unit == "steps" || e->unit == "tokens" || e->unit == "epochs") && std::fabs(e->number) > ast::kMaxWhole) {
        const std::string written = e->text + (e->unit == "percent" ? "" : " ") + u->getText();
        auto& d = diags_.error("E0312", "`" + written + "` is longer than any run can count", e->range,
                               "more than 2^53 " + e->unit);
        d.help = "lengths go up to 2^53 = 9007199254740992 " + e->unit;
      }
    }
    return e;
  }

  ast::ExprPtr call(P::CallContext* ctx) const {
    auto e = std::make_unique<ast::Expr>();
    e->kind = ast::Expr::Kind::Call;
    e->range = range(ctx);
    e->text = ctx->ident()->getText();
    e->calleeRange = range(ctx->ident());
    for (auto* a : ctx->arg()) {
      ast::Field f;
      if (a->ident()) f.name = ident(a->ident());
      f.value = expr(a->expr());
      f.range = range(a);
      e->fields.push_back(std::move(f));
    }
    return e;
  }

  ast::ExprPtr object(P::ObjectContext* ctx) const {
    auto e = std::make_unique<ast::Expr>();
    e->kind = ast::Expr::Kind::Object;
    e->range = range(ctx);
    for (auto* fc : ctx->field()) {
      ast::Field f;
      f.name = ident(fc->ident());
      f.value = expr(fc->expr(0));
      if (fc->expr().size() > 1) f.valueEnd = expr(fc->expr(1));
      f.range = range(fc);
      e->fields.push_back(std::move(f));
    }
    return e;
  }

  ast::Condition condition(P::ConditionContext* ctx) const {
    ast::Condition c;
    c.range = range(ctx);
    auto* m = ctx->metric();
    std::string name;
    for (auto* i : m->ident()) name += (name.empty() ? "" : ".") + i->getText();
    SourceRange mr = range(m->ident(0));
    SourceRange last = range(m->ident().back());
    mr.endLine = last.endLine;
    mr.endCol = last.endCol;
    c.metric = {name, mr};
    if (m->dotted()) c.argument = ident(m->dotted());
    c.op = ctx->comparison()->getText();
    c.opRange = range(ctx->comparison());
    c.threshold = expr(ctx->expr());
    if (ctx->quantity()) c.window = quantity(ctx->quantity());
    return c;
  }

  ast::Interval interval(P::IntervalContext* ctx) const {
    ast::Interval iv;
    iv.range = range(ctx);
    if (auto* q = dynamic_cast<P::EveryQuantityContext*>(ctx)) iv.quantity = quantity(q->quantity());
    else if (auto* n = dynamic_cast<P::EveryNameContext*>(ctx)) iv.quantity = name(n->dotted());
    else iv.epoch = true;
    return iv;
  }

  ast::Rule rule(P::RuleStmtContext* ctx) const {
    ast::Rule r;
    r.range = range(ctx);
    auto* a = ctx->action();
    ast::Action& act = r.action;
    act.range = range(a);
    act.keyword = {a->getStart()->getText(), tokenRange(file_, a->getStart())};
    if (auto* c = dynamic_cast<P::MixActionContext*>(a)) {
      act.kind = ast::Action::Kind::Mix;
      if (c->object()) {
        act.value = object(c->object());
      } else {
        act.value = std::make_unique<ast::Expr>();
        act.value->kind = ast::Expr::Kind::Name;
        act.value->text = c->ident()->getText();
        act.value->range = range(c->ident());
      }
    } else if (auto* c = dynamic_cast<P::OrderActionContext*>(a)) {
      act.kind = ast::Action::Kind::Order;
      // `order [unit] by target [direction]`: two idents when the unit is written.
      const auto ids = c->ident();
      if (ids.size() > 1) act.qualifier = ident(ids[0]);
      act.target = ident(ids.back());
      if (auto* dir = c->ASCENDING() ? c->ASCENDING() : c->DESCENDING())
        act.modifier = ast::Ident{dir->getText(), range(dir)};
    } else if (auto* c = dynamic_cast<P::RecordActionContext*>(a)) {
      act.kind = ast::Action::Kind::Record;
      // `record [form] metric per granularity`
      const auto ids = c->ident();
      if (ids.size() > 2) act.qualifier = ident(ids[0]);
      act.target = ident(ids[ids.size() - 2]);
      act.modifier = ident(ids.back());
    } else if (auto* c = dynamic_cast<P::SubnetActionContext*>(a)) {
      act.kind = ast::Action::Kind::Subnet;
      act.value = object(c->object());
    } else if (auto* c = dynamic_cast<P::ReweightActionContext*>(a)) {
      act.kind = ast::Action::Kind::Reweight;
      act.value = call(c->call());
    } else if (auto* c = dynamic_cast<P::CallActionContext*>(a)) {
      act.kind = ast::Action::Kind::Call;
      act.value = call(c->call());
      act.keyword = {act.value->text, act.value->calleeRange};
    } else if (auto* c = dynamic_cast<P::SetActionContext*>(a)) {
      act.kind = ast::Action::Kind::Set;
      act.target = ident(c->ident());
      act.value = expr(c->expr());
    } else {
      act.kind = ast::Action::Kind::Simple;
    }
    if (ctx->condition()) r.when = condition(ctx->condition());
    if (ctx->interval()) r.every = interval(ctx->interval());
    return r;
  }

  void item(P::ItemContext* ctx, ast::File& file) const {
    ast::Item it;
    it.range = range(ctx);
    using K = ast::Item::Kind;
    if (auto* c = dynamic_cast<P::UseItemContext*>(ctx)) {
      it.kind = K::Use;
      it.use = std::make_unique<ast::UseDecl>();
      it.use->path = unescape(c->STRING()->getText());
      it.use->pathRange = range(c->STRING());
      it.use->range = it.range;
    } else if (auto* c = dynamic_cast<P::LetItemContext*>(ctx)) {
      it.kind = K::Let;
      it.let = std::make_unique<ast::LetDecl>(ast::LetDecl{ident(c->ident()), expr(c->expr()), it.range});
    } else if (auto* c = dynamic_cast<P::TokenizerItemContext*>(ctx)) {
      it.kind = K::Tokenizer;
      it.tokenizer = std::make_unique<ast::TokenizerDecl>(ast::TokenizerDecl{ident(c->ident()), call(c->call()), it.range});
    } else if (auto* c = dynamic_cast<P::DatasetItemContext*>(ctx)) {
      it.kind = K::Dataset;
      it.dataset = std::make_unique<ast::DatasetDecl>();
      it.dataset->name = ident(c->ident());
      it.dataset->source = call(c->call());
      it.dataset->range = it.range;
      if (auto* s = c->splitClause()) {
        ast::SplitClause sc{ident(s->ident()), nullptr, std::nullopt, {}, range(s)};
        if (s->quantity()) sc.fraction = quantity(s->quantity());
        if (s->STRING()) { sc.path = unescape(s->STRING()->getText()); sc.pathRange = range(s->STRING()); }
        it.dataset->split = std::move(sc);
      }
    } else if (auto* c = dynamic_cast<P::MixtureItemContext*>(ctx)) {
      it.kind = K::Mixture;
      it.mixture = std::make_unique<ast::MixtureDecl>(ast::MixtureDecl{ident(c->ident()), object(c->object()), it.range});
    } else if (auto* c = dynamic_cast<P::ModelItemContext*>(ctx)) {
      it.kind = K::Model;
      it.model = std::make_unique<ast::ModelDecl>();
      it.model->name = ident(c->ident(0));
      it.model->base = ident(c->ident(1));
      if (c->object()) it.model->overrides = object(c->object());
      it.model->range = it.range;
    } else if (auto* c = dynamic_cast<P::TrainItemContext*>(ctx)) {
      it.kind = K::Train;
      it.train = std::make_unique<ast::TrainDecl>();
      it.train->range = it.range;
      for (auto* s : c->setting())
        it.train->settings.push_back(ast::Setting{ident(s->ident()), s->FROM() != nullptr, expr(s->expr()), range(s)});
    } else if (auto* c = dynamic_cast<P::PhaseItemContext*>(ctx)) {
      it.kind = K::Phase;
      it.phase = std::make_unique<ast::PhaseDecl>();
      it.phase->name = ident(c->ident());
      it.phase->range = it.range;
      ast::Duration& d = it.phase->duration;
      d.range = range(c->duration());
      if (auto* f = dynamic_cast<P::ForDurationContext*>(c->duration())) {
        d.kind = ast::Duration::Kind::For;
        d.quantity = f->quantity() ? quantity(f->quantity()) : name(f->dotted());
      } else if (auto* u = dynamic_cast<P::UntilDurationContext*>(c->duration())) {
        d.kind = ast::Duration::Kind::Until;
        d.quantity = u->quantity() ? quantity(u->quantity()) : name(u->dotted());
      } else {
        d.kind = ast::Duration::Kind::Rest;
      }
      for (auto* r : c->ruleStmt()) it.phase->rules.push_back(rule(r));
    } else if (auto* c = dynamic_cast<P::EvaluateItemContext*>(ctx)) {
      it.kind = K::Evaluate;
      it.evaluate = std::make_unique<ast::EvaluateDecl>();
      it.evaluate->metric = ident(c->ident(0));
      it.evaluate->target = ident(c->dotted());
      if (c->interval()) it.evaluate->every = interval(c->interval());
      if (c->NUMBER()) {
        it.evaluate->limit = numberLiteral(c->NUMBER());
        it.evaluate->limitUnit = ident(c->ident(1));
      }
      it.evaluate->range = it.range;
    } else if (auto* c = dynamic_cast<P::CheckpointItemContext*>(ctx)) {
      it.kind = K::Checkpoint;
      it.checkpoint = std::make_unique<ast::CheckpointDecl>();
      it.checkpoint->range = it.range;
      if (c->interval()) it.checkpoint->every = interval(c->interval());
      if (c->NUMBER()) it.checkpoint->keep = numberLiteral(c->NUMBER());
    } else if (auto* c = dynamic_cast<P::EventItemContext*>(ctx)) {
      it.kind = K::Event;
      it.event = std::make_unique<ast::EventDecl>();
      it.event->range = it.range;
      if (auto* t = dynamic_cast<P::NamedTriggerContext*>(c->trigger())) it.event->named = ident(t->ident());
      else if (auto* t = dynamic_cast<P::ConditionTriggerContext*>(c->trigger())) it.event->condition = condition(t->condition());
      it.event->action = ident(c->ident());
    } else {
      return;  // `;` alone
    }
    file.items.push_back(std::move(it));
  }

 private:
  diag::FileId file_;
  diag::DiagnosticEngine& diags_;
};

}  // namespace

std::optional<double> parseNumber(const std::string& text) {
  std::string digits;
  double scale = 1;
  bool nonzero = false, exponent = false;
  for (char c : text) {
    switch (c) {
      case '_': break;
      case 'k': scale = 1e3; break;
      case 'M': scale = 1e6; break;
      case 'B': scale = 1e9; break;
      case 'T': scale = 1e12; break;
      default:
        exponent = exponent || c == 'e' || c == 'E';
        nonzero = nonzero || (!exponent && c >= '1' && c <= '9');
        digits += c;
    }
  }
  // from_chars never throws and never reads a locale: a value past the double range is
  // result_out_of_range, one too small to tell from zero rounds to a subnormal or 0.
  double v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  v *= scale;
  if (!std::isfinite(v) || (nonzero && std::fabs(v) < std::numeric_limits<double>::min())) return std::nullopt;
  return v;
}

// The parser and the AST builder recurse once per level of `(`, `{` and unary `-`, so
// nesting is bounded before parsing: a deeply nested input is an error at the level that
// crosses the limit, never a stack overflow. One pass over the tokens: linear.
static bool nestingWithinLimit(antlr4::CommonTokenStream& tokens, diag::FileId id, diag::DiagnosticEngine& diags) {
  size_t depth = 0, minusRun = 0;
  for (antlr4::Token* t : tokens.getTokens()) {
    const size_t type = t->getType();
    if (type == P::LPAREN || type == P::LBRACE) ++depth;
    else if ((type == P::RPAREN || type == P::RBRACE) && depth > 0) --depth;
    minusRun = type == P::MINUS ? minusRun + 1 : 0;
    if (depth + minusRun > kMaxNesting) {
      auto& d = diags.error("E0105", "nesting is deeper than " + std::to_string(kMaxNesting) + " levels",
                            tokenRange(id, t), "this level is too deep");
      d.help = "brackets and unary `-` nest at most " + std::to_string(kMaxNesting) + " deep";
      return false;
    }
  }
  return true;
}

std::optional<ast::File> parseFile(const diag::SourceManager& sm, diag::FileId id,
                                   diag::DiagnosticEngine& diags) {
  const diag::SourceFile& src = sm.file(id);
  // The lexer needs valid UTF-8 (runtime/data/formats/Sniff.h: the one UTF-8 check).
  if (size_t bad = data::formats::firstInvalidUtf8(src.text); bad != std::string::npos) {
    uint32_t line = 1, col = 1;
    for (size_t i = 0; i < bad; ++i) {
      if (src.text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    auto& d = diags.error("E0104", "file is not valid UTF-8 (byte " + std::to_string(bad) + ")",
                          diag::SourceRange{id, line, col, line, col}, "invalid byte here");
    d.help = "save the recipe as UTF-8";
    return std::nullopt;
  }
  if (src.text.size() > diag::kMaxRecipeBytes) {
    auto& d = diags.error("E0106",
                          "recipe file is larger than 1 MiB (" + std::to_string(diag::kMaxRecipeBytes) + " bytes)",
                          diag::SourceRange{id, 1, 1, 1, 1}, "this file");
    d.help = "a recipe declares an experiment; keep data and long lists in dataset files";
    return std::nullopt;
  }
  antlr4::ANTLRInputStream input(src.text);
  RecipeLexer lexer(&input);
  lexer.removeErrorListeners();  // every character lexes (BAD_CHAR): the parser reports
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  if (!nestingWithinLimit(tokens, id, diags)) return std::nullopt;
  RecipeParser parser(&tokens);
  SyntaxErrors listener(id, diags);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  P::FileContext* tree = parser.file();
  if (listener.count() > 0) return std::nullopt;

  Builder b(id, diags);
  const size_t errorsBefore = diags.errorCount();
  ast::File file;
  file.id = id;
  file.path = src.path;
  if (auto* h = tree->header()) {
    file.recipeName = unescape(h->STRING(0)->getText());
    file.recipeNameRange = b.range(h->STRING(0));
    if (h->EXTENDS()) {
      file.extends = unescape(h->STRING(1)->getText());
      file.extendsRange = b.range(h->STRING(1));
    }
    for (auto* it : h->item()) b.item(it, file);
  }
  for (auto* it : tree->item()) b.item(it, file);
  if (diags.errorCount() > errorsBefore) return std::nullopt;  // E0108: a literal out of range
  return file;
}

}  // namespace recipec::parse
