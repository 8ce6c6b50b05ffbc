// Launch.h — `recipec run F --nproc N`: N local workers of one data-parallel run.
//
// Contract: `launchLocalWorkers(argv, n)` starts n copies of argv (a `recipec-runtime run
// ...` command line) with the variables a torchrun launcher sets: RANK = LOCAL_RANK = 0..n-1,
// WORLD_SIZE = LOCAL_WORLD_SIZE = n, MASTER_ADDR = 127.0.0.1, MASTER_PORT = a free port.
// Each worker runs in its own process group (a terminal's Ctrl-C reaches the launcher
// alone) and gets SIGTERM when the launcher dies (PR_SET_PDEATHSIG). SIGINT, SIGTERM and
// SIGHUP received by the launcher are forwarded to every worker (runtime/train/Signals.h:
// the first stops the run at a step boundary all ranks agree on, a second stops at once). When a worker fails (non-zero exit or killed
// by a signal) while no signal was forwarded, the launcher prints
//   error: worker rank R exited with code C | was killed by signal S (SIGKILL); stopping ...
// gives the others a few seconds to report what they saw, then SIGTERM, then SIGKILL.
// Returns the exit code for `recipec`: 0 when every worker exited 0; the first failed
// worker's code when it was 1 or 2, 1 when it was killed by a signal; after a forwarded
// signal, rank 0's code; 129 / 130 / 143 when the ranks stopped cleanly on a signal one of
// them received (not a failure: the others stop at the same step by themselves). No LibTorch here: `recipec` never loads it.
#pragma once

#include <string>
#include <vector>

namespace recipec::cli {

int launchLocalWorkers(const std::vector<std::string>& argv, int nproc);

// A TCP port on 127.0.0.1 free at the time of the call (bound to port 0, then released).
int freeLocalPort();

}  // namespace recipec::cli
