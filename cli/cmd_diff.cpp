// cmd_diff.cpp — `recipec diff A B [--json]`: what differs in meaning between two recipes.
//
// A and B are recipes, run directories (their plan.json) or plan files, in any mix: an
// ablation against its base, a recipe against the run it produced. The comparison is of the
// resolved plans (compiler/plantools/PlanDiff.h), so formatting, comments and the order of
// declarations are not differences. Exit status as diff(1): 0 the same, 1 different,
// 2 trouble (a recipe with errors, a missing or unreadable plan).
#include <iostream>

#include "cli/Commands.h"
#include "compiler/mlir/Compile.h"
#include "compiler/plantools/PlanDiff.h"

namespace recipec::cli {

void addDiff(CLI::App& app) {
  auto* cmd = app.add_subcommand("diff", "Show what differs in meaning between two recipes, runs or plans");
  struct Args { std::string a, b; bool json = false; std::vector<std::string> sets; };
  auto args = std::make_shared<Args>();
  cmd->add_option("a", args->a, "Recipe, run directory or plan.json")->required();
  cmd->add_option("b", args->b, "Recipe, run directory or plan.json")->required();
  cmd->add_flag("--json", args->json, "Print the changes as JSON");
  cmd->add_option("--set", args->sets, "Override a constant in both recipes: --set lr=3e-4")->take_all();
  cmd->footer("Exit status: 0 no difference, 1 differences, 2 an input could not be read or compiled.");
  cmd->callback([args] {
    plan::Plan a, b;
    if (!planOfInput(args->a, args->sets, a) || !planOfInput(args->b, args->sets, b)) throw Exit{2};
    auto changes = plandiff::diffPlans(a, b);
    std::cout << (args->json ? plandiff::renderJson(changes, args->a, args->b)
                             : plandiff::renderText(changes, args->a, args->b));
    throw Exit{changes.empty() ? 0 : 1};
  });
}

}  // namespace recipec::cli
