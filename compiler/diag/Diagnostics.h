// Diagnostics.h — errors and warnings in the style of rustc.
//
//     error[E0201]: unknown dataset `wbe`
//       --> recipes/lfr.recipe:14:7
//        |
//     14 |   mix wbe
//        |       ^^^ did you mean `web`?
//
// Messages are lower-case without a trailing period, names in backticks, numbers included.
// Every kind of error has a stable code (docs/errors.md lists them all). The engine collects
// all diagnostics of a run so a user sees every error at once, not only the first.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "compiler/diag/Source.h"

namespace recipec::diag {

enum class Severity { Error, Warning, Note };

struct Label {
  SourceRange range;
  std::string message;   // printed after the carets; may be empty
};

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string code;      // "E0201"
  std::string message;
  Label primary;
  std::vector<Label> secondary;   // other positions that contributed (e.g. first declaration)
  std::vector<std::string> notes;
  std::string help;
};

class DiagnosticEngine {
 public:
  explicit DiagnosticEngine(const SourceManager& sm) : sm_(sm) {}

  Diagnostic& error(std::string code, std::string message, SourceRange at,
                    std::string label = "");
  Diagnostic& warning(std::string code, std::string message, SourceRange at,
                      std::string label = "");

  const std::deque<Diagnostic>& all() const { return diags_; }
  size_t errorCount() const;
  size_t warningCount() const;
  bool hasErrors() const { return errorCount() > 0; }

  // Renders every diagnostic followed by a summary line ("error: could not check `f`
  // due to 2 previous errors"). `color` adds ANSI colours (only on a terminal).
  std::string render(bool color) const;
  std::string renderOne(const Diagnostic& d, bool color) const;

 private:
  const SourceManager& sm_;
  std::deque<Diagnostic> diags_;  // deque: returned references stay valid
};

}  // namespace recipec::diag
