// Runtime.cpp — starting `recipec-runtime` (beside this executable, or $RECIPEC_RUNTIME):
// the subcommands that need LibTorch (run, eval, analyze) hand their work to it, since
// `recipec` itself never loads LibTorch.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/Commands.h"

namespace fs = std::filesystem;

namespace recipec::cli {

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
  std::vector<char*> argv;
  for (auto& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv.data());
    std::perror("recipec: cannot start recipec-runtime");
    _exit(kInternalError);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : kInternalError;
}

}  // namespace recipec::cli
