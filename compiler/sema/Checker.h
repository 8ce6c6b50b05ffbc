// Checker.h — internal to sema: the state and helpers shared by the check files.
//
// Values are checked where they are used: a `let` is only known to be a number when a
// setting needs a number, so the helpers resolve names through `let` (and `--set`) at
// the point of use and report there, naming both the use and the constant.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "compiler/sema/Check.h"
#include "runtime/plan/Methods.h"

namespace recipec::sema {

class Checker {
 public:
  Checker(Program& p, const CheckOptions& o) : p_(p), d_(p.diags()), s_(p.scope()), opt_(o) {}
  void run();

  // Declarations (Check.cpp)
  void checkDuplicates();
  void checkOverrides();
  void checkLets();
  void checkTokenizer(const ast::TokenizerDecl& t);
  void checkDataset(const ast::DatasetDecl& ds);
  void checkTextData(const ast::Expr& source, const std::string& pattern);  // E0402
  void checkMixtureObject(const ast::Expr& obj, bool allowSchedules, const char* what);
  void checkModel(const ast::ModelDecl& m);
  void checkTrain();
  void checkEvaluate(const ast::EvaluateDecl& e);
  void checkCheckpoint(const ast::CheckpointDecl& c);
  // Phases, rules, events (CheckRules.cpp)
  void checkPhases();
  std::optional<std::pair<std::string, diag::SourceRange>> recordForm_;  // the first `record`'s form
  std::optional<diag::SourceRange> numberFilter_;  // the first focus/drop with a number threshold
  void relativeWithNumber(const diag::SourceRange& threshold, const diag::SourceRange& record);
  void checkMethodValue(const plan::methods::Param& p, const ast::Expr* written, const std::string& what);
  void checkMethodCall(const plan::methods::Action& spec, const ast::Expr& call);
  void checkReweightAgainstBatch(const plan::methods::Action& spec, const ast::Expr& call);
  // (sequences per step, sequences per micro-batch) when the train block fixes them.
  std::optional<std::pair<double, double>> batchShape();
  void checkRule(const ast::PhaseDecl& phase, const ast::Rule& r, bool& recordsTable,
                 bool tableBefore);
  void checkCondition(const ast::Condition& c, const char* context, bool perBlock);
  void checkEvent(const ast::EventDecl& e);
  // E0380 at `at` when `ds` has no val split (shards may bring their own).
  void requireValSplit(const ast::DatasetDecl& ds, const diag::SourceRange& at, const char* label);
  void checkTotal(const ast::Expr& e);
  const ast::Expr* lengthValue(const ast::Expr& written);
  void checkInterval(const ast::Interval& iv, const char* what);
  void checkDuration(const ast::Duration& d);
  // Across declarations (CheckWhole.cpp)
  void checkWholeRecipe();
  void checkVocabulary();  // the train model's `vocab` against its datasets' built-in tokenizers

  // Helpers
  const ast::Expr* resolve(const ast::Expr* e);           // through let/--set, nullptr on error
  std::optional<double> peekNumber(const ast::Expr* e);   // no diagnostics
  std::optional<double> number(const ast::Expr* e, const std::string& what);
  std::optional<std::string> word(const ast::Expr* e, const std::string& what);
  std::optional<std::string> string(const ast::Expr* e, const std::string& what);
  void typeError(const ast::Expr* e, const std::string& what, const std::string& expected);
  // A value out of its range, reported where it is used (`written`); when a constant or
  // `--set` gave it, the value's own place is shown too.
  diag::Diagnostic& valueError(const char* code, const std::string& message, const ast::Expr* written);
  diag::Diagnostic& unknown(const char* kind, const std::string& name, const diag::SourceRange& at,
               std::vector<std::string> candidates, const char* code = "E0201");
  template <class Map>
  std::vector<std::string> keys(const Map& m) {
    std::vector<std::string> out;
    for (const auto& kv : m) out.push_back(kv.first);
    return out;
  }
  bool isMixable(const std::string& name) { return s_.datasets.count(name) || s_.mixtures.count(name); }
  void checkFields(const ast::Expr& obj, const std::vector<std::string>& allowed, const std::string& what);
  std::optional<double> modelField(const std::string& model, const std::string& field);
  // `written` (optional): the expression the path was written as; when a constant or --set
  // gave the value, the diagnostic also points there.
  void missingFile(const std::string& pattern, const diag::SourceRange& at, const char* what,
                   const ast::Expr* written = nullptr);

  Program& p_;
  diag::DiagnosticEngine& d_;
  const Scope& s_;
  CheckOptions opt_;
  std::set<std::string> resolving_;   // let-cycle guard
  // `let a = b` chains are followed at most this far (bounded recursion, linear checks).
  static constexpr size_t kMaxConstantChain = 64;
  static constexpr size_t kMaxDeclarations = 4096;  // named declarations in one file
  bool reportedLongModelChain_ = false;
  bool tooManyDeclarations_ = false;
};

std::string fmtNumber(double v);

// Ids a built-in tokenizer can produce (bytes 257; gpt2_bpe and hf from their files), or
// nullopt when only the run can tell (CheckWhole.cpp).
std::optional<int64_t> tokenizerVocab(const std::string& kind, const std::string& path);

using ast::kMaxWhole;
inline bool isWhole(double v) { return v == std::floor(v) && std::fabs(v) <= kMaxWhole; }
// ", at most 2^53" for a whole number past kMaxWhole, else "": the end of a "(need ...)".
inline std::string wholeLimit(double v) { return std::fabs(v) > kMaxWhole ? ", at most 2^53 = 9007199254740992" : ""; }

}  // namespace recipec::sema
