// Check.h — the semantic checks of a loaded recipe.
//
// Every rule of docs/errors.md that needs meaning rather than syntax: unknown names with
// "did you mean", duplicates (both positions), units, weights, percentiles, rules in
// context, phase order, model shapes, files that do not exist (warnings here; the runtime
// makes them errors). All problems are reported, not only the first.
#pragma once

#include "compiler/sema/Loader.h"

namespace recipec::sema {

struct CheckOptions {
  bool checkFiles = true;   // warn about data/tokenizer paths that match nothing
  bool missingFilesAreErrors = false;  // `recipec run`: a missing file stops the run (E0401)
};

// Returns true when there are no errors (warnings allowed).
bool check(Program& program, const CheckOptions& options = {});

}  // namespace recipec::sema
