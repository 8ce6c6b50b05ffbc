// cmd_extra.cpp — registers the subcommands that live in other files (diff, explain, fmt,
// run, prepare ...) as they are built; each adds itself here.
#include "cli/Commands.h"

namespace recipec::cli {

void addFmt(CLI::App& app);     // cmd_fmt.cpp
void addRuns(CLI::App& app);    // cmd_runs.cpp
void addReport(CLI::App& app);  // cmd_report.cpp
#ifdef RECIPEC_HAVE_MLIR
void addDiff(CLI::App& app);     // cmd_diff.cpp
void addExplain(CLI::App& app);  // cmd_explain.cpp
#endif

void addExtraCommands(CLI::App& app) {
  addFmt(app);
  addRuns(app);
#ifdef RECIPEC_HAVE_MLIR
  addDiff(app);
  addExplain(app);
#endif
  addReport(app);
}

}  // namespace recipec::cli
