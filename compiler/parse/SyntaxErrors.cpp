// SyntaxErrors.cpp — see SyntaxErrors.h.
#include "compiler/parse/SyntaxErrors.h"

#include <algorithm>
#include <set>

#include "RecipeLexer.h"
#include "RecipeParser.h"

namespace recipec::parse {

using diag::SourceRange;
using P = RecipeParser;

namespace {

// Human names for token types in "expected ..." messages.
std::string tokenName(const antlr4::dfa::Vocabulary& vocab, size_t type) {
  if (type == antlr4::Token::EOF) return "end of file";
  switch (type) {
    case P::ID: return "a name";
    case P::NUMBER: return "a number";
    case P::STRING: return "a string";
    case P::PERCENTILE: return "a percentile like `p90`";
    case P::STEP: return "`steps`";
    case P::EPOCH: return "`epochs`";
    case P::TOKEN: return "`tokens`";
    default: break;
  }
  std::string lit = vocab.getLiteralName(type);
  if (lit.size() >= 2 && lit.front() == '\'') return "`" + lit.substr(1, lit.size() - 2) + "`";
  return vocab.getSymbolicName(type);
}

bool isKeyword(size_t type) { return type >= P::RECIPE && type <= P::SIGMA; }

std::string describeFound(antlr4::Token* t) {
  if (!t || t->getType() == antlr4::Token::EOF) return "end of file";
  switch (t->getType()) {
    case P::NUMBER: return "number `" + t->getText() + "`";
    case P::STRING: return "string " + t->getText();
    default: return "`" + t->getText() + "`";
  }
}

}  // namespace

SourceRange tokenRange(diag::FileId file, antlr4::Token* t) {
  SourceRange r;
  r.file = file;
  r.line = static_cast<uint32_t>(t->getLine());
  r.col = static_cast<uint32_t>(t->getCharPositionInLine()) + 1;
  r.endLine = r.line;
  size_t len = t->getType() == antlr4::Token::EOF ? 1 : std::max<size_t>(1, t->getText().size());
  r.endCol = r.col + static_cast<uint32_t>(len) - 1;
  return r;
}

void SyntaxErrors::syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                 size_t col, const std::string&, std::exception_ptr) {
  ++count_;
  // ANTLR's recovery can report the same broken statement several times; the first
  // report on a line is the useful one.
  if (line == lastLine_) return;
  lastLine_ = line;
  SourceRange at;
  if (offending) at = tokenRange(file_, offending);
  else at = SourceRange{file_, (uint32_t)line, (uint32_t)col + 1, (uint32_t)line, (uint32_t)col + 1};

  auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
  if (!parser) {  // lexer errors are turned into BAD_CHAR tokens; nothing else reaches here
    diags_.error("E0103", "unexpected character", at);
    return;
  }
  if (offending && offending->getType() == P::UNTERMINATED_STRING) {
    auto& d = diags_.error("E0102", "unterminated string", at, "the string starts here");
    d.help = "add the closing `\"` on the same line";
    return;
  }
  if (offending && offending->getType() == P::BAD_CHAR) {
    diags_.error("E0103", "unexpected character `" + offending->getText() + "`", at,
                 "not part of the recipe language");
    return;
  }

  // `phase x for { ... }`: the length is missing, whatever ANTLR's recovery expected.
  if (offending && offending->getTokenIndex() > 0) {
    antlr4::Token* prev = nullptr;
    auto* tokens = parser->getTokenStream();
    for (size_t i = offending->getTokenIndex(); i-- > 0;) {
      antlr4::Token* t = tokens->get(i);
      if (t->getChannel() == antlr4::Token::DEFAULT_CHANNEL) { prev = t; break; }
    }
    if (prev && (prev->getType() == P::FOR || prev->getType() == P::UNTIL) &&
        offending->getType() != P::NUMBER && offending->getType() != P::ID) {
      bool isFor = prev->getType() == P::FOR;
      auto& d = diags_.error("E0300", std::string("expected a length after `") + prev->getText() + "`" +
                                          (isFor ? ": `for 1 epoch`, `for 2k steps`, `for 10%` or `for rest`"
                                                 : ": `until 30k steps` or `until 92.5B tokens`"),
                             at, "the phase's length is missing");
      d.help = isFor ? "write `for 1 epoch` before the `{`" : "write `until 30k steps` before the `{`";
      return;
    }
  }

  // Plausible forms the language does not have: say what it has instead.
  if (offending && offending->getTokenIndex() > 0) {
    auto* tokens = parser->getTokenStream();
    std::vector<antlr4::Token*> before;  // up to 4 tokens before the offending one, nearest first
    for (size_t i = offending->getTokenIndex(); i-- > 0 && before.size() < 4;) {
      antlr4::Token* t = tokens->get(i);
      if (t->getChannel() == antlr4::Token::DEFAULT_CHANNEL) before.push_back(t);
    }
    if (!before.empty() && before[0]->getText() == "over" && offending->getType() == P::NUMBER) {
      auto& d = diags_.error("E0100", "a rule takes no `over` length: a mixture ramp spans its whole phase",
                             tokenRange(file_, before[0]), "not supported here");
      d.help = "`mix { a: 0.8 -> 0.2 }` moves from the first weights to the second over the phase; to ramp over "
               "24 steps, give the ramp a phase of its own: `phase ramp for 24 steps { mix { ... -> ... } }`";
      return;
    }
    for (antlr4::Token* t : before) {
      if (t->getType() == P::ID && (t->getText() == "and" || t->getText() == "or")) {
        auto& d = diags_.error("E0100", "conditions do not combine with `" + t->getText() + "`",
                               tokenRange(file_, t), "not part of the language");
        d.help = "one condition per rule: `focus when ppl > p50` keeps the hardest half; add `drop when ppl > p95` "
                 "to leave out the hardest 5%";
        return;
      }
    }
  }

  antlr4::misc::IntervalSet expected;
  try {
    expected = parser->getExpectedTokens();
  } catch (...) {
  }
  std::vector<size_t> types;
  for (size_t t : expected.toList()) types.push_back(t);
  bool name = std::find(types.begin(), types.end(), (size_t)P::ID) != types.end();
  // Keywords double as names; listing 40 of them helps nobody.
  std::vector<std::string> names;
  std::vector<std::string> keywords;
  const auto& vocab = parser->getVocabulary();
  for (size_t t : types) {
    if (isKeyword(t)) {
      std::string lit = vocab.getLiteralName(t);
      if (lit.size() >= 2) keywords.push_back(lit.substr(1, lit.size() - 2));
      if (name) continue;
    }
    names.push_back(tokenName(vocab, t));
  }

  // A name where a keyword was expected is most often a misspelt keyword.
  if (offending && offending->getType() == P::ID && !name && !keywords.empty()) {
    std::string guess = diag::nearest(offending->getText(), keywords);
    if (!guess.empty()) {
      auto& d = diags_.error("E0101", "unknown keyword `" + offending->getText() + "`", at,
                             "did you mean `" + guess + "`?");
      d.help = "replace `" + offending->getText() + "` with `" + guess + "`";
      return;
    }
  }

  if (offending && offending->getType() == P::RECIPE) {
    auto& d = diags_.error("E0100", "`recipe \"name\"` must come first in the file", at,
                           "found after other declarations");
    d.help = "move this line to the top of the file (comments may stay above it)";
    return;
  }

  std::string list;
  if (names.size() > 8) {
    list = "one of " + std::to_string(names.size()) + " possible tokens";
  } else {
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) list += i + 1 == names.size() ? " or " : ", ";
      list += names[i];
    }
  }
  std::string msg = "expected " + (list.empty() ? std::string("something else") : list) +
                    ", found " + describeFound(offending);
  auto& d = diags_.error("E0100", msg, at, "unexpected here");
  if (offending && offending->getType() == P::NUMBER && name == false &&
      std::find(names.begin(), names.end(), "`steps`") != names.end())
    d.help = "a number here needs a unit: `steps`, `tokens` or `epochs`";
}

}  // namespace recipec::parse
