// PlanDiff.h — the semantic difference of two plans (`recipec diff`).
//
// Contract: compares the meaning of two plans (PlanTree.h says what counts), so reordered
// declarations, comments, formatting, `2k` vs `2000`, unnormalised weights or a named vs an
// inline mixture are not differences. Each change is reported once, at the deepest path
// that says what changed (`phase focus / rule 2 / threshold: p90 -> p80`), with where each
// side wrote it. A whole added or removed entity (a phase, a rule, a dataset) is one change.
#pragma once

#include <string>
#include <vector>

#include "runtime/plan/Plan.h"

namespace recipec::plandiff {

struct Change {
  std::string path;          // "phase focus / rule 2 / threshold"
  std::string kind;          // "changed" | "added" | "removed"
  std::string before;        // "" when added
  std::string after;         // "" when removed
  std::string sourceBefore;  // "file:line:col" in the first plan's recipe, if known
  std::string sourceAfter;
};

std::vector<Change> diffPlans(const plan::Plan& a, const plan::Plan& b);

// "A -> B: 1 difference" then one line per change and its locations; "no difference ..."
// when there is none.
std::string renderText(const std::vector<Change>& changes, const std::string& nameA, const std::string& nameB);
// {"a": ..., "b": ..., "identical": bool, "changes": [{path, kind, before, after, source_before, source_after}]}
std::string renderJson(const std::vector<Change>& changes, const std::string& nameA, const std::string& nameB);

}  // namespace recipec::plandiff
