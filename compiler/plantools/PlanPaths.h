// PlanPaths.h — the names of the entities of a plan, as `recipec diff` prints them.
//
// Contract: one spelling shared by the plan emitter (keys of Plan::sources) and the diff
// (paths of changes), so a change's path finds the source location of the entity it is in:
// "phase focus / rule 2 / threshold" lies in "phase focus / rule 2" lies in "phase focus".
#pragma once

#include <string>

namespace recipec::planpath {

inline const char* kSep = " / ";

inline std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + kSep + b; }
inline std::string tokenizer(const std::string& n) { return "tokenizer " + n; }
inline std::string dataset(const std::string& n) { return "dataset " + n; }
inline std::string model(const std::string& n) { return "model " + n; }
inline std::string constant(const std::string& n) { return "constant " + n; }
inline std::string phase(const std::string& n) { return "phase " + n; }
inline std::string rule(const std::string& phaseName, size_t index1) {
  return phase(phaseName) + kSep + "rule " + std::to_string(index1);
}
inline std::string evaluate(const std::string& metric, const std::string& dataset, const std::string& split) {
  return "evaluate " + metric + " on " + dataset + "." + split;
}
inline std::string event(const std::string& on) { return "event " + on; }
inline const char* kTrain = "train";
inline const char* kCheckpoint = "checkpoint";

}  // namespace recipec::planpath
