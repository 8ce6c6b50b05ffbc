// cmd_extra.cpp — registers the subcommands that live in other files (diff, explain, fmt,
// run, prepare ...) as they are built; each adds itself here.
#include "cli/Commands.h"

namespace recipec::cli {

void addFmt(CLI::App& app);   // cmd_fmt.cpp

void addExtraCommands(CLI::App& app) {
  addFmt(app);
}

}  // namespace recipec::cli
