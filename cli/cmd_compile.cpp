// cmd_compile.cpp — `recipec compile FILE --emit=ast|mlir|plan`.
#include <fstream>
#include <iostream>

#include "compiler/ast/Printer.h"
#include "cli/Commands.h"

#ifdef RECIPEC_HAVE_MLIR
#include "compiler/mlir/Compile.h"
#endif

namespace recipec::cli {

void addCompile(CLI::App& app) {
  auto* cmd = app.add_subcommand("compile", "Compile a recipe and print the AST, MLIR or plan");
  struct Args { std::string file, emit = "plan", output; std::vector<std::string> sets; };
  auto a = std::make_shared<Args>();
  cmd->add_option("file", a->file, "Recipe file")->required();
  cmd->add_option("--emit", a->emit, "What to print: ast, mlir (after the passes), mlir-raw (before them) or plan")
      ->check(CLI::IsMember({"ast", "mlir", "mlir-raw", "plan"}));
  cmd->add_option("-o,--output", a->output, "Write to this file instead of stdout");
  cmd->add_option("--set", a->sets, "Override a constant: --set lr=3e-4")->take_all();
  cmd->callback([a] {
    sema::Program program;
    bool ok = loadAndCheck(program, a->file, a->sets);
    printDiagnostics(program, "compile `" + a->file + "`");
    if (!ok) throw Exit{kUserError};
    std::string text;
    if (a->emit == "ast") {
      text = ast::printAst(*program.root());
    } else {
#ifdef RECIPEC_HAVE_MLIR
      int rc = compileToText(program, a->emit, text);
      if (rc != 0) throw Exit{rc};
#else
      std::cerr << "error: this recipec was built without MLIR; only --emit=ast is available\n";
      throw Exit{kUserError};
#endif
    }
    if (a->output.empty()) {
      std::cout << text;
    } else {
      std::ofstream out(a->output);
      out << text;
      if (!out) {
        std::cerr << "error: cannot write `" << a->output << "`\n";
        throw Exit{kUserError};
      }
    }
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
