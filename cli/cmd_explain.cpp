// cmd_explain.cpp — `recipec explain F`: the plan in words.
//
// F is a recipe, a run directory (its plan.json: step ranges the runtime resolved appear) or
// a plan file. Phases counted in epochs get their step ranges from the data, resolved as
// the runtime resolves them (runtime/train/Timeline.h), when the datasets can be read
// (text is tokenized into the shared cache, as `recipec run` would); otherwise they stay
// symbolic and explain says why. Prints the model, the data, the optimisation, a timeline of what each phase
// mixes and which policies and triggers are active, and what holds throughout the run
// (compiler/plantools/Explain.h).
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/Commands.h"
#include "compiler/mlir/Compile.h"
#include "compiler/plantools/Explain.h"
#include "runtime/data/Dataset.h"
#include "runtime/train/Timeline.h"

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
    std::string note;
    if (std::any_of(p.phases.begin(), p.phases.end(), [](const plan::Phase& ph) { return ph.start_step < 0; })) {
      try {
        std::map<std::string, int64_t> blocks;
        for (const auto& d : p.datasets)
          blocks[d.name] = data::openDataset(p, d.name, p.train.seq_len, "", data::Progress::kOff).train->numBlocks();
        train::resolveTimeline(p, blocks);
        std::string counts;
        for (const auto& [name, n] : blocks) counts += (counts.empty() ? "" : ", ") + name + " " + std::to_string(n);
        note = "\nepochs resolved from the data (training blocks of " + std::to_string(p.train.seq_len + 1) +
               " tokens: " + counts + "), as `recipec run` will\n";
      } catch (const std::exception& e) {
        note = "\nepoch lengths stay symbolic: " + std::string(e.what()) + "\n";
      }
    }
    std::cout << explain::explainPlan(p) << note;
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
