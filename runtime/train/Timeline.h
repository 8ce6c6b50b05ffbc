// Timeline.h — resolves the plan's symbolic durations into absolute step ranges (no LibTorch).
//
// Contract: `resolveTimeline(plan, train_blocks)` fills, in place, every Quantity.steps the
// compiler left at -1 (phase durations, rule intervals, evaluation and checkpoint
// intervals), each phase's [start_step, end_step) and schedule.total_steps, and returns the
// timeline to print. `train_blocks` maps dataset name -> number of training blocks.
//
// Meanings (docs/runtime.md):
//   epochs   one epoch of a phase = the training blocks of the datasets its mixture samples
//            (weight > 0 at either end of a schedule), times the fraction its phase-start
//            focus/drop rules keep (`focus when ppl > p50` keeps 50%), / batch_seqs, rounded
//            up. The mixture in force is the phase's own `mix`, else the last earlier one,
//            else every dataset.
//   tokens   ceil(tokens / (batch_seqs * seq_len)) steps.
//   percent  of the whole run for phases, evaluation and checkpoint intervals; of the
//            enclosing phase for rule intervals. A run with percent phases needs a known
//            total: schedule.total_steps, or every other phase fixed (then
//            total = fixed / (1 - percent/100)).
//   rest     schedule.total_steps minus the phases before it (must be the last phase).
//   until N  the phase ends at absolute step N.
//   schedule warmup/decay given as a fraction (warmup_steps == -1): ceil(fraction * total).
// Throws plan::PlanError naming the phase (and its recipe position) that cannot resolve.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/plan/Plan.h"

namespace recipec::train {

struct PhaseSpan {
  std::string name;
  int64_t start = 0, end = 0;  // [start, end) optimizer steps
  int64_t epoch_steps = 0;     // steps of one epoch of this phase
  std::string how;             // "2 epochs", "30% of 1000", ...
};

struct Timeline {
  std::vector<PhaseSpan> phases;
  int64_t total_steps = 0;
  int64_t tokens_per_step = 0;
  std::string describe() const;  // the printed, multi-line timeline
};

Timeline resolveTimeline(plan::Plan& plan, const std::map<std::string, int64_t>& train_blocks);

// The mixture in force in phase `phase_index` (its own `mix`, else the last earlier one,
// else every dataset at weight 1, unnormalised).
std::vector<plan::MixEntry> mixtureInForce(const plan::Plan& plan, size_t phase_index);

// Fraction of blocks a phase-start focus/drop rule keeps (1 when there is none).
double keptFraction(const plan::Phase& phase);

}  // namespace recipec::train
