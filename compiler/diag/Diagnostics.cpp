// Diagnostics.cpp — rendering in the rustc layout (see Diagnostics.h).
#include "compiler/diag/Diagnostics.h"

#include <algorithm>

namespace recipec::diag {
namespace {

struct Style {
  bool on;
  std::string red() const { return on ? "\033[1;31m" : ""; }
  std::string yellow() const { return on ? "\033[1;33m" : ""; }
  std::string blue() const { return on ? "\033[1;34m" : ""; }
  std::string bold() const { return on ? "\033[1m" : ""; }
  std::string reset() const { return on ? "\033[0m" : ""; }
};

const char* severityWord(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// Prints one labelled source line: the line itself and a row of `^` (primary) or `-`.
void renderSnippet(std::string& out, const SourceManager& sm, const Label& label, bool primary,
                   size_t gutter, const Style& st, const std::string& accent) {
  const SourceFile& f = sm.file(label.range.file);
  std::string lineNo = std::to_string(label.range.line);
  std::string pad(gutter, ' ');
  std::string_view text = f.lineText(label.range.line);
  uint32_t start = std::max<uint32_t>(1, label.range.col);
  uint32_t end = label.range.endLine == label.range.line ? label.range.endCol
                                                          : static_cast<uint32_t>(text.size());
  if (end < start) end = start;
  // A very long line is shown as a window around the label, `...` marking what is cut.
  constexpr size_t kWidth = 120;
  std::string before, after;
  if (text.size() > kWidth) {
    size_t from = start > kWidth / 2 ? start - 1 - kWidth / 2 : 0;
    while (from > 0 && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) --from;
    size_t to = std::min(text.size(), from + kWidth);
    while (to < text.size() && (static_cast<unsigned char>(text[to]) & 0xC0) == 0x80) ++to;
    if (from > 0) before = "...";
    if (to < text.size()) after = "...";
    text = text.substr(from, to - from);
    start = static_cast<uint32_t>(start - from + before.size());
    end = std::min<uint32_t>(static_cast<uint32_t>(end - from + before.size()),
                             static_cast<uint32_t>(before.size() + text.size()));
    if (end < start) end = start;
  }
  out += st.blue() + pad + " |" + st.reset() + "\n";
  out += st.blue() + std::string(gutter - lineNo.size(), ' ') + lineNo + " |" + st.reset() + " " + before +
         std::string(text) + after + "\n";
  std::string shown = before + std::string(text);
  text = shown;
  std::string marks(end - start + 1, primary ? '^' : '-');
  std::string lead;
  for (uint32_t i = 1; i < start && i - 1 < text.size(); ++i) lead += text[i - 1] == '\t' ? '\t' : ' ';
  out += st.blue() + pad + " |" + st.reset() + " " + lead + accent + marks;
  if (!label.message.empty()) out += " " + label.message;
  out += st.reset() + "\n";
}

}  // namespace

Diagnostic& DiagnosticEngine::error(std::string code, std::string message, SourceRange at,
                                    std::string label) {
  diags_.push_back(Diagnostic{Severity::Error, std::move(code), std::move(message),
                              Label{at, std::move(label)}, {}, {}, {}});
  return diags_.back();
}

Diagnostic& DiagnosticEngine::warning(std::string code, std::string message, SourceRange at,
                                      std::string label) {
  diags_.push_back(Diagnostic{Severity::Warning, std::move(code), std::move(message),
                              Label{at, std::move(label)}, {}, {}, {}});
  return diags_.back();
}

size_t DiagnosticEngine::errorCount() const {
  return std::count_if(diags_.begin(), diags_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

size_t DiagnosticEngine::warningCount() const {
  return std::count_if(diags_.begin(), diags_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Warning; });
}

std::string DiagnosticEngine::renderOne(const Diagnostic& d, bool color) const {
  Style st{color};
  std::string accent = d.severity == Severity::Error ? st.red() : st.yellow();
  std::string out = accent + severityWord(d.severity);
  if (!d.code.empty()) out += "[" + d.code + "]";
  out += st.reset() + st.bold() + ": " + d.message + st.reset() + "\n";

  size_t gutter = 1;
  auto widen = [&](const Label& l) {
    if (l.range.valid()) gutter = std::max(gutter, std::to_string(l.range.line).size());
  };
  widen(d.primary);
  for (const auto& l : d.secondary) widen(l);
  std::string pad(gutter, ' ');

  if (d.primary.range.valid()) {
    out += pad + st.blue() + "--> " + st.reset() + sm_.location(d.primary.range) + "\n";
    renderSnippet(out, sm_, d.primary, true, gutter, st, accent);
  }
  for (const auto& l : d.secondary) {
    if (!l.range.valid()) continue;
    out += pad + st.blue() + "::: " + st.reset() + sm_.location(l.range) + "\n";
    renderSnippet(out, sm_, l, false, gutter, st, st.blue());
  }
  for (const auto& n : d.notes) out += pad + st.blue() + " = " + st.reset() + st.bold() + "note" + st.reset() + ": " + n + "\n";
  if (!d.help.empty())
    out += pad + st.blue() + " = " + st.reset() + st.bold() + "help" + st.reset() + ": " + d.help + "\n";
  return out;
}

std::string DiagnosticEngine::render(bool color) const {
  std::string out;
  for (const auto& d : diags_) out += renderOne(d, color) + "\n";
  return out;
}

}  // namespace recipec::diag
