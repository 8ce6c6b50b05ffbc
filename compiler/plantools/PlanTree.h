// PlanTree.h — a plan as a tree of named values: what `recipec diff` compares.
//
// Contract: `planTree(plan)` keeps what a plan *means* and drops what only says where it
// came from or what follows from other values: names of recipes and mixtures, preset names,
// constants (their effect is in the values that use them), source positions, derived step
// ranges (a longer first phase moves every later phase; that is one change, not many).
// Declarations are keyed by name, so their order does not matter; phases are ordered (run
// order is meaning), and a phase's rules are a sequence aligned by content.
#pragma once

#include <string>
#include <vector>

#include "runtime/plan/Plan.h"

namespace recipec::plandiff {

struct Node {
  std::string key;          // path segment: "phase focus", "rule 2", "threshold"
  std::string value;        // leaves: the value as a person reads it ("p90", "2000 steps")
  std::string compare;      // leaves: what equality means ("" = same as value)
  std::string summary;      // inner nodes: one line describing the whole (for added/removed)
  std::string source;       // "file:line:col" where this entity was written, if known
  std::vector<std::string> constants;  // constants its values came from (Plan::sources)
  bool leaf = false;
  bool transparent = false;  // not printed in paths (groups like a rule's condition)
  bool ordered = false;      // children's order is meaning (phases)
  bool sequence = false;     // children are a list aligned by content (rules)
  std::vector<Node> children;

  const std::string& comparable() const { return compare.empty() ? value : compare; }
};

Node planTree(const plan::Plan& plan);

// A quantity as written: "2000 steps", "1 epoch", "10%", "64000 tokens (250 steps)".
std::string quantityText(const plan::Quantity& q);

}  // namespace recipec::plandiff
