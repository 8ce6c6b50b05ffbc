// Launch.cpp — see Launch.h. POSIX only: fork/exec, sigtimedwait for signals and reaping.
#include "cli/Launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace recipec::cli {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReportGrace = std::chrono::seconds(3);  // survivors name the lost rank
constexpr auto kTermGrace = std::chrono::seconds(10);   // then SIGKILL

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "stopped";
}

// 129 / 130 / 143: a rank stopped cleanly on SIGHUP / SIGINT / SIGTERM (Signals.h); the
// others stop at the same step by themselves.
bool stoppedBySignal(int status) {
  return WIFEXITED(status) && (WEXITSTATUS(status) == 129 || WEXITSTATUS(status) == 130 || WEXITSTATUS(status) == 143);
}
bool failed(int status) { return !WIFEXITED(status) || (WEXITSTATUS(status) != 0 && !stoppedBySignal(status)); }

}  // namespace

int freeLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

int launchLocalWorkers(const std::vector<std::string>& argv, int nproc) {
  const int port = freeLocalPort();
  if (port == 0) {
    std::fprintf(stderr, "error: no free TCP port on 127.0.0.1 for the workers' rendezvous\n");
    return 1;
  }
  // Signals are taken synchronously (sigtimedwait): no handler runs between fork and exec.
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, &old);
  const pid_t launcher = ::getpid();

  std::vector<pid_t> pids(size_t(nproc), -1);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("recipec: fork");
      for (int k = 0; k < r; ++k) ::kill(pids[size_t(k)], SIGKILL);
      return 2;
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a stop request: all ranks agree on the step
      if (::getppid() != launcher) _exit(143);  // the launcher died before prctl
      sigprocmask(SIG_SETMASK, &old, nullptr);
      const std::string n = std::to_string(nproc), rank = std::to_string(r);
      ::setenv("RANK", rank.c_str(), 1);
      ::setenv("LOCAL_RANK", rank.c_str(), 1);
      ::setenv("GROUP_RANK", "0", 1);
      ::setenv("WORLD_SIZE", n.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::fprintf(stderr, "recipec: cannot start `%s`: %s\n", args[0], std::strerror(errno));
      _exit(2);
    }
    pids[size_t(r)] = pid;
  }

  std::vector<int> status(size_t(nproc), 0);
  std::vector<bool> alive(size_t(nproc), true);
  int running = nproc, first_failed = -1, forwarded = 0;
  Clock::time_point term_at{}, kill_at{};
  auto signalAlive = [&](int sig) {
    for (int r = 0; r < nproc; ++r)
      if (alive[size_t(r)]) ::kill(pids[size_t(r)], sig);
  };
  while (running > 0) {
    int st = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &st, WNOHANG)) > 0) {
      for (int r = 0; r < nproc; ++r) {
        if (pids[size_t(r)] != pid || !alive[size_t(r)]) continue;
        alive[size_t(r)] = false;
        status[size_t(r)] = st;
        --running;
        if (failed(st) && first_failed < 0 && !forwarded) {
          first_failed = r;
          if (running > 0) {
            std::fprintf(stderr, "error: worker rank %d (pid %d) %s; stopping the other %d worker%s\n", r, int(pid),
                         describeStatus(st).c_str(), running, running == 1 ? "" : "s");
            term_at = Clock::now() + kReportGrace;
          } else {
            std::fprintf(stderr, "error: worker rank %d (pid %d) %s\n", r, int(pid), describeStatus(st).c_str());
          }
        }
      }
    }
    if (running == 0) break;
    const auto now = Clock::now();
    if (term_at != Clock::time_point{} && now >= term_at) {
      signalAlive(SIGTERM);
      term_at = {};
      kill_at = now + kTermGrace;
    }
    if (kill_at != Clock::time_point{} && now >= kill_at) {
      signalAlive(SIGKILL);
      kill_at = {};
    }
    timespec wait{0, 100 * 1000 * 1000};
    siginfo_t info;
    const int sig = ::sigtimedwait(&set, &info, &wait);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      signalAlive(sig);  // each worker stops at its next step boundary, all at the same one
      forwarded = sig;
    }
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);

  if (first_failed >= 0) {
    const int st = status[size_t(first_failed)];
    return WIFEXITED(st) && WEXITSTATUS(st) <= 2 ? WEXITSTATUS(st) : 1;
  }
  if (forwarded) return WIFEXITED(status[0]) ? WEXITSTATUS(status[0]) : 1;
  for (int st : status)
    if (stoppedBySignal(st)) return WEXITSTATUS(st);
  return 0;
}

}  // namespace recipec::cli
