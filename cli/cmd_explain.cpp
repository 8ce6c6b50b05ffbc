// cmd_explain.cpp — `recipec explain F`: the plan in words.
//
// F is a recipe, a run directory (its plan.json: step ranges the runtime resolved appear) or
// a plan file. Prints the model, the data, the optimisation, a timeline of what each phase
// mixes and which policies and triggers are active, and what holds throughout the run
// (compiler/plantools/Explain.h).
#include <iostream>

#include "cli/Commands.h"
#include "compiler/mlir/Compile.h"
#include "compiler/plantools/Explain.h"

namespace recipec::cli {

void addExplain(CLI::App& app) {
  auto* cmd = app.add_subcommand("explain", "Describe in words what a recipe will do, phase by phase");
  struct Args { std::string file; std::vector<std::string> sets; };
  auto args = std::make_shared<Args>();
  cmd->add_option("file", args->file, "Recipe, run directory or plan.json")->required();
  cmd->add_option("--set", args->sets, "Override a constant: --set lr=3e-4")->take_all();
  cmd->callback([args] {
    plan::Plan p;
    if (!planOfInput(args->file, args->sets, p)) throw Exit{kUserError};
    std::cout << explain::explainPlan(p);
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
