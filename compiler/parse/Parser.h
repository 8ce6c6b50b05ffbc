// Parser.h — text -> ast::File. The only place that sees ANTLR.
//
// Syntax errors are reported to the DiagnosticEngine in the language's own words
// ("expected `{`, found `mix`", "unknown keyword `datset`"), never as ANTLR's raw text.
// When a file has syntax errors no AST is returned (std::nullopt): later checks would
// only repeat them.
#pragma once

#include <optional>

#include "compiler/ast/AST.h"
#include "compiler/diag/Diagnostics.h"

namespace recipec::parse {

std::optional<ast::File> parseFile(const diag::SourceManager& sm, diag::FileId id,
                                   diag::DiagnosticEngine& diags);

// "2k" -> 2000, "92.5B" -> 9.25e10, "1_000" -> 1000, "6e-4" -> 0.0006. A literal no double
// holds ("1e999", or "1e-400", which is not 0 but rounds to it) is nullopt.
std::optional<double> parseNumber(const std::string& text);

}  // namespace recipec::parse
