// Format.cpp — `recipec fmt` (see Format.h for the layout rules).
//
// How: the file is parsed twice — once by compiler/parse, which reports syntax errors in the
// language's own words, and once here with the generated parser to get the token stream,
// hidden channel included. The printer walks the parse tree and lays every default-channel
// token out in order; before each one it consumes the hidden tokens in front of it, which is
// where comments and blank lines are found. A round-trip check (same AST, same tokens, same
// comments) runs on every result, so a layout bug can never rewrite a user's recipe into a
// different one.
#include "compiler/fmt/Format.h"

#include <algorithm>
#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "RecipeLexer.h"
#include "RecipeParser.h"
#include "antlr4-runtime.h"
#include "compiler/ast/Printer.h"
#include "compiler/parse/Parser.h"

namespace recipec::fmt {
namespace {

using P = RecipeParser;
using antlr4::Token;
using antlr4::tree::ParseTree;
using antlr4::tree::TerminalNode;

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

// Display width of UTF-8 text in code points (continuation bytes do not count), so that
// comments after Chinese dataset paths still line up.
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// One output line: code at an indent level and a comment after it, or a comment alone, or
// a blank line.
struct Line {
  int indent = 0;
  std::string code;
  std::string comment;
  bool blank = false;
};

// Collects lines. `open` means the last line still takes code; a statement broken by a
// comment continues one level deeper (`cont`) until the next structural line break.
class Layout {
 public:
  int indent = 0;

  void code(const std::string& text, bool space) {
    if (!open_) {
      startLine(indent + (cont_ ? 1 : 0));
      open_ = true;
    } else {
      blank_ = false;  // a blank line inside a statement is not kept
      if (space) lines_.back().code += ' ';
    }
    lines_.back().code += text;
    lastCode_ = static_cast<int>(lines_.size()) - 1;
  }

  // A comment that followed code on the same source line stays after that code — unless
  // that code is no longer the last line (`a`, a comment line, then `; # c`): moving `# c`
  // up past the comment line would reorder comments, so it gets its own line.
  void trailing(const std::string& text) {
    if (lastCode_ < 0 || lastCode_ + 1 != static_cast<int>(lines_.size()) ||
        !lines_[lastCode_].comment.empty()) {
      own(text, false);
      return;
    }
    lines_[lastCode_].comment = text;
    if (open_) {
      open_ = false;
      cont_ = true;
    }
  }

  // A comment on its own source line gets its own line at the current indent.
  void own(const std::string& text, bool blankBefore) {
    if (open_) {
      open_ = false;
      cont_ = true;
      blankBefore = false;
    }
    if (blankBefore) blank_ = true;
    startLine(indent + (cont_ ? 1 : 0));
    lines_.back().comment = text;
  }

  void newline() {
    open_ = false;
    cont_ = false;
  }
  void blankLine() {
    if (!open_) blank_ = true;
  }
  void blockStart() { blockStart_ = true; }
  void dropBlank() { blank_ = false; }

  // Trailing comments in a run of code lines share one column, two spaces after the
  // longest commented line of the run. A run is consecutive lines at one indent; a blank
  // line, a comment line, or a line that opens or closes a block ends it.
  std::string render() const {
    std::string out;
    for (size_t i = 0; i < lines_.size();) {
      size_t end = i, column = 0;
      while (end < lines_.size() && !lines_[end].code.empty() &&
             (end == i || sameRun(lines_[end - 1], lines_[end]))) {
        if (!lines_[end].comment.empty()) column = std::max(column, lineWidth(lines_[end]) + 2);
        ++end;
      }
      if (end == i) {  // a blank line or a comment on its own line
        const Line& l = lines_[i++];
        if (!l.blank) out += std::string(2 * l.indent, ' ') + l.comment;
        out += '\n';
        continue;
      }
      for (; i < end; ++i) {
        const Line& l = lines_[i];
        out += std::string(2 * l.indent, ' ') + l.code;
        if (!l.comment.empty()) out += std::string(column - lineWidth(l), ' ') + l.comment;
        out += '\n';
      }
    }
    return out;
  }

 private:
  static bool sameRun(const Line& a, const Line& b) {
    char last = a.code.back(), first = b.code.front();
    return a.indent == b.indent && last != '{' && last != '(' && first != '}' && first != ')';
  }
  static size_t lineWidth(const Line& l) { return 2 * l.indent + width(l.code); }

  void startLine(int ind) {
    if (blockStart_) {  // no blank line right after `{`
      blank_ = false;
      blockStart_ = false;
    }
    if (blank_ && !lines_.empty() && !lines_.back().blank) lines_.push_back(Line{0, "", "", true});
    blank_ = false;
    lines_.push_back(Line{ind, "", "", false});
  }

