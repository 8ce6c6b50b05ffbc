// ReportData.h — what `recipec report` reads: run directories and `recipec analyze --json`
// files, turned into the one JSON document the page draws from.
//
// Contract: `readInputs` takes the command's inputs in order (a directory is a run, a file is
// an analyze JSON) and returns
//   {"runs": [Run...], "diffs": [Diff...], "analyses": [Analyze...]}
// Run:  {"name", "path", "recipe_name", "recipe_text" (recipe.recipe or ""), "has_plan",
//        "train": {"step":[], "tokens":[], "loss":[], "lr":[], "tokens_per_s":[], "mfu":[],
//                  "grad_norm":[], "applied":[]},            one entry per step, sorted, the
//                                                            last line of a step wins (a
//                                                            rollback replays steps)
//        "eval": [{"key": "english.val", "step":[], "tokens":[], "ppl":[], "loss":[]}],
//        "phases": [{"name", "start", "end", "start_tokens"}],
//        "events": [{"step", "tokens", "event", "detail"}]   every event but `phase`
//        "summary": the summary line or null}
// Diff: the plan difference of run 0 against run i (i >= 1), as `recipec diff` computes it:
//        {"a", "b", "note", "changes": [{path, kind, before, after, source_before, source_after}]}
// Analyze: the analyze JSON as written, plus "file".
// Tokens at a step that has no train line (events, evaluations) are interpolated from the
// train lines (steps x tokens per step when there is one line).
// Errors a user can cause (a missing directory, no metrics, a file that is not analyze
// JSON) throw ReportError with a message naming the thing.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace recipec::report {

struct ReportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

nlohmann::json readRun(const std::string& dir);
nlohmann::json readAnalyze(const std::string& file);
nlohmann::json readInputs(const std::vector<std::string>& inputs);

}  // namespace recipec::report
