// cmd_fmt.cpp — `recipec fmt FILE|DIR... [--write | --check]`: the canonical layout.
//
// A folder stands for every `.recipe` under it (with --write or --check only: printing many
// recipes one after another to stdout helps nobody).
// Prints the formatted text (`-` reads stdin), rewrites files in place with --write (through
// a temporary file and rename, so an interrupted run never leaves half a recipe), or with
// --check lists the files that are not formatted and exits 1 (for CI). A file with syntax
// errors is refused with its diagnostics: formatting never guesses at a broken recipe.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/Commands.h"
#include "compiler/fmt/Format.h"

namespace fs = std::filesystem;

namespace recipec::cli {
namespace {

bool readAll(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  return diag::readFile(path, out, diag::kMaxRecipeBytes + 1);
}

// Replaces `path` by `text` atomically: same folder (so rename cannot cross devices), same
// permissions.
bool writeAtomically(const std::string& path, const std::string& text, std::string& why) {
  fs::path target(path);
  fs::path tmp = target;
  tmp += ".fmt-" + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      why = "cannot write `" + tmp.string() + "`";
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return false;
    }
  }
  std::error_code ec;
  fs::permissions(tmp, fs::status(target, ec).permissions(), ec);
  fs::rename(tmp, target, ec);
  if (ec) {
    why = "cannot replace `" + path + "`: " + ec.message();
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return false;
  }
  return true;
}

// 1-based number of the first line where two texts differ.
size_t firstDifferentLine(const std::string& a, const std::string& b) {
  size_t line = 1;
  for (size_t i = 0; i < a.size() && i < b.size() && a[i] == b[i]; ++i)
    if (a[i] == '\n') ++line;
  return line;
}

std::string lineOf(const std::string& text, size_t line) {
  std::istringstream in(text);
  std::string s;
  for (size_t i = 0; i < line && std::getline(in, s); ++i) {
  }
  return s;
}

// The recipe files a command-line argument names: a file as it is, a folder as every
// `.recipe` under it (sorted, so output and exit codes do not depend on directory order).
std::vector<std::string> expand(const std::string& arg) {
  std::error_code ec;
  if (arg == "-" || !fs::is_directory(arg, ec)) return {arg};
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(arg, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".recipe" && it->is_regular_file(ec)) out.push_back(it->path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void addFmt(CLI::App& app) {
  auto* cmd = app.add_subcommand("fmt", "Format recipes in the canonical layout (comments kept)");
  struct Args { std::vector<std::string> files; bool write = false, check = false; };
  auto a = std::make_shared<Args>();
  cmd->add_option("files", a->files, "Recipe files or folders (`-` reads stdin)")->required();
  auto* write = cmd->add_flag("-w,--write", a->write, "Rewrite the files in place");
  cmd->add_flag("--check", a->check, "Exit 1 and name the files that are not formatted")
      ->excludes(write);
  cmd->callback([a] {
    int rc = kOk;
    size_t unformatted = 0;
    auto worse = [&rc](int code) { rc = std::max(rc, code); };
    std::vector<std::string> files;
    for (const auto& arg : a->files) {
      const auto found = expand(arg);
      if (found.size() == 1 && found[0] == arg) {
        files.push_back(arg);
        continue;
      }
      if (found.empty()) {
        std::cerr << "error: folder `" << arg << "` holds no `.recipe` files\n";
        worse(kUserError);
        continue;
      }
      if (!a->write && !a->check) {
        std::cerr << "error: `" << arg << "` is a folder of " << found.size() << " recipes\n"
                  << "  = help: `recipec fmt --write " << arg << "` formats them in place; `--check` lists "
                  << "the ones that are not formatted\n";
        throw Exit{kUserError};
      }
      files.insert(files.end(), found.begin(), found.end());
    }
    for (const auto& path : files) {
      std::string text;
      if (!readAll(path, text)) {
        std::cerr << "error: cannot read `" << path << "`\n";
        worse(kUserError);
        continue;
      }
      diag::SourceManager sm;
      diag::DiagnosticEngine diags(sm);
      diag::FileId id = sm.add(path == "-" ? "<stdin>" : path, text);
      auto formatted = fmt::formatFile(sm, id, diags);
      if (!formatted) {
        std::string out = diags.render(stderrIsTerminal());
        bool internal = false;
        for (const auto& d : diags.all()) internal = internal || d.code == "E0900";
        size_t n = diags.errorCount();
        out += "error: could not format `" + path + "` due to " + std::to_string(n) +
               " previous error" + (n == 1 ? "" : "s") + "\n";
        std::cerr << out;
        worse(internal ? kInternalError : kUserError);
        continue;
      }
      if (a->check) {
        if (*formatted != text) {
          size_t line = firstDifferentLine(text, *formatted);
          std::cerr << "`" << path << "` is not formatted (first difference at line " << line
                    << ")\n  found:    " << lineOf(text, line)
                    << "\n  expected: " << lineOf(*formatted, line) << "\n";
          worse(kUserError);
          ++unformatted;
        }
      } else if (a->write && path != "-") {
        if (*formatted == text) continue;
        std::string why;
        if (!writeAtomically(path, *formatted, why)) {
          std::cerr << "error: " << why << "\n";
          worse(kUserError);
          continue;
        }
        std::cerr << "formatted " << path << "\n";
      } else {
        std::cout << *formatted;
      }
    }
    if (unformatted > 0)
      std::cerr << "help: run `recipec fmt --write` on these files\n";
    throw Exit{rc};
  });
}

}  // namespace recipec::cli