  std::vector<Line> lines_;
  bool open_ = false, cont_ = false, blank_ = false, blockStart_ = false;
  int lastCode_ = -1;
};

bool isTerminal(ParseTree* t, size_t type) {
  auto* n = dynamic_cast<TerminalNode*>(t);
  return n && n->getSymbol()->getType() == type;
}

// Walks the parse tree and lays out its tokens.
class Printer {
 public:
  // `keepSemis`: keep every `;` written between settings and rules (the fallback when
  // dropping them would change the parse, see formatFile).
  Printer(const std::vector<Token*>& tokens, bool keepSemis) : tokens_(tokens), keepSemis_(keepSemis) {}

  std::string run(P::FileContext* file) {
    for (ParseTree* child : file->children) {
      if (auto* h = dynamic_cast<P::HeaderContext*>(child)) {
        header(h);
      } else if (auto* it = dynamic_cast<P::ItemContext*>(child)) {
        item(it);
      } else if (auto* t = dynamic_cast<TerminalNode*>(child)) {
        gap(t->getSymbol());  // EOF: the comments at the end of the file
      }
    }
    return out_.render();
  }

 private:
  // Lays out what lies between the last token handled and `t`: comments and blank lines.
  void gap(Token* t) {
    int newlines = 0;
    for (; cursor_ < t->getTokenIndex(); ++cursor_) {
      Token* h = tokens_[cursor_];
      if (h->getChannel() == Token::DEFAULT_CHANNEL)
        throw std::logic_error("fmt: token `" + h->getText() + "` at line " +
                               std::to_string(h->getLine()) + " was never laid out");
      if (h->getType() == P::NEWLINE) {
        ++newlines;
      } else if (h->getType() == P::COMMENT) {
        std::string text = rtrim(h->getText());
        if (newlines == 0 && seenCode_) out_.trailing(text);
        else out_.own(text, newlines >= 2);
        newlines = 0;
      }
    }
    if (newlines >= 2) out_.blankLine();
  }

  static bool spaceBefore(size_t prev, size_t type, ParseTree* parent) {
    switch (type) {
      case P::COMMA: case P::RPAREN: case P::COLON: case P::PERCENT: case P::DOT: case P::SEMI:
        return false;
      default: break;
    }
    // MINUS only ever starts a negative number: `-1`, never `a - b`.
    if (prev == P::LPAREN || prev == P::DOT || prev == P::MINUS) return false;
    if (type == P::LPAREN &&
        (dynamic_cast<P::CallContext*>(parent) || dynamic_cast<P::MetricContext*>(parent)))
      return false;
    if (type == P::RBRACE && prev == P::LBRACE) return false;
    return true;
  }

  void emit(TerminalNode* n) {
    Token* t = n->getSymbol();
    gap(t);
    out_.code(t->getText(), spaceBefore(prev_, t->getType(), n->parent));
    prev_ = t->getType();
    seenCode_ = true;
    cursor_ = t->getTokenIndex() + 1;
  }
  // A token the canonical form leaves out (`;`, an inline trailing comma); its comments stay.
  void skip(TerminalNode* n) {
    gap(n->getSymbol());
    cursor_ = n->getSymbol()->getTokenIndex() + 1;
  }
  void synthesize(size_t type, const std::string& text) {
    out_.code(text, false);
    prev_ = type;
  }

  void openBlock() {
    out_.newline();
    ++out_.indent;
    out_.blockStart();
  }
  void closeBlock(TerminalNode* close) {
    gap(close->getSymbol());  // comments before `}` stay inside the block
    out_.dropBlank();
    --out_.indent;
    out_.newline();
    emit(close);
  }

  // True when nothing but `;` and spaces sits between two tokens.
  bool emptyBetween(TerminalNode* open, TerminalNode* close) const {
    for (size_t i = open->getSymbol()->getTokenIndex() + 1; i < close->getSymbol()->getTokenIndex(); ++i) {
      size_t type = tokens_[i]->getType();
      if (type != P::SEMI && type != P::WS && type != P::NEWLINE) return false;
    }
    return true;
  }
  bool newlineBetween(TerminalNode* open, TerminalNode* close) const {
    for (size_t i = open->getSymbol()->getTokenIndex() + 1; i < close->getSymbol()->getTokenIndex(); ++i)
      if (tokens_[i]->getType() == P::NEWLINE) return true;
    return false;
  }

  static TerminalNode* terminal(antlr4::ParserRuleContext* ctx, size_t type) {
    for (ParseTree* c : ctx->children)
      if (isTerminal(c, type)) return dynamic_cast<TerminalNode*>(c);
    return nullptr;
  }

  void item(P::ItemContext* ctx) {
    if (auto* e = dynamic_cast<P::EmptyItemContext*>(ctx)) {
      skip(e->SEMI());
      return;
    }
    if (dynamic_cast<P::TrainItemContext*>(ctx) || dynamic_cast<P::PhaseItemContext*>(ctx))
      block(ctx);
    else
      walk(ctx);
    out_.newline();
  }

