// cmd_eval.cpp — `recipec eval CKPT on DATASET[,DATASET...]`: perplexity of one checkpoint
// on held-out text, per dataset and overall, by token class, and (--per-token) every
// token's NLL. The NLLs come from `recipec-runtime eval` (docs/analyze.md).
#include "cli/EvalCommon.h"
#include "runtime/analyze/Analysis.h"

namespace recipec::cli {

void addEval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Perplexity of a checkpoint on held-out text: `recipec eval CKPT on DATASET[,...]`");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("args", a->positional, "CKPT on DATASET[,DATASET...]")->required();
  auto plan = std::make_shared<std::string>();
  cmd->add_option("--plan", *plan, "The run directory or plan.json a bare .safetensors belongs to");
  addEvalOptions(cmd, *a);
  cmd->callback([a, cmd, plan] {
    a->session.plans = {*plan};
    a->json_given = cmd->get_option("--json")->count() > 0;
    std::vector<std::string> cks, specs;
    if (!splitOn(a->positional, 1, "recipec eval CKPT on DATASET[,DATASET...]", cks, specs)) throw Exit{kUserError};
    const auto mask = parseMaskOrExit(a->mask);
    const analyze::Session s = runSessionOrExit(cks, specs, a->session);

    std::vector<analyze::DatasetSummary> sums;
    for (size_t i = 0; i < s.datasets.size(); ++i)
      sums.push_back(analyze::summarize(s.datasets[i].name, s.datasets[i].split, s.nll.sets[i], s.classes[i], mask));
    const analyze::DatasetSummary overall = analyze::combine(sums);
    const analyze::CheckpointInfo info{s.checkpoints[0].label, s.checkpoints[0].step};

    if (!a->per_token.empty()) {
      std::FILE* f = std::fopen(a->per_token.c_str(), "w");
      if (!f) {
        std::cerr << "error: cannot write `" << a->per_token << "`\n";
        throw Exit{kUserError};
      }
      std::vector<const analyze::NllSet*> sets;
      std::vector<const std::vector<analyze::TokenClass>*> classes;
      for (size_t i = 0; i < s.nll.sets.size(); ++i) {
        sets.push_back(&s.nll.sets[i]);
        classes.push_back(&s.classes[i]);
      }
      analyze::writePerTokenTsv(f, sets, classes, [&](int32_t id) { return s.decode(id); });
      std::fclose(f);
    }
    bool json_stdout = false;
    if (std::FILE* f = openJson(*a, json_stdout)) {
      std::fprintf(f, "%s\n", analyze::evalJson(info, sums, overall, mask).dump(1).c_str());
      if (f != stdout) std::fclose(f);
    }
    if (!json_stdout) analyze::printEval(stdout, info, sums, overall, mask);
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
