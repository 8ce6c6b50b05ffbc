// cmd_extra.cpp — registers the subcommands that live in other files (diff, explain, fmt,
// run, prepare ...) as they are built; each adds itself here.
#include "cli/Commands.h"

namespace recipec::cli {

void addExtraCommands(CLI::App&) {}

}  // namespace recipec::cli
