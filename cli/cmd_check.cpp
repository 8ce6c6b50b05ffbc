// cmd_check.cpp — `recipec check FILE...`: parse and check, print every diagnostic.
#include "cli/Commands.h"

namespace recipec::cli {

void addCheck(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "Check recipes for errors without running them");
  auto files = std::make_shared<std::vector<std::string>>();
  auto sets = std::make_shared<std::vector<std::string>>();
  cmd->add_option("files", *files, "Recipe files")->required();
  cmd->add_option("--set", *sets, "Override a constant: --set lr=3e-4")->take_all();
  cmd->callback([files, sets] {
    bool ok = true;
    for (const auto& f : *files) {
      sema::Program program;
      bool fileOk = loadAndCheck(program, f, *sets);
      printDiagnostics(program, "check `" + f + "`");
      ok = ok && fileOk;
    }
    throw Exit{ok ? kOk : kUserError};
  });
}

}  // namespace recipec::cli
