// main.cpp — `recipec`: dispatches to one subcommand (cli/cmd_*.cpp).
//
// Exit codes: 0 ok, 1 user error (bad recipe, bad arguments, missing file), 2 internal error.
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/Commands.h"
#include "compiler/diag/Source.h"

#ifndef RECIPEC_VERSION
#define RECIPEC_VERSION "dev"
#endif

using namespace recipec::cli;

int main(int argc, char** argv) {
  CLI::App app{"recipec — a language and toolchain for LLM pretraining recipes"};
  app.set_version_flag("-V,--version", "recipec " RECIPEC_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  addCheck(app);
  addCompile(app);
  addRun(app);
  addPrepare(app);
  addEval(app);
  addAnalyze(app);
  addExtraCommands(app);

  // A mistyped subcommand gets the nearest names, as cargo does.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::string guess = recipec::diag::nearest(argv[1], names);
      std::cerr << "error: no such command `" << argv[1] << "`\n";
      if (!guess.empty()) std::cerr << "\n  help: a command with a similar name exists: `" << guess << "`\n";
      std::cerr << "\n  see `recipec --help` for all commands\n";
      return kUserError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUserError;
  } catch (const Exit& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "error: internal compiler error: " << e.what() << "\n"
              << "  note: this is a bug in recipec; please report it with the recipe\n";
    return kInternalError;
  }
  return kOk;
}
