// Commands.h — what every subcommand file provides, and the pieces they share.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/sema/Loader.h"

namespace recipec::cli {

// Exit codes, as cargo and git use them.
inline constexpr int kOk = 0;
inline constexpr int kUserError = 1;
inline constexpr int kInternalError = 2;

// A subcommand's callback reports its exit code by throwing this (CLI11 carries it out).
struct Exit {
  int code;
};

// Each subcommand registers itself on the top-level app.
void addCheck(CLI::App& app);
void addCompile(CLI::App& app);
void addPrepare(CLI::App& app);
void addRun(CLI::App& app);
void addEval(CLI::App& app);
void addAnalyze(CLI::App& app);
void addExtraCommands(CLI::App& app);   // the ones that exist only with MLIR / runtime parts

// Loads `path` with its imports and `--set` overrides, runs the checks, prints diagnostics
// to stderr. Returns true when there are no errors.
bool loadAndCheck(sema::Program& program, const std::string& path,
                  const std::vector<std::string>& sets, bool checkFiles = true,
                  bool missingFilesAreErrors = false);

// Prints the diagnostics collected so far (coloured on a terminal) and the summary line.
void printDiagnostics(const sema::Program& program, const std::string& what);

bool stderrIsTerminal();

// `recipec-runtime` beside this executable (or $RECIPEC_RUNTIME), and running it with
// `args`: its exit code, or 1 when it is missing (cli/Runtime.cpp).
std::string runtimePath();
int runRuntimeCommand(const std::vector<std::string>& args);
// Runs args (args[0] the program) as a supervised child (cli/Runtime.cpp); `onKilled` is
// added to the message when a signal the child did not handle ended it.
int runSupervised(std::vector<std::string> args, const std::function<std::string()>& onKilled);

}  // namespace recipec::cli
