// RunLength.h — the run's length when `for N%` phases leave it open: one rule, used by the
// compiler (resolve-durations, so by `check`) and by the runtime (train/Timeline.cpp, after
// epochs are known). Header-only, no dependencies.
//
// The clock is walked as a + b * T, T being the run's length: a phase of N steps adds N to a,
// a `for p%` phase adds p/100 to b, and `until N` sets the clock to N (a = N, b = 0). At the
// end the clock is T, so T = a / (1 - b), rounded up. Beside 800 fixed steps `for 20%` makes
// the run 1000 steps; after `until 24 steps`, `for 20%` makes it 30 (the phase runs 6).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace recipec::plan {

struct PhaseLength {
  enum class Kind { Steps, Percent, Until, Open } kind;  // Open: rest, or not yet known
  double value = 0;                                      // steps, percent, or the until point
};

// nullopt when a phase after the last `until` is Open, or the percents after it reach 100%.
inline std::optional<int64_t> runLength(const std::vector<PhaseLength>& phases) {
  double a = 0, b = 0;
  bool known = true;  // an `until` makes the clock known again after an Open phase
  for (const PhaseLength& p : phases) {
    switch (p.kind) {
      case PhaseLength::Kind::Steps: a += p.value; break;
      case PhaseLength::Kind::Percent: b += p.value / 100.0; break;
      case PhaseLength::Kind::Until: a = p.value; b = 0; known = true; break;
      case PhaseLength::Kind::Open: known = false; break;
    }
  }
  if (!known || b >= 1) return std::nullopt;
  return static_cast<int64_t>(std::ceil(a / (1 - b) - 1e-9));
}

}  // namespace recipec::plan
