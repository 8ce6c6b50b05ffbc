// Errors.h — the runtime's error kinds and their exit codes.
//
// Contract: `UserError` is something the user can fix (missing file, corrupt checkpoint,
// existing run directory, NaN loss without `on nan`): main prints `error: <what>` and exits
// 1. plan::PlanError is treated the same. Anything else is an internal error: exit 2.
#pragma once

#include <stdexcept>
#include <string>

namespace recipec::train {

struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace recipec::train
