// DiagBridge.cpp — see DiagBridge.h.
#include "compiler/mlir/DiagBridge.h"

#include <cctype>

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

namespace recipec::ir {

diag::SourceRange rangeOf(mlir::Location loc, const diag::SourceManager& sources) {
  diag::SourceRange r;
  loc->walk([&](mlir::Location l) {
    auto f = llvm::dyn_cast<mlir::FileLineColLoc>(l);
    if (!f) return mlir::WalkResult::advance();
    for (diag::FileId id = 0; id < sources.size(); ++id) {
      if (sources.file(id).path != f.getFilename().getValue()) continue;
      r.file = id;
      r.line = f.getLine();
      r.col = f.getColumn();
      r.endLine = r.line;
      // Underline the word or number that starts at the column (a name, `2k`, `p90`).
      std::string_view text = sources.file(id).lineText(r.line);
      uint32_t end = r.col;
      auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
      while (end < text.size() && word(text[end - 1]) && word(text[end])) ++end;
      r.endCol = end;
      break;
    }
    return mlir::WalkResult::interrupt();
  });
  return r;
}

DiagBridge::DiagBridge(mlir::MLIRContext& context, diag::SourceManager& sources, diag::DiagnosticEngine& diags)
    : context_(context) {
  id_ = context.getDiagEngine().registerHandler([&sources, &diags](mlir::Diagnostic& d) -> mlir::LogicalResult {
    std::string message = d.str();
    std::string code = "E0500";
    if (message.size() > 7 && message[0] == '[' && message[1] == 'E' && message[6] == ']') {  // "[E0382] ..."
      code = message.substr(1, 5);
      message = message.substr(message[7] == ' ' ? 8 : 7);
    }
    diag::SourceRange at = rangeOf(d.getLocation(), sources);
    diag::Diagnostic* out = nullptr;
    switch (d.getSeverity()) {
      case mlir::DiagnosticSeverity::Error: out = &diags.error(code, message, at); break;
      case mlir::DiagnosticSeverity::Warning: out = &diags.warning(code, message, at); break;
      default: return mlir::success();  // notes arrive attached; remarks are not for users
    }
    for (const mlir::Diagnostic& note : d.getNotes()) {
      std::string text = note.str();
      if (text.rfind("help: ", 0) == 0) {  // a pass's advice: the diagnostic's `= help:` line
        out->help = text.substr(6);
        continue;
      }
      diag::SourceRange nr = rangeOf(note.getLocation(), sources);
      if (nr.valid()) out->secondary.push_back({nr, text});
      else out->notes.push_back(text);
    }
    return mlir::success();
  });
}

DiagBridge::~DiagBridge() { context_.getDiagEngine().eraseHandler(id_); }

}  // namespace recipec::ir
