// ReportPage.cpp — assembles the report page (see ReportPage.h).
#include "cli/report/ReportPage.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/report/ReportData.h"

namespace recipec::report {

// Generated from cli/report/page.{html,css,js} by EmbedAssets.cmake.
extern const char* const kPageHtml;
extern const char* const kPageCss;
extern const char* const kPageJs;

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path executableDir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = 0;
  return fs::path(buf).parent_path();
}

// One pass over the template: text put in is never searched again, so a run named
// `/*@PAGE_JS@*/` stays a name.
std::string fill(const std::string& tmpl, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  size_t pos = 0;
  std::vector<bool> used(values.size(), false);
  while (true) {
    size_t best = std::string::npos, which = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      const size_t at = tmpl.find(values[i].first, pos);
      if (at < best) best = at, which = i;
    }
    if (best == std::string::npos) break;
    out.append(tmpl, pos, best - pos);
    out += values[which].second;
    used[which] = true;
    pos = best + values[which].first.size();
  }
  out.append(tmpl, pos, std::string::npos);
  for (size_t i = 0; i < values.size(); ++i)
    if (!used[i]) throw std::logic_error("report template lacks " + values[i].first);
  return out;
}

// Text inlined into <script> or <style> must not close its element early.
std::string guardElement(std::string s, const std::string& closing) {
  for (size_t at = 0; (at = s.find(closing, at)) != std::string::npos; at += 2) s.replace(at, 2, "<\\/");
  return s;
}

}  // namespace

ChartLib findChartLib() {
  std::vector<fs::path> places;
  if (const char* env = std::getenv("RECIPEC_UPLOT_DIR"); env && *env) places.emplace_back(env);
  else places.push_back(executableDir() / ".." / "share" / "recipec" / "uplot");
  std::error_code ec;
  for (const auto& dir : places) {
    if (fs::exists(dir / "uPlot.iife.min.js", ec) && fs::exists(dir / "uPlot.min.css", ec))
      return {slurp(dir / "uPlot.iife.min.js"), slurp(dir / "uPlot.min.css"),
              fs::exists(dir / "LICENSE", ec) ? slurp(dir / "LICENSE") : std::string(), dir.lexically_normal().string()};
  }
  std::string where;
  for (const auto& dir : places) where += " `" + (dir / "uPlot.iife.min.js").lexically_normal().string() + "`";
  throw ReportError("the chart library uPlot is not installed: no" + where +
                    "\n  help: run scripts/fetch_web.sh (it fetches uplot from npm into .deps/node_modules) and "
                    "rebuild, which copies it beside recipec; or set RECIPEC_UPLOT_DIR to a folder holding "
                    "uPlot.iife.min.js and uPlot.min.css");
}

std::string escapeHtml(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string jsonForScript(const nlohmann::json& j) {
  const std::string raw = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size() + 64);
  // These characters occur only inside JSON strings, where \uXXXX means the same.
  for (char c : raw) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

std::string renderPage(const nlohmann::json& data, const std::string& title, const ChartLib& lib) {
  // The MIT licence asks for its notice in every copy: the page is one.
  std::string licenseComment;
  if (!lib.license.empty() && lib.license.find("*/") == std::string::npos)
    licenseComment = "/* uPlot, https://github.com/leeoniya/uPlot\n" + lib.license + "*/\n";
  return fill(kPageHtml, {{"@TITLE@", escapeHtml(title)},
                          {"/*@UPLOT_CSS@*/", guardElement(lib.css, "</style")},
                          {"/*@PAGE_CSS@*/", guardElement(kPageCss, "</style")},
                          {"@DATA@", jsonForScript(data)},
                          {"/*@UPLOT_JS@*/", guardElement(licenseComment + lib.js, "</script")},
                          {"/*@PAGE_JS@*/", guardElement(kPageJs, "</script")}});
}

}  // namespace recipec::report
