// Constants.cpp — `apply-overrides` and `inline-constants`. What they do and what they need
// from the passes before are their descriptions in compiler/mlir/Passes.td (docs/passes.md).
#include <map>
#include <set>

#include "compiler/diag/Source.h"
#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"
#include "mlir/IR/AttrTypeSubElements.h"

namespace recipec::ir {

#define GEN_PASS_DEF_APPLYOVERRIDES
#define GEN_PASS_DEF_INLINECONSTANTS
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct ApplyOverridesPass : impl::ApplyOverridesBase<ApplyOverridesPass> {
  void runOnOperation() override;
};
struct InlineConstantsPass : impl::InlineConstantsBase<InlineConstantsPass> {
  void runOnOperation() override;
};

void ApplyOverridesPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  bool ok = true;
  for (OverrideOp o : llvm::make_early_inc_range(module.getBody()->getOps<OverrideOp>())) {
    LetOp let = lookup<LetOp>(module.getBody(), o.getName());
    if (!let) {
      std::vector<std::string> names;
      for (LetOp l : module.getBody()->getOps<LetOp>()) names.push_back(l.getName().str());
      auto d = o.emitError() << "`--set " << o.getName() << "`: the recipe declares no constant " << quoted(o.getName());
      std::string guess = diag::nearest(o.getName().str(), names);
      if (!guess.empty()) d << " (did you mean " << quoted(guess) << "?)";
      ok = false;
      continue;
    }
    let.setValueAttr(o.getValue());
    let->setLoc(o.getLoc());
    o.erase();
  }
  if (!ok) signalPassFailure();
}

class Inliner {
 public:
  explicit Inliner(ModuleOp module) {
    for (LetOp l : module.getBody()->getOps<LetOp>()) lets_[l.getName().str()] = l;
  }

  // The value of constant `name`, itself free of constants; null after reporting an error.
  Attribute valueOf(llvm::StringRef name, Operation* user) {
    if (auto it = resolved_.find(name.str()); it != resolved_.end()) return it->second;
    if (failed_.count(name.str())) return {};  // reported once, where it was found
    auto let = lets_.find(name.str());
    if (let == lets_.end()) {
      user->emitError() << "unknown constant " << quoted(name);
      return {};
    }
    if (!visiting_.insert(name.str()).second) {
      let->second.emitError() << "constant " << quoted(name) << " is defined in terms of itself";
      failed_.insert(name.str());
      return {};
    }
    Attribute v = substitute(let->second.getValue(), let->second);
    visiting_.erase(name.str());
    if (v) resolved_[name.str()] = v;
    else failed_.insert(name.str());
    return v;
  }

  // `a` with every constant replaced; null after reporting an error. The names of the
  // constants it used are added to `used`.
  Attribute substitute(Attribute a, Operation* user, std::set<std::string>* used = nullptr) {
    bool failed = false;
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](ConstRefAttr c) -> std::optional<Attribute> {
      Attribute v = valueOf(c.getName().getValue(), user);
      if (!v) failed = true;
      if (used) used->insert(c.getName().getValue().str());
      return v ? v : Attribute(c);
    });
    Attribute out = replacer.replace(a);
    return failed ? Attribute() : out;
  }

  // Inlines the constants `op` uses and records each in its location (a part named
  // "const NAME" at the constant's declaration): `recipec diff` points an ablation that
  // changes a constant at the constant, not only at the rule that uses it.
  bool inlineInto(Operation* op) {
    bool ok = true;
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    std::set<std::string> used;
    for (NamedAttribute& na : attrs) {
      Attribute v = substitute(na.getValue(), op, &used);
      if (!v) { ok = false; continue; }
      na.setValue(v);
    }
    if (used.empty()) return ok;
    op->setAttrs(DictionaryAttr::get(op->getContext(), attrs));
    Location loc = op->getLoc();
    for (const std::string& name : used)
      if (auto let = lets_.find(name); let != lets_.end()) loc = addPartLoc(loc, "const " + name, let->second.getLoc());
    op->setLoc(loc);
    return ok;
  }

  std::map<std::string, LetOp> lets_;

 private:
  std::map<std::string, Attribute> resolved_;
  std::set<std::string> visiting_;
  std::set<std::string> failed_;
};

void InlineConstantsPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  Inliner inliner(module);
  bool ok = true;
  for (auto& [name, let] : inliner.lets_) {
    Attribute v = inliner.valueOf(name, let);
    if (!v) { ok = false; continue; }
    let.setValueAttr(v);
  }
  module.walk([&](Operation* op) {
    if (!llvm::isa<LetOp>(op) && !inliner.inlineInto(op)) ok = false;
  });
  if (!ok) signalPassFailure();
}

}  // namespace

std::unique_ptr<Pass> createApplyOverridesPass() { return std::make_unique<ApplyOverridesPass>(); }
std::unique_ptr<Pass> createInlineConstantsPass() { return std::make_unique<InlineConstantsPass>(); }

}  // namespace recipec::ir
