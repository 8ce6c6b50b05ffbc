// Commands.cpp — shared pieces of the subcommands.
#include "cli/Commands.h"

#include <unistd.h>

#include <cstdio>

#include "compiler/sema/Check.h"
#ifdef RECIPEC_HAVE_MLIR
#include "compiler/mlir/Compile.h"
#endif

namespace recipec::cli {

bool stderrIsTerminal() {
  static const bool tty = isatty(2) && std::getenv("NO_COLOR") == nullptr;
  return tty;
}

void printDiagnostics(const sema::Program& program, const std::string& what) {
  auto& diags = const_cast<sema::Program&>(program).diags();
  std::string out = diags.render(stderrIsTerminal());
  size_t errors = diags.errorCount(), warnings = diags.warningCount();
  if (errors > 0) {
    out += std::string(stderrIsTerminal() ? "\033[1;31merror\033[0m" : "error") + ": could not " +
           what + " due to " + std::to_string(errors) + " previous error" + (errors == 1 ? "" : "s");
    if (warnings) out += "; " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s") + " emitted";
    out += "\n";
  } else if (warnings > 0) {
    out += std::string(stderrIsTerminal() ? "\033[1;33mwarning\033[0m" : "warning") + ": " +
           std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s") + " emitted\n";
  }
  std::fputs(out.c_str(), stderr);
}

bool loadAndCheck(sema::Program& program, const std::string& path,
                  const std::vector<std::string>& sets, bool checkFiles, bool missingFilesAreErrors) {
  bool ok = program.load(path, sets);
  if (ok) ok = sema::check(program, sema::CheckOptions{checkFiles, missingFilesAreErrors});
#ifdef RECIPEC_HAVE_MLIR
  if (ok && !program.diags().hasErrors()) ok = checkResolves(program);
#endif
  return ok && !program.diags().hasErrors();
}

}  // namespace recipec::cli
