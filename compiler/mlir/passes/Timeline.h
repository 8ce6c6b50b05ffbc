// Timeline.h — where each phase starts and ends, as far as the compiler can know.
//
// Contract: reads the phases' lengths as resolve-durations left them (QuantityAttr steps,
// -1 = symbolic) and walks the run: a `for` phase of known length advances the clock, an
// `until N` phase sets it to N (so the run is known again after an epoch-long phase), a
// `rest` phase ends at the train block's `total` when that is known in steps; an epoch-long,
// unresolved-percent or total-less `rest` phase makes it unknown. With a known `total`, the
// run's length is that total. The same meanings as the
// runtime's (runtime/train/Timeline.h), which finishes what stays symbolic here.
#pragma once

#include <optional>
#include <vector>

#include "compiler/mlir/Dialect.h"

namespace recipec::ir {

struct PhaseSpan {
  PhaseOp op;
  std::optional<int64_t> start, end;
  std::optional<int64_t> length() const {
    if (start && end) return *end - *start;
    return std::nullopt;
  }
};

struct Timeline {
  std::vector<PhaseSpan> phases;
  std::optional<int64_t> total;  // the run's length in steps
};

inline Timeline computeTimeline(mlir::ModuleOp module) {
  Timeline t;
  // The run's length when the train block gives it (`total 30k steps`, resolved).
  std::optional<int64_t> given;
  for (TrainConfigOp train : module.getBody()->getOps<TrainConfigOp>())
    if (QuantityAttr total = train.getTotalAttr(); total && total.isResolved()) given = total.getSteps();
  std::optional<int64_t> at = 0;
  for (PhaseOp p : module.getBody()->getOps<PhaseOp>()) {
    PhaseSpan span{p, at, std::nullopt};
    QuantityAttr len = p.getLengthAttr();
    if (p.getKind() == DurationKind::Until && len && len.isResolved()) {
      span.end = len.getSteps();
    } else if (p.getKind() == DurationKind::For && len && len.isResolved() && at) {
      span.end = *at + len.getSteps();
    } else if (p.getKind() == DurationKind::Rest && given) {
      span.end = *given;  // after an `until N`, the rest is total - N
    }
    at = span.end;
    t.phases.push_back(span);
  }
  if (!t.phases.empty()) t.total = given ? given : at;
  return t;
}

}  // namespace recipec::ir
