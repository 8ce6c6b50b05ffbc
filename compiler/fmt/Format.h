// Format.h — `recipec fmt`: the canonical layout of a .recipe file.
//
// Contract: formatting changes only whitespace, `;` separators and trailing commas; every
// other token and every comment comes out in its original order, so the result parses to
// the same AST. The layout is a function of the tokens, the comments and three choices the
// author makes with line breaks — which the formatter keeps, so fmt(fmt(x)) == fmt(x):
//   - a `{ ... }` object or `( ... )` call written across lines stays one field a line
//     (with a trailing comma); written on one line it stays on one line;
//   - a blank line between two items, rules, settings or fields stays (at most one);
//   - a comment on its own line stays on its own line, one after code stays after it.
// Everything else is fixed: 2-space indent per block, one item / setting / rule a line
// (`;`-joined rules are split), single spaces between words, none inside `()`, before
// `,` `:` `%` or around `.`, `{ a: 1 }` with inner spaces, and the trailing comments of a run of code lines at one
// indent (ended by a blank line, a comment line or a block edge) aligned two spaces after
// the longest commented line of the run.
// A file with syntax errors is refused: the errors go to `diags` and nothing is returned.
#pragma once

#include <optional>
#include <string>

#include "compiler/diag/Diagnostics.h"

namespace recipec::fmt {

// Formats file `id` of `sm`. Returns the formatted text, or nullopt with the errors in
// `diags` (syntax errors: E01xx; E0900 when the formatter's own round-trip check fails,
// which is a bug in recipec, never in the recipe).
std::optional<std::string> formatFile(const diag::SourceManager& sm, diag::FileId id,
                                      diag::DiagnosticEngine& diags);

// For tests and tools: formats `text` as if read from `path`. On failure returns nullopt
// and, when `errors` is given, the rendered diagnostics.
std::optional<std::string> formatText(const std::string& path, const std::string& text,
                                      std::string* errors = nullptr);

}  // namespace recipec::fmt
