// cmd_analyze.cpp — `recipec analyze A B on DATASET[,DATASET...]`: where further training
// changed perplexity (arXiv 2410.05581; docs/analyze.md): per-token NLL of both checkpoints
// on the same held-out tokens, the change by token class and by token, perplexity with
// classes masked out, and each dataset's similarity to a reference (A's training data).
#include "cli/EvalCommon.h"
#include "runtime/analyze/Analysis.h"

namespace recipec::cli {

void addAnalyze(CLI::App& app) {
  auto* cmd = app.add_subcommand("analyze",
                                 "Compare two checkpoints token by token: `recipec analyze A B on DATASET[,...]`");
  auto a = std::make_shared<EvalArgs>();
  std::shared_ptr<std::string> reference = std::make_shared<std::string>();
  std::shared_ptr<size_t> top = std::make_shared<size_t>(15);
  cmd->add_option("args", a->positional, "A B on DATASET[,DATASET...]")->required();
  cmd->add_option("--reference", *reference,
                  "Similarity reference, DATASET[,DATASET...] (default: the datasets A trained on, as NAME.train)");
  cmd->add_option("--top", *top, "How many individual tokens to list")->capture_default_str();
  addEvalOptions(cmd, *a);
  cmd->callback([a, cmd, reference, top] {
    a->json_given = cmd->get_option("--json")->count() > 0;
    std::vector<std::string> cks, specs;
    if (!splitOn(a->positional, 2, "recipec analyze A B on DATASET[,DATASET...]", cks, specs)) throw Exit{kUserError};
    const auto mask = parseMaskOrExit(a->mask);
    const analyze::Session s = runSessionOrExit(cks, specs, a->session);

    analyze::AnalyzeResult r;
    r.a = {s.checkpoints[0].label, s.checkpoints[0].step};
    r.b = {s.checkpoints[1].label, s.checkpoints[1].step};
    r.mask = mask;
    std::vector<int64_t> ref;
    try {
      const auto ref_specs = reference->empty() ? analyze::trainingDatasets(s.checkpoints[0].plan)
                                                : analyze::splitComma(*reference);
      ref = analyze::referenceCounts(s, ref_specs, r.reference);
    } catch (const analyze::AnalyzeError& e) {
      std::cerr << "error: --reference: " << e.what() << "\n";
      throw Exit{kUserError};
    }
    std::vector<const analyze::NllSet*> sets;
    std::vector<const std::vector<analyze::TokenClass>*> classes;
    for (size_t i = 0; i < s.datasets.size(); ++i) {
      const auto& set = s.nll.sets[i];
      auto sum = analyze::summarize(s.datasets[i].name, s.datasets[i].split, set, s.classes[i], mask);
      sum.similarity = analyze::jsSimilarity(
          analyze::unigramCounts(set.ids.data() + 1, size_t(set.tokens()), ref.size()), ref);
      r.datasets.push_back(std::move(sum));
      sets.push_back(&set);
      classes.push_back(&s.classes[i]);
    }
    r.overall = analyze::combine(r.datasets);
    r.top = analyze::topTokens(sets, classes, *top);
    for (const auto& t : r.top) r.top_text.push_back(analyze::escapeTokenText(s.decode(t.id)));

    if (!a->per_token.empty()) {
      std::FILE* f = std::fopen(a->per_token.c_str(), "w");
      if (!f) {
        std::cerr << "error: cannot write `" << a->per_token << "`\n";
        throw Exit{kUserError};
      }
      analyze::writePerTokenTsv(f, sets, classes, [&](int32_t id) { return s.decode(id); });
      std::fclose(f);
    }
    bool json_stdout = false;
    if (std::FILE* f = openJson(*a, json_stdout)) {
      std::fprintf(f, "%s\n", analyze::analyzeJson(r).dump(1).c_str());
      if (f != stdout) std::fclose(f);
    }
    if (!json_stdout) analyze::printAnalyze(stdout, r);
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
