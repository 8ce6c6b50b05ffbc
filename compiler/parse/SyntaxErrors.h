// SyntaxErrors.h — ANTLR's syntax errors in the language's own words: what was found, what
// the grammar expected there, and a help line for the plausible-but-unsupported forms.
// Internal to compiler/parse.
#pragma once

#include <string>

#include "antlr4-runtime.h"
#include "compiler/diag/Diagnostics.h"
#include "compiler/diag/Source.h"

namespace recipec::parse {

// The range of one token in a file.
diag::SourceRange tokenRange(diag::FileId file, antlr4::Token* t);

class SyntaxErrors : public antlr4::BaseErrorListener {
 public:
  SyntaxErrors(diag::FileId file, diag::DiagnosticEngine& diags) : file_(file), diags_(diags) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr e) override;

  size_t count() const { return count_; }

 private:
  diag::FileId file_;
  diag::DiagnosticEngine& diags_;
  size_t lastLine_ = 0;
  size_t count_ = 0;
};

}  // namespace recipec::parse
