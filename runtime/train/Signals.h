// Signals.h — SIGINT / SIGTERM / SIGHUP as a request to stop cleanly.
//
// Contract: after `installStopHandlers()`, the first of these signals only records itself;
// the trainer polls `stopSignal()` once per step and, when it is set, saves a checkpoint at
// the step boundary it reached, writes an unfinished summary and exits with 128 + signal
// (130 for Ctrl-C, 143 for SIGTERM) after saying how to resume. A second signal means "now":
// the process exits at once with the same code, leaving every checkpoint already sealed
// intact (a save in progress is a .tmp folder that the next save or resume removes).
// Nothing else is done inside the handler (async-signal-safe: a flag and write(2)). It also
// ignores SIGPIPE: a write to a dead peer's socket or a closed log pipe is an error, not death.
#pragma once

namespace recipec::train {

void installStopHandlers();
int stopSignal();                // 0, or the first stop signal received
// Blocks until a stop signal has arrived (returns at once if one has). Tests use it through
// RECIPEC_TEST_PAUSE_AT_STEP to hold a run at a known step without timing anything.
void waitForStopSignal();
const char* signalName(int sig);  // "SIGINT", "SIGTERM", "SIGHUP", else "signal"
int exitCodeFor(int sig);        // 128 + sig

}  // namespace recipec::train
