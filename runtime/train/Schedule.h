// Schedule.h — learning-rate schedules (no LibTorch).
//
// Contract: `learningRate(s, base_lr, step)` gives the lr of optimizer step `step`
// (0-based) for a resolved schedule (`s.total_steps > 0`). Kinds (plan::Schedule.kind):
//   constant  linear warmup over warmup_steps, then base_lr
//   cosine    warmup, then cosine from base_lr to min_lr at total_steps (nanoGPT)
//   linear    warmup, then linear from base_lr to min_lr at total_steps
//   wsd       warmup, constant, then linear to min_lr over the last decay_steps
// Warmup is (step+1)/warmup_steps * base_lr so step 0 trains with a non-zero lr. Steps past
// total_steps keep min_lr. `set lr = x` in a recipe replaces base_lr (the shape stays).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/plan/Plan.h"

namespace recipec::train {

// Throws plan::PlanError for an unknown kind or an unresolved total.
double learningRate(const plan::Schedule& s, double base_lr, int64_t step);

// Checks the kind and its fields (wsd decay within total, warmup within total).
void validateSchedule(const plan::Schedule& s);

}  // namespace recipec::train
