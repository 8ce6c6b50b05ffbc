// ExpandPresets.cpp — `expand-presets`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include <cmath>
#include <map>
#include <set>

#include "llvm/ADT/StringMap.h"
#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"

namespace recipec::ir {

#define GEN_PASS_DEF_EXPANDPRESETS
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

struct ExpandPresetsPass : impl::ExpandPresetsBase<ExpandPresetsPass> {
  void runOnOperation() override;
};

struct Field {
  Attribute value;
  Location loc;
};

class Expander {
 public:
  // Models by name, built once: a chain walk per model with a linear lookup per link was
  // quadratic in the number of models.
  explicit Expander(ModuleOp module) : module_(module) {
    for (ModelOp m : module.getBody()->getOps<ModelOp>()) models_.try_emplace(m.getName(), m);
  }

  // The explicit form of `model`, or failure after reporting why.
  LogicalResult expand(ModelOp model, DictionaryAttr& fieldsOut, StringAttr& archOut, StringAttr& presetOut,
                       Location& locOut) {
    SmallVector<ModelOp> chain{model};
    std::set<std::string> seen{model.getName().str()};
    while (auto base = llvm::dyn_cast<FlatSymbolRefAttr>(chain.back().getBase())) {
      auto found = models_.find(base.getValue());
      ModelOp next = found == models_.end() ? ModelOp() : found->second;
      if (!next)
        return chain.back().emitError() << "model " << quoted(chain.back().getName()) << " is based on unknown model "
                                        << quoted(base.getValue());
      if (!seen.insert(next.getName().str()).second) {
        std::string path;
        for (ModelOp m : chain) path += m.getName().str() + " -> ";
        return model.emitError() << "model " << quoted(model.getName()) << " is based on itself (" << path
                                 << next.getName() << ")";
      }
      chain.push_back(next);
    }
    ModelOp root = chain.back();  // the declaration based on the architecture
    StringRef arch = llvm::cast<StringAttr>(root.getBase()).getValue();
    bool gpt2 = arch == "gpt2";

    std::map<std::string, Field> fields;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      for (NamedAttribute f : it->getFields()) {
        Location at = partLoc(it->getLoc(), f.getName()).value_or(mainLoc(it->getLoc()));
        fields.insert_or_assign(f.getName().str(), Field{f.getValue(), at});
      }
    for (const char* required : {"layers", "d_model", "heads"})
      if (!fields.count(required))
        return model.emitError() << "model " << quoted(model.getName()) << " does not say its `" << required
                                 << "` (a " << arch << " model needs layers, d_model and heads)";

    MLIRContext* ctx = model.getContext();
    Location defaultLoc = mainLoc(root.getLoc());
    auto num = [&](const char* k) { return numberOf(fields.at(k).value).value_or(0); };
    auto setDefault = [&](const char* k, Attribute v) {
      if (!fields.count(k)) fields.emplace(k, Field{v, defaultLoc});
    };
    double dModel = num("d_model");
    setDefault("kv_heads", f64(ctx, num("heads")));
    setDefault("d_ff", f64(ctx, gpt2 ? 4 * dModel : 256 * std::ceil(8 * dModel / 3 / 256)));
    setDefault("vocab", f64(ctx, gpt2 ? 50257 : 32000));
    setDefault("ctx", f64(ctx, gpt2 ? 1024 : 2048));
    setDefault("norm_eps", f64(ctx, 1e-5));
    setDefault("rope_theta", f64(ctx, 10000));
    setDefault("init_std", f64(ctx, 0.02));
    setDefault("dropout", f64(ctx, 0));
    setDefault("tie_embeddings", BoolAttr::get(ctx, gpt2));

    NamedAttrList typed;
    std::vector<std::pair<std::string, Location>> parts;
    for (auto& [name, f] : fields) {
      Attribute v = f.value;
      bool isInt = llvm::is_contained({"layers", "d_model", "heads", "kv_heads", "d_ff", "vocab", "ctx"}, name);
      if (auto n = numberOf(v)) {
        if (isInt) {
          if (*n != std::floor(*n) || *n <= 0)
            return model.emitError() << "model " << quoted(model.getName()) << " field " << quoted(name) << " is "
                                     << formatNumber(*n) << " (need a positive whole number)";
          v = IntegerAttr::get(IntegerType::get(ctx, 64), static_cast<int64_t>(*n));
        } else {
          v = f64(ctx, *n);
        }
      }
      typed.set(name, v);
      parts.emplace_back(name, f.loc);
    }
    // Constants any declaration in the chain used (inline-constants recorded them).
    for (ModelOp m : chain)
      for (auto& [name, at] : partLocs(m.getLoc()))
        if (llvm::StringRef(name).starts_with("const ")) parts.emplace_back(name, at);
    fieldsOut = typed.getDictionary(ctx);
    archOut = StringAttr::get(ctx, arch);
    presetOut = root == model ? StringAttr() : root.getNameAttr();
    locOut = withPartLocs(mainLoc(model.getLoc()), parts);
    return success();
  }

 private:
  ModuleOp module_;
  llvm::StringMap<ModelOp> models_;
};

void ExpandPresetsPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  // Expand every model before changing any: a model's chain reads its bases as written.
  struct Result { ModelOp op; DictionaryAttr fields; StringAttr arch, preset; Location loc; };
  SmallVector<Result> results;
  bool ok = true;
  Expander expander(module);
  for (ModelOp m : module.getBody()->getOps<ModelOp>()) {
    if (m.getResolved()) continue;
    Result r{m, {}, {}, {}, m.getLoc()};
    if (failed(expander.expand(m, r.fields, r.arch, r.preset, r.loc))) { ok = false; continue; }
    results.push_back(r);
  }
  if (!ok) return signalPassFailure();
  for (Result& r : results) {
    r.op.setBaseAttr(r.arch);
    r.op.setFieldsAttr(r.fields);
    if (r.preset) r.op.setPresetAttr(r.preset);
    r.op.setResolved(true);
    r.op->setLoc(r.loc);
  }
}

}  // namespace

std::unique_ptr<Pass> createExpandPresetsPass() { return std::make_unique<ExpandPresetsPass>(); }

}  // namespace recipec::ir
