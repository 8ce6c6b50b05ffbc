// Loader.h — reads a recipe and everything it imports, and merges them into one scope.
//
// `use "f.recipe"` brings f's named declarations (let, tokenizer, dataset, mixture, model)
// into scope; `recipe "b" extends "a.recipe"` starts from everything a declares and lets b
// override it: named declarations and phases by name (a phase keeps its place), train
// settings key by key, evaluations by target, events by trigger, checkpoint as a whole.
// A local declaration shadows an imported one; two imports declaring the same name is an
// error. Paths resolve against the importing file's folder, then RECIPEC_PATH entries, then
// the recipec source tree (so `use "stdlib/models.recipe"` works from anywhere).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/AST.h"
#include "compiler/diag/Diagnostics.h"
#include "runtime/plan/Plan.h"

namespace recipec::sema {

// One `--set name=value` from the command line, already parsed into an expression.
struct Override {
  std::string name;
  ast::ExprPtr value;
  diag::SourceRange range;   // points into the synthetic `<--set>` file
};

// A named declaration and the item that holds it.
struct NamedDecl {
  const ast::Item* item = nullptr;
  std::string name;
  diag::SourceRange nameRange;
};

// The merged view of a recipe after imports and `extends`: what the recipe means.
struct Scope {
  std::string recipeName;
  diag::SourceRange recipeNameRange;
  std::map<std::string, const ast::LetDecl*> lets;
  std::map<std::string, const ast::TokenizerDecl*> tokenizers;
  std::map<std::string, const ast::DatasetDecl*> datasets;
  std::map<std::string, const ast::MixtureDecl*> mixtures;
  std::map<std::string, const ast::ModelDecl*> models;
  std::map<std::string, const ast::Setting*> train;        // by key
  std::vector<std::string> trainOrder;                       // keys in first-seen order
  const ast::TrainDecl* trainDecl = nullptr;                 // the last train block seen
  std::vector<const ast::PhaseDecl*> phases;                 // in run order
  std::map<std::string, std::vector<size_t>> phaseSlots;     // name -> indices in `phases`
  std::vector<const ast::EvaluateDecl*> evaluations;
  const ast::CheckpointDecl* checkpoint = nullptr;
  std::vector<const ast::EventDecl*> events;
  std::map<std::string, const ast::Expr*> overrides;         // --set name -> value
};

class Program {
 public:
  Program();
  ~Program();

  diag::SourceManager& sources() { return sources_; }
  const diag::SourceManager& sources() const { return sources_; }
  diag::DiagnosticEngine& diags() { return diags_; }

  // Loads `path` and its imports. Returns false when a file could not be read or parsed
  // (diagnostics say why); the scope is then incomplete.
  bool load(const std::string& path, std::vector<std::string> setArgs = {});
  // Same, from text already in memory (tests, fuzzing, `recipec fmt -`).
  bool loadText(const std::string& path, std::string text, std::vector<std::string> setArgs = {});

  const ast::File* root() const { return root_; }
  const std::vector<std::unique_ptr<ast::File>>& files() const { return files_; }
  const Scope& scope() const { return scope_; }
  const std::vector<Override>& overrides() const { return overrides_; }
  // Files reached by `use` from `file`, resolved to their loaded ASTs.
  std::vector<const ast::File*> importsOf(const ast::File* file) const;
  // The file `file` extends, or nullptr.
  const ast::File* baseOf(const ast::File* file) const {
    auto it = bases_.find(file);
    return it == bases_.end() ? nullptr : it->second;
  }

  // The plan the last check resolved (compiler/mlir/Compile.h, checkResolves), so that a
  // command compiling after its checks does not run the pipeline a second time.
  std::optional<plan::Plan>& resolvedPlan() { return resolved_plan_; }

 private:
  std::optional<plan::Plan> resolved_plan_;
  const ast::File* loadFile(const std::string& path, diag::SourceRange importedAt,
                            std::vector<std::string>& stack);
  const ast::File* parseLoaded(const std::string& canonical, const std::string& display,
                               std::string text);
  void merge(const ast::File* file, Scope& into, bool local, bool everything);
  void parseOverrides(const std::vector<std::string>& setArgs);

  diag::SourceManager sources_;
  diag::DiagnosticEngine diags_;
  std::vector<std::unique_ptr<ast::File>> files_;
  std::map<std::string, const ast::File*> byPath_;     // canonical path -> file
  std::map<const ast::File*, std::vector<const ast::File*>> imports_;
  std::map<const ast::File*, const ast::File*> bases_;
  const ast::File* root_ = nullptr;
  Scope scope_;
  std::vector<Override> overrides_;
  std::vector<std::unique_ptr<ast::File>> overrideFiles_;
};

// Where a relative import is searched after the importing file's folder.
std::vector<std::string> searchRoots();

}  // namespace recipec::sema
