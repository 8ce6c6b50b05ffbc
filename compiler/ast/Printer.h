// Printer.h — `recipec compile --emit=ast`: the AST as an indented tree with positions.
#pragma once

#include <string>

#include "compiler/ast/AST.h"

namespace recipec::ast {

std::string printAst(const File& file);
std::string printExpr(const Expr& e);   // compact one-line form: adamw(lr = 0.0006)

}  // namespace recipec::ast
