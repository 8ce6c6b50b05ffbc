// ResolveImports.cpp — `resolve-imports`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include <map>
#include <vector>

#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"

namespace recipec::ir {

#define GEN_PASS_DEF_RESOLVEIMPORTS
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct ResolveImportsPass : impl::ResolveImportsBase<ResolveImportsPass> {
  void runOnOperation() override;
};

enum Kind { kLet, kTokenizer, kDataset, kMixture, kModel, kKinds };
const char* const kKindNames[] = {"constant", "tokenizer", "dataset", "mixture", "model"};

int kindOf(Operation* op) {
  if (llvm::isa<LetOp>(op)) return kLet;
  if (llvm::isa<TokenizerOp>(op)) return kTokenizer;
  if (llvm::isa<DatasetOp>(op)) return kDataset;
  if (llvm::isa<MixtureOp>(op)) return kMixture;
  if (llvm::isa<ModelOp>(op)) return kModel;
  return -1;
}

struct Scope {
  std::map<std::string, Operation*> named[kKinds];
  std::vector<std::string> trainOrder;
  std::map<std::string, SettingOp> train;
  TrainOp trainBlock;
  std::vector<PhaseOp> phases;
  std::vector<EvaluateOp> evaluations;
  CheckpointOp checkpoint;
  std::vector<EventOp> events;
  std::optional<std::string> recipeName;
};

std::string eventKey(EventOp e) {
  return e.getWhen() ? e.getWhenAttr().getMetric().str() : e.getTrigger().str();
}

class Merger {
 public:
  explicit Merger(ModuleOp module) {
    for (FileOp f : module.getBody()->getOps<FileOp>()) files_[f.getPath().str()] = f;
  }

  FileOp file(llvm::StringRef path, Operation* user) {
    auto it = files_.find(path.str());
    if (it != files_.end()) return it->second;
    user->emitError() << "imported file " << quoted(path) << " is not in the module";
    failed_ = true;
    return nullptr;
  }

  // Adds `f`'s declarations to `into`; `everything` also takes train, phases and policies
  // (the root and `extends` bases; `use` brings only named declarations).
  void merge(FileOp f, Scope& into, bool everything, Operation* importedBy) {
    std::string path = f.getPath().str();
    if (llvm::is_contained(stack_, path)) {
      std::string chain;
      for (auto it = llvm::find(stack_, path); it != stack_.end(); ++it) chain += *it + " -> ";
      (importedBy ? importedBy : f.getOperation())->emitError() << "import cycle: " << chain << path;
      failed_ = true;
      return;
    }
    stack_.push_back(path);
    if (auto base = f.getExtends())
      if (FileOp b = file(*base, f)) merge(b, into, true, f);

    Scope imported;
    for (ImportOp imp : bodyBlock(f.getBody()).getOps<ImportOp>()) {
      FileOp dep = file(imp.getPath(), imp);
      if (!dep) continue;
      Scope one;
      merge(dep, one, false, imp);
      for (int k = 0; k < kKinds; ++k)
        for (auto& [name, op] : one.named[k]) {
          auto [it, fresh] = imported.named[k].emplace(name, op);
          if (!fresh && it->second != op) {
            auto d = op->emitError() << quoted(name) << " is declared by two imports (" << kKindNames[k] << ")";
            d.attachNote(it->second->getLoc()) << "and this one";
            failed_ = true;
          }
        }
    }
    for (int k = 0; k < kKinds; ++k)
      for (auto& [name, op] : imported.named[k]) into.named[k].emplace(name, op);

    if (everything && f.getRecipeName()) into.recipeName = f.getRecipeName()->str();
    for (Operation& op : bodyBlock(f.getBody())) takeLocal(&op, f, into, everything);
    stack_.pop_back();
  }

  bool failed() const { return failed_; }

 private:
  void takeLocal(Operation* op, FileOp f, Scope& into, bool everything) {
    if (int k = kindOf(op); k >= 0) {
      into.named[k][declName(op).str()] = op;
      return;
    }
    if (!everything) return;
    if (auto train = llvm::dyn_cast<TrainOp>(op)) {
      into.trainBlock = train;
      for (SettingOp s : bodyBlock(train.getBody()).getOps<SettingOp>()) {
        if (!into.train.count(s.getKey().str())) into.trainOrder.push_back(s.getKey().str());
        into.train[s.getKey().str()] = s;
      }
    } else if (auto phase = llvm::dyn_cast<PhaseOp>(op)) {
      for (PhaseOp& p : into.phases) {
        if (p.getName() != phase.getName()) continue;
        if (p->getParentOp() == f.getOperation()) {
          auto d = phase.emitError() << "phase " << quoted(phase.getName()) << " is declared twice";
          d.attachNote(p.getLoc()) << "first declared here";
          failed_ = true;
        }
        p = phase;  // an override keeps the overridden phase's place in the run
        return;
      }
      into.phases.push_back(phase);
    } else if (auto ev = llvm::dyn_cast<EvaluateOp>(op)) {
      for (EvaluateOp& e : into.evaluations)
        if (e.getMetric() == ev.getMetric() && e.getDataset() == ev.getDataset() && e.getSplit() == ev.getSplit()) {
          e = ev;
          return;
        }
      into.evaluations.push_back(ev);
    } else if (auto ck = llvm::dyn_cast<CheckpointOp>(op)) {
      into.checkpoint = ck;
    } else if (auto event = llvm::dyn_cast<EventOp>(op)) {
      for (EventOp& e : into.events)
        if (eventKey(e) == eventKey(event)) {
          e = event;
          return;
        }
      into.events.push_back(event);
    }
  }

  std::map<std::string, FileOp> files_;
  std::vector<std::string> stack_;
  bool failed_ = false;
};

void ResolveImportsPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<FileOp> files(module.getBody()->getOps<FileOp>());
  if (files.empty()) return;  // already merged
  FileOp root;
  for (FileOp f : files)
    if (f.getRoot()) {
      if (root) {
        f.emitError() << "two root files: " << quoted(root.getPath()) << " and " << quoted(f.getPath());
        return signalPassFailure();
      }
      root = f;
    }
  if (!root) {
    files.front().emitError() << "no recipe.file is marked `root`";
    return signalPassFailure();
  }

  Merger merger(module);
  Scope scope;
  merger.merge(root, scope, true, nullptr);
  if (merger.failed()) return signalPassFailure();

  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  for (int k = 0; k < kKinds; ++k)
    for (auto& [name, op] : scope.named[k]) b.clone(*op);
  if (scope.trainBlock) {
    auto train = b.create<TrainOp>(scope.trainBlock.getLoc());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(&bodyBlock(train.getBody()));
    for (const auto& key : scope.trainOrder) b.clone(*scope.train[key]);
  }
  for (PhaseOp p : scope.phases) b.clone(*p);
  for (EvaluateOp e : scope.evaluations) b.clone(*e);
  if (scope.checkpoint) b.clone(*scope.checkpoint);
  for (EventOp e : scope.events) b.clone(*e);

  if (scope.recipeName) module->setAttr("recipe.name", b.getStringAttr(*scope.recipeName));
  module->setAttr("recipe.path", root.getPathAttr());
  for (FileOp f : files) f.erase();
}

}  // namespace

std::unique_ptr<Pass> createResolveImportsPass() { return std::make_unique<ResolveImportsPass>(); }

}  // namespace recipec::ir
