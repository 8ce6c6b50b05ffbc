// EvalCommon.h — what `recipec eval` and `recipec analyze` share on the command line: the
// `CKPT... on DATASET[,DATASET...]` positional form, the session options, the --json
// destination and the error handling around analyze::runSession.
#pragma once

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/Commands.h"
#include "runtime/analyze/Session.h"
#include "runtime/data/DataError.h"

#ifdef RECIPEC_HAVE_MLIR
#include "compiler/mlir/Compile.h"
#endif

namespace recipec::cli {

struct EvalArgs {
  std::vector<std::string> positional;
  analyze::SessionOptions session;
  std::string mask = "whitespace,punctuation";
  std::string json;       // "-" = stdout
  bool json_given = false;
  std::string per_token;
};

inline void addEvalOptions(CLI::App* cmd, EvalArgs& a) {
  cmd->add_option("--datasets-from", a.session.datasets_from,
                  "Also find dataset names in this recipe, run directory or plan.json (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--seq-len", a.session.seq_len, "Context length (default: the first checkpoint's train seq_len)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", a.session.limit, "Evaluate at most N blocks per dataset (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", a.session.batch, "Sequences per forward (default: the first checkpoint's micro-batch)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--device", a.session.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--threads", a.session.threads, "Intra-op threads (default: LibTorch's)")->check(CLI::Range(1, 1024));
  cmd->add_option("--mask", a.mask, "Token classes left out of the masked perplexity (or `none`)")->capture_default_str();
  cmd->add_option("--json", a.json, "Write the results as JSON to FILE (`-` or no FILE: stdout, and no table)")
      ->expected(0, 1);
  cmd->add_option("--per-token", a.per_token, "Write every token's NLL, id, class, text and position as TSV to FILE");
  cmd->add_flag("-q,--quiet", a.session.quiet, "No progress lines");
}

// Splits `CKPT... on DATASETS` into the checkpoints and the dataset specs; false (with a
// message) when the form is wrong.
inline bool splitOn(const std::vector<std::string>& pos, size_t checkpoints, const std::string& usage,
                    std::vector<std::string>& cks, std::vector<std::string>& datasets) {
  if (pos.size() != checkpoints + 2 || pos[checkpoints] != "on") {
    std::cerr << "error: expected `" << usage << "`\n";
    return false;
  }
  cks.assign(pos.begin(), pos.begin() + long(checkpoints));
  datasets = analyze::splitComma(pos.back());
  return true;
}

// Runs the session, turning every failure into its message and an Exit. A --datasets-from
// recipe is compiled here (the session library reads only plans).
inline analyze::Session runSessionOrExit(const std::vector<std::string>& cks, const std::vector<std::string>& datasets,
                                         analyze::SessionOptions opt) {
  std::vector<std::string> plan_files;
  for (const auto& path : opt.datasets_from) {
    if (path.size() < 7 || path.compare(path.size() - 7, 7, ".recipe") != 0) {
      plan_files.push_back(path);
      continue;
    }
#ifdef RECIPEC_HAVE_MLIR
    plan::Plan p;
    if (!planOfInput(path, {}, p)) throw Exit{kUserError};
    opt.more_plans.push_back(std::move(p));
#else
    std::cerr << "error: --datasets-from `" << path << "`: this recipec was built without MLIR, so it cannot compile "
              << "recipes; give a run directory or plan.json\n";
    throw Exit{kUserError};
#endif
  }
  opt.datasets_from = plan_files;
  try {
    return analyze::runSession(cks, datasets, opt, runRuntimeCommand);
  } catch (const analyze::AnalyzeError& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (const data::DataError& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (const analyze::RuntimeFailed& e) {
    throw Exit{e.code};
  }
  throw Exit{kUserError};
}

// The --json destination: nullptr when not asked; stdout for `-` or no value.
inline std::FILE* openJson(const EvalArgs& a, bool& to_stdout) {
  to_stdout = a.json_given && (a.json.empty() || a.json == "-");
  if (!a.json_given) return nullptr;
  if (to_stdout) return stdout;
  std::FILE* f = std::fopen(a.json.c_str(), "w");
  if (!f) {
    std::cerr << "error: cannot write `" << a.json << "`\n";
    throw Exit{kUserError};
  }
  return f;
}

inline std::vector<analyze::TokenClass> parseMaskOrExit(const std::string& mask) {
  try {
    return analyze::parseClasses(mask);
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: --mask: " << e.what() << "\n";
    throw Exit{kUserError};
  }
}

}  // namespace recipec::cli