  void header(P::HeaderContext* ctx) {
    TerminalNode* open = terminal(ctx, P::LBRACE);
    TerminalNode* close = terminal(ctx, P::RBRACE);
    bool empty = open && emptyBetween(open, close);
    for (ParseTree* c : ctx->children) {
      if (auto* it = dynamic_cast<P::ItemContext*>(c)) {
        if (empty) skip(dynamic_cast<P::EmptyItemContext*>(it)->SEMI());
        else item(it);
      } else if (c == open) {
        emit(open);
        if (!empty) openBlock();
      } else if (c == close) {
        if (empty) emit(close);
        else closeBlock(close);
      } else {
        walk(c);
      }
    }
    out_.newline();
  }

  // `train { ... }` and `phase NAME DURATION { ... }`: one setting or rule a line.
  void block(antlr4::ParserRuleContext* ctx) {
    TerminalNode* open = terminal(ctx, P::LBRACE);
    TerminalNode* close = terminal(ctx, P::RBRACE);
    bool empty = emptyBetween(open, close);
    const auto& kids = ctx->children;
    for (size_t i = 0; i < kids.size(); ++i) {
      ParseTree* c = kids[i];
      if (c == open) {
        emit(open);
        if (!empty) openBlock();
      } else if (c == close) {
        if (empty) emit(close);
        else closeBlock(close);
      } else if (isTerminal(c, P::SEMI)) {
        skip(dynamic_cast<TerminalNode*>(c));
      } else if (dynamic_cast<P::SettingContext*>(c) || dynamic_cast<P::RuleStmtContext*>(c)) {
        walk(c);
        ParseTree* afterSemi = i + 2 < kids.size() ? kids[i + 2] : nullptr;
        if (i + 1 < kids.size() && isTerminal(kids[i + 1], P::SEMI) && (keepSemis_ || semiNeeded(c, afterSemi)))
          emit(dynamic_cast<TerminalNode*>(kids[++i]));
        out_.newline();
      } else {
        walk(c);
      }
    }
  }

  // Newlines do not end rules or settings, so dropping a `;` can join two statements into
  // one: `order by ppl; focus` would read `focus` as the order's direction, `mix; data` would
  // become `mix data`, `every 2k; steps` would take `steps` as the unit. The `;` is kept
  // exactly where the next statement's first word could continue this one.
  static bool semiNeeded(ParseTree* stmt, ParseTree* next) {
    auto* cur = dynamic_cast<antlr4::ParserRuleContext*>(stmt);
    auto* nxt = dynamic_cast<antlr4::ParserRuleContext*>(next);
    if (!cur || !nxt) return false;  // the block ends after the `;`
    size_t first = nxt->getStart()->getType();
    bool unitWord = first == P::STEP || first == P::EPOCH || first == P::TOKEN || first == P::SIGMA;
    if (cur->getStop()->getType() == P::NUMBER && unitWord) return true;
    auto* rule = dynamic_cast<P::RuleStmtContext*>(stmt);
    if (!rule) return false;
    if (rule->interval()) return false;  // `every ...` ends a rule
    if (first == P::EVERY) return true;
    if (rule->condition()) return first == P::OVER && !rule->condition()->quantity();
    if (first == P::WHEN) return true;
    if (auto* order = dynamic_cast<P::OrderActionContext*>(rule->action()))  // a next `ascending` would be its direction
      return !order->ASCENDING() && !order->DESCENDING() && (first == P::ASCENDING || first == P::DESCENDING);
    if (dynamic_cast<P::SimpleActionContext*>(rule->action())) {
      // A lone `mix`, `set` ... parsed as a one-word action: what follows is its argument.
      size_t word = rule->action()->getStart()->getType();
      return word == P::MIX || word == P::ORDER || word == P::RECORD || word == P::SUBNET ||
             word == P::REWEIGHT || word == P::SET;
    }
    return false;
  }

  // `{ a: 1, b: 2 }` and `f(a = 1, b = 2)`: inline as written on one line, else one a line.
  void list(antlr4::ParserRuleContext* ctx, size_t openType, size_t closeType) {
    TerminalNode* open = terminal(ctx, openType);
    TerminalNode* close = terminal(ctx, closeType);
    bool multi = newlineBetween(open, close);
    const auto& kids = ctx->children;
    for (size_t i = 0; i < kids.size(); ++i) {
      ParseTree* c = kids[i];
      if (c == open) {
        emit(open);
        if (multi) openBlock();
      } else if (c == close) {
        if (multi) closeBlock(close);
        else emit(close);
      } else if (isTerminal(c, P::COMMA)) {
        // One a line, each field ends with its own comma (written right after it, so a
        // comment in front of the source comma follows the field instead); inline, a
        // trailing comma goes.
        bool last = i + 1 < kids.size() && kids[i + 1] == close;
        if (multi || last) skip(dynamic_cast<TerminalNode*>(c));
        else emit(dynamic_cast<TerminalNode*>(c));
      } else if (dynamic_cast<P::FieldContext*>(c) || dynamic_cast<P::ArgContext*>(c)) {
        walk(c);
        if (multi) {
          synthesize(P::COMMA, ",");
          out_.newline();
        }
      } else {
        walk(c);
      }
    }
  }

