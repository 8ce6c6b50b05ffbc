// Loader.cpp — imports, `extends`, `--set`, and the merged scope (see Loader.h).
#include "compiler/sema/Loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/parse/Parser.h"

#ifndef RECIPEC_SOURCE_DIR
#define RECIPEC_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

namespace recipec::sema {

std::vector<std::string> searchRoots() {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("RECIPEC_PATH")) {
    std::stringstream ss(env);
    std::string part;
    while (std::getline(ss, part, ':'))
      if (!part.empty()) roots.push_back(part);
  }
  roots.push_back(RECIPEC_SOURCE_DIR);
  return roots;
}

Program::Program() : diags_(sources_) {}
Program::~Program() = default;

const ast::File* Program::parseLoaded(const std::string& canonical, const std::string& display,
                                      std::string text) {
  diag::FileId id = sources_.add(display, std::move(text));
  auto parsed = parse::parseFile(sources_, id, diags_);
  if (!parsed) return nullptr;
  files_.push_back(std::make_unique<ast::File>(std::move(*parsed)));
  const ast::File* f = files_.back().get();
  byPath_[canonical] = f;
  return f;
}

const ast::File* Program::loadFile(const std::string& path, diag::SourceRange importedAt,
                                   std::vector<std::string>& stack) {
  // Resolve: relative to the importing file, then the search roots.
  std::vector<fs::path> candidates;
  fs::path p(path);
  if (p.is_absolute() || !importedAt.valid()) {
    candidates.push_back(p);
  } else {
    candidates.push_back(fs::path(sources_.file(importedAt.file).path).parent_path() / p);
    for (const auto& root : searchRoots()) candidates.push_back(fs::path(root) / p);
  }
  fs::path found;
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) { found = c; break; }
  }
  if (found.empty()) {
    if (importedAt.valid()) {
      auto& d = diags_.error("E0350", "cannot find imported recipe `" + path + "`", importedAt,
                             "imported here");
      std::string where;
      for (const auto& c : candidates) where += (where.empty() ? "" : ", ") + c.lexically_normal().string();
      d.notes.push_back("looked in: " + where);
    } else {
      diags_.error("E0350", "cannot read recipe `" + path + "`: no such file", {});
    }
    return nullptr;
  }
  std::error_code ec;
  std::string canonical = fs::weakly_canonical(found, ec).string();
  if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
    std::string chain;
    auto start = std::find(stack.begin(), stack.end(), canonical);
    for (auto it = start; it != stack.end(); ++it) chain += fs::path(*it).filename().string() + " -> ";
    chain += fs::path(canonical).filename().string();
    auto& d = diags_.error("E0351", "import cycle: " + chain, importedAt, "this import closes the cycle");
    d.help = "move the shared declarations into a file that neither imports";
    return nullptr;
  }
  if (auto it = byPath_.find(canonical); it != byPath_.end()) return it->second;

  std::string text;
  if (!diag::readFile(found.string(), text, diag::kMaxRecipeBytes + 1)) {
    diags_.error("E0350", "cannot read recipe `" + found.string() + "`", importedAt);
    return nullptr;
  }
  std::string display = found.lexically_normal().string();
  const ast::File* file = parseLoaded(canonical, display, std::move(text));
  if (!file) return nullptr;

  stack.push_back(canonical);
  std::vector<const ast::File*> deps;
  if (file->extends)
    if (const ast::File* base = loadFile(*file->extends, file->extendsRange, stack)) bases_[file] = base;
  for (const auto& item : file->items)
    if (item.kind == ast::Item::Kind::Use)
      if (const ast::File* dep = loadFile(item.use->path, item.use->pathRange, stack)) deps.push_back(dep);
  stack.pop_back();
  imports_[file] = deps;
  return file;
}

std::vector<const ast::File*> Program::importsOf(const ast::File* file) const {
  auto it = imports_.find(file);
  return it == imports_.end() ? std::vector<const ast::File*>{} : it->second;
}

