// ReportPage.h — the self-contained HTML page of `recipec report`.
//
// Contract: `renderPage` returns one HTML document that needs nothing but itself: the page's
// own template, style and script (cli/report/page.{html,css,js}, compiled into recipec by
// cli/report/EmbedAssets.cmake), the chart library uPlot and the data (ReportData.h) are all
// inlined. Everything that comes from the user (run names, recipe text, token text, file
// names) reaches the page only as JSON in a <script type="application/json"> element, with
// `<`, `>` and `&` written as \u escapes, and the script puts it into the DOM as text, never
// as markup; the one exception, the <title>, is HTML-escaped here.
//
// The chart library is looked for, in order, in $RECIPEC_UPLOT_DIR, then in
// <folder of recipec>/../share/recipec/uplot (where the build copies it from
// .deps/node_modules/uplot/dist, which scripts/fetch_web.sh fills). Missing: ReportError
// naming the places looked at.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace recipec::report {

struct ChartLib {
  std::string js, css;  // uPlot.iife.min.js, uPlot.min.css
  std::string license;  // its LICENSE (MIT), put beside it in the page; "" when absent
  std::string from;     // the folder they were read from
};

ChartLib findChartLib();

std::string escapeHtml(const std::string& s);
// JSON safe inside a <script> element: no `<`, `>`, `&` (as \u003c ...), invalid UTF-8 replaced.
std::string jsonForScript(const nlohmann::json& j);

std::string renderPage(const nlohmann::json& data, const std::string& title, const ChartLib& lib);

}  // namespace recipec::report
