// Schedule.cpp — see Schedule.h.
#include "runtime/train/Schedule.h"

#include <algorithm>
#include <cmath>

namespace recipec::train {

void validateSchedule(const plan::Schedule& s) {
  if (s.kind != "constant" && s.kind != "cosine" && s.kind != "linear" && s.kind != "wsd")
    throw plan::PlanError("unknown schedule `" + s.kind +
                          "` (expected constant, cosine, linear or wsd)");
  if (s.total_steps <= 0)
    throw plan::PlanError("schedule total_steps is unresolved (" +
                          std::to_string(s.total_steps) + ")");
  if (s.warmup_steps < 0 || s.warmup_steps > s.total_steps)
    throw plan::PlanError("schedule warmup of " + std::to_string(s.warmup_steps) +
                          " steps is outside the run's " + std::to_string(s.total_steps));
  if (s.kind == "wsd" &&
      (s.decay_steps <= 0 || s.warmup_steps + s.decay_steps > s.total_steps))
    throw plan::PlanError("wsd schedule: warmup " + std::to_string(s.warmup_steps) +
                          " + decay " + std::to_string(s.decay_steps) +
                          " steps must be > 0 decay and fit in " +
                          std::to_string(s.total_steps) + " steps");
}

double learningRate(const plan::Schedule& s, double base_lr, int64_t step) {
  if (s.total_steps <= 0) throw plan::PlanError("schedule total_steps is unresolved");
  if (step < s.warmup_steps) return base_lr * double(step + 1) / double(s.warmup_steps);
  if (step >= s.total_steps) return s.kind == "constant" ? base_lr : s.min_lr;
  if (s.kind == "constant") return base_lr;
  const double span = double(std::max<int64_t>(1, s.total_steps - s.warmup_steps));
  const double progress = double(step - s.warmup_steps) / span;  // in [0, 1)
  if (s.kind == "cosine")
    return s.min_lr + 0.5 * (1.0 + std::cos(M_PI * progress)) * (base_lr - s.min_lr);
  if (s.kind == "linear") return base_lr + progress * (s.min_lr - base_lr);
  if (s.kind == "wsd") {
    const int64_t decay_start = s.total_steps - s.decay_steps;
    if (step < decay_start) return base_lr;
    const double t = double(step - decay_start) / double(s.decay_steps);
    return base_lr + t * (s.min_lr - base_lr);
  }
  throw plan::PlanError("unknown schedule `" + s.kind + "`");
}

}  // namespace recipec::train