// Adds `file`'s declarations to `into`. `local` declarations override what is already there
// (the file being merged wins); `everything` also takes train/phases/evaluate/checkpoint/events
// (for the root and `extends` bases; `use` imports only named declarations).
void Program::merge(const ast::File* file, Scope& into, bool local, bool everything) {
  // The `extends` base first, so the file's own declarations override it.
  if (auto it = bases_.find(file); it != bases_.end()) merge(it->second, into, true, true);
  // `use` imports: named declarations only; two imports with one name is ambiguous.
  Scope imported;
  for (const ast::File* dep : importsOf(file)) {
    Scope one;
    merge(dep, one, true, false);
    auto addAll = [&](auto& dst, const auto& src, const char* kind) {
      for (const auto& [name, decl] : src) {
        auto [it, fresh] = dst.emplace(name, decl);
        if (!fresh && it->second != decl) {
          auto& d = diags_.error("E0210", std::string("`") + name + "` is declared by two imports",
                                 decl->name.range, std::string("this ") + kind + " `" + name + "`");
          d.secondary.push_back({it->second->name.range, "and this one"});
          d.help = "rename one of them or import only one file";
        }
      }
    };
    addAll(imported.lets, one.lets, "constant");
    addAll(imported.tokenizers, one.tokenizers, "tokenizer");
    addAll(imported.datasets, one.datasets, "dataset");
    addAll(imported.mixtures, one.mixtures, "mixture");
    addAll(imported.models, one.models, "model");
  }
  for (auto& [k, v] : imported.lets) into.lets.emplace(k, v);
  for (auto& [k, v] : imported.tokenizers) into.tokenizers.emplace(k, v);
  for (auto& [k, v] : imported.datasets) into.datasets.emplace(k, v);
  for (auto& [k, v] : imported.mixtures) into.mixtures.emplace(k, v);
  for (auto& [k, v] : imported.models) into.models.emplace(k, v);

  if (file->recipeName && everything) {
    into.recipeName = *file->recipeName;
    into.recipeNameRange = file->recipeNameRange;
  }
  auto put = [&](auto& map, const std::string& name, auto* decl) {
    if (local) map[name] = decl; else map.emplace(name, decl);
  };
  for (const auto& item : file->items) {
    using K = ast::Item::Kind;
    switch (item.kind) {
      case K::Use: break;
      case K::Let: put(into.lets, item.let->name.name, item.let.get()); break;
      case K::Tokenizer: put(into.tokenizers, item.tokenizer->name.name, item.tokenizer.get()); break;
      case K::Dataset: put(into.datasets, item.dataset->name.name, item.dataset.get()); break;
      case K::Mixture: put(into.mixtures, item.mixture->name.name, item.mixture.get()); break;
      case K::Model: put(into.models, item.model->name.name, item.model.get()); break;
      case K::Train:
        if (!everything) break;
        into.trainDecl = item.train.get();
        for (const auto& s : item.train->settings) {
          if (!into.train.count(s.key.name)) into.trainOrder.push_back(s.key.name);
          into.train[s.key.name] = &s;
        }
        break;
      case K::Phase: {
        if (!everything) break;
        bool replaced = false;
        auto& slots = into.phaseSlots[item.phase->name.name];  // by name: linear in the phases
        for (size_t i : slots) {
          auto& p = into.phases[i];
          if (p != item.phase.get()) {
            // Same file twice is a duplicate (reported by the checks); across extends an override.
            if (sources_.file(p->range.file).path != sources_.file(item.phase->range.file).path) {
              p = item.phase.get();
              replaced = true;
            }
          }
        }
        if (!replaced) {
          slots.push_back(into.phases.size());
          into.phases.push_back(item.phase.get());
        }
        break;
      }
      case K::Evaluate: {
        if (!everything) break;
        bool replaced = false;
        for (auto& e : into.evaluations)
          if (e->target.name == item.evaluate->target.name && e->metric.name == item.evaluate->metric.name) {
            e = item.evaluate.get();
            replaced = true;
          }
        if (!replaced) into.evaluations.push_back(item.evaluate.get());
        break;
      }
      case K::Checkpoint:
        if (everything) into.checkpoint = item.checkpoint.get();
        break;
      case K::Event: {
        if (!everything) break;
        auto key = [](const ast::EventDecl* e) {
          return e->named ? e->named->name : e->condition ? e->condition->metric.name : std::string();
        };
        bool replaced = false;
        for (auto& e : into.events)
          if (key(e) == key(item.event.get())) { e = item.event.get(); replaced = true; }
        if (!replaced) into.events.push_back(item.event.get());
        break;
      }
    }
  }
}

