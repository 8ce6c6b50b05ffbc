// Runtime.cpp — starting `recipec-runtime` (beside this executable, or $RECIPEC_RUNTIME):
// the subcommands that need LibTorch (run, eval, analyze) hand their work to it, since
// `recipec` itself never loads LibTorch.
//
// The child runs in its own process group, supervised here: SIGINT (Ctrl-C, which reaches
// only this process's group), SIGTERM and SIGHUP are forwarded to it once each (a trainer
// then saves a checkpoint and stops; a second signal stops it at once); if `recipec` itself
// is killed, the kernel sends the child SIGTERM (PR_SET_PDEATHSIG). Its exit code is passed
// on, 128 + signal when a signal ended it.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/Commands.h"

namespace fs = std::filesystem;

namespace recipec::cli {

namespace {

volatile pid_t g_child = 0;

void forwardSignal(int sig) {
  if (g_child > 0) ::kill(g_child, sig);
}

}  // namespace

int runSupervised(std::vector<std::string> args, const std::function<std::string()>& onKilled) {
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  struct sigaction sa, old_int, old_term, old_hup;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = forwardSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  // Installed before fork: a signal that arrives while the child starts is not lost.
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  ::sigaction(SIGHUP, &sa, &old_hup);
  const pid_t parent = ::getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "error: cannot start `" << args[0] << "`: " << std::strerror(errno) << "\n";
    return kUserError;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(143);  // the parent died before prctl took effect
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    execv(argv[0], argv.data());
    std::perror("recipec: cannot start recipec-runtime");
    _exit(kInternalError);
  }
  ::setpgid(pid, pid);  // also here, so the group exists before any signal is forwarded
  g_child = pid;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int sig = WTERMSIG(status);
  const std::string hint = onKilled ? onKilled() : std::string();
  std::cerr << "error: recipec-runtime was killed by signal " << sig << " (" << strsignal(sig) << ")"
            << (hint.empty() ? "" : "; " + hint) << "\n";
  return 128 + sig;
}

std::string runtimePath() {
  if (const char* env = std::getenv("RECIPEC_RUNTIME")) return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "recipec-runtime").string();
}

int runRuntimeCommand(const std::vector<std::string>& args) {
  const std::string runtime = runtimePath();
  if (!fs::exists(runtime)) {
    std::cerr << "error: the runtime `" << runtime << "` is missing\n"
              << "  = help: build it (cmake with -DRECIPEC_RUNTIME=ON), or point RECIPEC_RUNTIME at it\n";
    return kUserError;
  }
  std::vector<std::string> all{runtime};
  all.insert(all.end(), args.begin(), args.end());
  std::fflush(stdout);
  return runSupervised(std::move(all), nullptr);
}

}  // namespace recipec::cli
