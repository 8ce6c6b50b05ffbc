// Explain.h — a plan in words (`recipec explain`).
//
// Contract: a deterministic, plain-text description of what a plan will do: the model, the
// data, the optimisation, then a timeline of phases (which data is mixed how, which policies
// are active, which triggers fire when) and the policies that hold throughout. Step ranges
// are given where the plan knows them; what only the runtime can know (an epoch's length)
// is said to be so. Works on a compiled plan and on a run directory's resolved plan.json.
#pragma once

#include <string>

#include "runtime/plan/Plan.h"

namespace recipec::explain {

std::string explainPlan(const plan::Plan& plan);

// 1234567 -> "1,234,567".
std::string withCommas(int64_t n);

}  // namespace recipec::explain