void Program::parseOverrides(const std::vector<std::string>& setArgs) {
  for (const auto& arg : setArgs) {
    auto eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    std::string text = "let " + name + " = " + (eq == std::string::npos ? "" : arg.substr(eq + 1)) + "\n";
    diag::FileId id = sources_.add("<--set " + arg + ">", text);
    if (eq == std::string::npos || name.empty()) {
      auto& d = diags_.error("E0390", "`--set " + arg + "` is not of the form name=value",
                             diag::SourceRange{id, 1, 1, 1, (uint32_t)text.size()});
      d.help = "write it as `--set lr=3e-4`";
      continue;
    }
    // A value that is not an expression but has no quotes is taken as a string, so
    // `--set base=runs/a/model.safetensors` works as a user would type it (a wrong number
    // then reads as a string and gets a type error naming the constant).
    const std::string value = arg.substr(eq + 1);
    if (value.find('"') == std::string::npos) {
      diag::DiagnosticEngine probe(sources_);
      if (!parse::parseFile(sources_, id, probe) || probe.errorCount() > 0) {
        text = "let " + name + " = \"" + value + "\"\n";
        id = sources_.add("<--set " + arg + ">", text);
      }
    }
    auto parsed = parse::parseFile(sources_, id, diags_);
    if (!parsed || parsed->items.size() != 1 || parsed->items[0].kind != ast::Item::Kind::Let) continue;
    overrideFiles_.push_back(std::make_unique<ast::File>(std::move(*parsed)));
    const ast::LetDecl* let = overrideFiles_.back()->items[0].let.get();
    overrides_.push_back(Override{name, let->value->clone(), let->name.range});
  }
}

bool Program::load(const std::string& path, std::vector<std::string> setArgs) {
  std::vector<std::string> stack;
  size_t before = diags_.errorCount();
  root_ = loadFile(path, {}, stack);
  if (!root_) return false;
  merge(root_, scope_, true, true);
  parseOverrides(setArgs);
  for (const auto& o : overrides_) scope_.overrides[o.name] = o.value.get();
  return diags_.errorCount() == before;
}

bool Program::loadText(const std::string& path, std::string text, std::vector<std::string> setArgs) {
  size_t before = diags_.errorCount();
  std::error_code ec;
  std::string canonical = fs::weakly_canonical(fs::path(path), ec).string();
  root_ = parseLoaded(canonical, path, std::move(text));
  if (!root_) return false;
  std::vector<std::string> stack{canonical};
  std::vector<const ast::File*> deps;
  if (root_->extends)
    if (const ast::File* base = loadFile(*root_->extends, root_->extendsRange, stack)) bases_[root_] = base;
  for (const auto& item : root_->items)
    if (item.kind == ast::Item::Kind::Use)
      if (const ast::File* dep = loadFile(item.use->path, item.use->pathRange, stack)) deps.push_back(dep);
  imports_[root_] = deps;
  merge(root_, scope_, true, true);
  parseOverrides(setArgs);
  for (const auto& o : overrides_) scope_.overrides[o.name] = o.value.get();
  return diags_.errorCount() == before;
}

}  // namespace recipec::sema