  void walk(ParseTree* node) {
    if (auto* t = dynamic_cast<TerminalNode*>(node)) {
      emit(t);
    } else if (auto* o = dynamic_cast<P::ObjectContext*>(node)) {
      list(o, P::LBRACE, P::RBRACE);
    } else if (auto* c = dynamic_cast<P::CallContext*>(node)) {
      list(c, P::LPAREN, P::RPAREN);
    } else {
      for (ParseTree* child : node->children) walk(child);
    }
  }

  const std::vector<Token*>& tokens_;
  bool keepSemis_;
  size_t cursor_ = 0;
  size_t prev_ = 0;
  bool seenCode_ = false;
  Layout out_;
};

// The facts formatting must not change.
struct Shape {
  std::vector<std::string> comments;
  std::vector<std::string> tokens;   // default channel, without `;` and `,`
};

Shape shapeOf(const std::string& text) {
  antlr4::ANTLRInputStream input(text);
  RecipeLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream stream(&lexer);
  stream.fill();
  Shape s;
  for (Token* t : stream.getTokens()) {
    if (t->getType() == P::COMMENT) s.comments.push_back(rtrim(t->getText()));
    else if (t->getChannel() == Token::DEFAULT_CHANNEL && t->getType() != P::SEMI &&
             t->getType() != P::COMMA && t->getType() != Token::EOF)
      s.tokens.push_back(t->getText());
  }
  return s;
}

std::string astWithoutPositions(const ast::File& f) {
  static const std::regex pos(" @[0-9]+:[0-9]+");
  return std::regex_replace(ast::printAst(f), pos, "");
}

// Why `formatted` is not a faithful reformatting of `original`, or "" when it is.
std::string roundTripProblem(const std::string& path, const std::string& originalText,
                             const ast::File& original, const std::string& formatted) {
  diag::SourceManager sm;
  diag::DiagnosticEngine diags(sm);
  diag::FileId id = sm.add(path, formatted);
  auto reparsed = parse::parseFile(sm, id, diags);
  if (!reparsed) return "the formatted text does not parse:\n" + diags.render(false);
  if (astWithoutPositions(*reparsed) != astWithoutPositions(original))
    return "the formatted text parses to a different AST";
  Shape a = shapeOf(originalText), b = shapeOf(formatted);
  if (a.comments != b.comments) return "comments were lost or changed";
  if (a.tokens != b.tokens) return "tokens were changed";
  return "";
}

}  // namespace

std::optional<std::string> formatFile(const diag::SourceManager& sm, diag::FileId id,
                                      diag::DiagnosticEngine& diags) {
  auto original = parse::parseFile(sm, id, diags);
  if (!original) return std::nullopt;

  const diag::SourceFile& src = sm.file(id);
  antlr4::ANTLRInputStream input(src.text);
  RecipeLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream stream(&lexer);
  RecipeParser parser(&stream);
  parser.removeErrorListeners();
  P::FileContext* tree = parser.file();
  stream.fill();

  // semiNeeded keeps the `;` that the common joins need. Rules are free-form enough that a
  // statement can also absorb several following ones (`record ppl; per block` reads as
  // `record ppl per block` once the `;` goes), so when the round trip finds a different
  // AST, the file is laid out again with every `;` it had between statements: the same
  // tokens as the source, hence the same parse, and stable under a second fmt.
  std::string text;
  std::string problem;
  for (bool keepSemis : {false, true}) {
    try {
      text = Printer(stream.getTokens(), keepSemis).run(tree);
      problem = roundTripProblem(src.path, src.text, *original, text);
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (problem.empty()) break;
  }
  if (!problem.empty()) {
    auto& d = diags.error("E0900", "internal error: cannot format `" + src.path + "`: " + problem, {});
    d.notes.push_back("this is a bug in recipec fmt, not in the recipe; the file was left as it is");
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> formatText(const std::string& path, const std::string& text,
                                      std::string* errors) {
  diag::SourceManager sm;
  diag::DiagnosticEngine diags(sm);
  diag::FileId id = sm.add(path, text);
  auto out = formatFile(sm, id, diags);
  if (!out && errors) *errors = diags.render(false);
  return out;
}

}  // namespace recipec::fmt
