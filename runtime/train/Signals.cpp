// Signals.cpp — see Signals.h.
#include "runtime/train/Signals.h"

#include <csignal>
#include <cstring>
#include <initializer_list>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

namespace recipec::train {
namespace {

volatile std::sig_atomic_t g_signal = 0;

void onStop(int sig) {
  if (g_signal != 0) {
    static const char msg[] = "\nrecipec-runtime: second interrupt, stopping now; saved checkpoints are intact\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(128 + sig);
  }
  g_signal = sig;
}

}  // namespace

void installStopHandlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = onStop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes in progress carry on; the loop polls the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  // A write to a socket whose peer is gone (a data-parallel rank that died, mid-collective)
  // must fail with EPIPE, which c10d turns into an error naming the rank, not kill this
  // process silently with SIGPIPE; so must a write to a log pipe whose reader has gone.
  ::signal(SIGPIPE, SIG_IGN);
}

int stopSignal() { return int(g_signal); }

void waitForStopSignal() {
  sigset_t stop, old;
  sigemptyset(&stop);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop, sig);
  ::pthread_sigmask(SIG_BLOCK, &stop, &old);
  // A signal sent to the process may be taken by any thread that does not block it (a
  // LibTorch worker): its handler sets the flag and this thread is never woken, so a
  // sigsuspend here could wait for ever. Poll the flag instead, taking any stop signal
  // left pending for this thread or the process.
  while (g_signal == 0) {
    const timespec tick{0, 50 * 1000 * 1000};
    const int sig = ::sigtimedwait(&stop, nullptr, &tick);
    if (sig > 0) g_signal = sig;
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

const char* signalName(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
}

int exitCodeFor(int sig) { return 128 + sig; }

}  // namespace recipec::train
