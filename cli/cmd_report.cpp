// cmd_report.cpp — `recipec report RUN|ANALYZE.json ... -o report.html`: one HTML file that
// opens offline with the runs' curves overlaid, their phases and events marked, the plan
// difference of their recipes, and the charts of `recipec analyze --json` files.
//
// The reading is cli/report/ReportData.h, the page cli/report/ReportPage.h; docs/report.md
// says what the page shows. Exit codes: 0 written, 1 a user error (a missing run, a run
// without metrics, a file that is not analyze JSON, the chart library not installed, an
// output that cannot be written), 2 internal.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/Commands.h"
#include "cli/report/ReportData.h"
#include "cli/report/ReportPage.h"

namespace recipec::cli {

void addReport(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "Write one self-contained HTML page comparing runs (and analyze results)");
  struct Args { std::vector<std::string> inputs; std::string out, title; };
  auto args = std::make_shared<Args>();
  cmd->add_option("inputs", args->inputs, "Run directories and `recipec analyze --json` files")->required();
  cmd->add_option("-o,--output", args->out, "The HTML file to write")->required();
  cmd->add_option("--title", args->title, "The page's title (default: the runs' names)");
  cmd->footer("The first run is the baseline: the recipe difference is of each other run against it.");
  cmd->callback([args] {
    try {
      const report::ChartLib lib = report::findChartLib();  // before the work: fail fast
      const auto data = report::readInputs(args->inputs);
      std::string title = args->title;
      if (title.empty()) {
        for (const auto& r : data["runs"]) title += (title.empty() ? "" : " vs ") + r["name"].get<std::string>();
        if (title.empty()) title = "adaptation analysis";
        title = "recipec report: " + title;
      }
      const std::string page = report::renderPage(data, title, lib);
      std::ofstream out(args->out, std::ios::binary | std::ios::trunc);
      if (!out || !(out << page) || !out.flush()) {
        std::cerr << "error: cannot write `" << args->out << "`\n";
        throw Exit{kUserError};
      }
      std::cerr << "wrote " << args->out << " (" << page.size() / 1024 << " KiB: " << data["runs"].size()
                << " run(s), " << data["analyses"].size() << " analysis file(s))\n";
    } catch (const report::ReportError& e) {
      std::cerr << "error: " << e.what() << "\n";
      throw Exit{kUserError};
    }
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
