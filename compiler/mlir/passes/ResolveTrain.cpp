// ResolveTrain.cpp — `resolve-train`. What it does and what it needs from the passes
// before is the pass description in compiler/mlir/Passes.td (docs/passes.md).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "compiler/mlir/Passes.h"
#include "compiler/mlir/passes/PassUtil.h"

namespace recipec::ir {

#define GEN_PASS_DEF_RESOLVETRAIN
#include "RecipePasses.h.inc"

using namespace mlir;

namespace {

// A derived rate without float noise: 10% of 6e-4 is 6e-5, not 5.9999999999999995e-05.
double tidy(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}

struct ResolveTrainPass : impl::ResolveTrainBase<ResolveTrainPass> {
  void runOnOperation() override;
};

class TrainReader {
 public:
  explicit TrainReader(TrainOp train) : train_(train) {
    for (SettingOp s : bodyBlock(train.getBody()).getOps<SettingOp>()) settings_[s.getKey().str()] = s;
  }

  SettingOp setting(llvm::StringRef key) {
    auto it = settings_.find(key.str());
    return it == settings_.end() ? nullptr : it->second;
  }

  Operation* at(llvm::StringRef key) {
    SettingOp s = setting(key);
    return s ? s.getOperation() : train_.getOperation();
  }

  // A whole number >= `min`; failure after reporting.
  FailureOr<int64_t> whole(llvm::StringRef key, int64_t min, std::optional<int64_t> dflt) {
    SettingOp s = setting(key);
    if (!s) {
      if (dflt) return *dflt;
      return train_.emitError() << "the train block has no `" << key << "`";
    }
    auto n = numberOf(s.getValue());
    if (!n || *n != std::floor(*n) || *n < min)
      return s.emitError() << "`" << key << "` is " << valueText(s.getValue()) << " (need a whole number >= " << min
                           << ")";
    return static_cast<int64_t>(*n);
  }

  FailureOr<double> number(Attribute v, Operation* at, llvm::StringRef what, double dflt) {
    if (!v) return dflt;
    auto n = numberOf(v);
    if (!n) return at->emitError() << what << " must be a number, found " << valueText(v);
    return *n;
  }

  FailureOr<CallAttr> call(llvm::StringRef key) {
    SettingOp s = setting(key);
    if (!s) return CallAttr();
    auto c = llvm::dyn_cast<CallAttr>(s.getValue());
    if (!c) return s.emitError() << "`" << key << "` must be a call like " << (key == "optimizer" ? "adamw(lr = 6e-4)" : "cosine(warmup = 200 steps)");
    return c;
  }

  std::vector<std::pair<std::string, Location>> parts() {
    std::vector<std::pair<std::string, Location>> out;
    for (auto& [key, s] : settings_) out.emplace_back(key, s.getLoc());
    return out;
  }

 private:
  TrainOp train_;
  std::map<std::string, SettingOp> settings_;
};

LogicalResult resolve(TrainOp train) {
  MLIRContext* ctx = train.getContext();
  OpBuilder b(train);
  TrainReader r(train);

  SettingOp modelSetting = r.setting("model");
  if (!modelSetting) return train.emitError() << "the train block has no `model`";
  auto model = llvm::dyn_cast<FlatSymbolRefAttr>(modelSetting.getValue());
  if (!model) return modelSetting.emitError() << "`model` must name a model, found " << valueText(modelSetting.getValue());

  auto seqLen = r.whole("seq_len", 1, std::nullopt);
  if (failed(seqLen)) return failure();

  SettingOp batchSetting = r.setting("batch");
  if (!batchSetting) return train.emitError() << "the train block has no `batch`";
  int64_t batch = 0;
  if (auto tokens = llvm::dyn_cast<QuantityAttr>(batchSetting.getValue())) {
    double t = tokens.getNumber();
    if (tokens.getUnit() != "tokens" || t <= 0 || std::fmod(t, static_cast<double>(*seqLen)) != 0)
      return batchSetting.emitError() << "`batch` of " << quantityText(tokens) << " is not a whole number of "
                                      << *seqLen << "-token sequences";
    batch = static_cast<int64_t>(t / static_cast<double>(*seqLen));
  } else {
    auto n = r.whole("batch", 1, std::nullopt);
    if (failed(n)) return failure();
    batch = *n;
  }
  auto micro = r.whole("micro_batch", 1, batch);
  auto seed = r.whole("seed", 0, 0);
  if (failed(micro) || failed(seed)) return failure();

  // Optimizer.
  auto opt = r.call("optimizer");
  if (failed(opt)) return failure();
  if (!*opt) return train.emitError() << "the train block has no `optimizer`";
  DictionaryAttr oargs = opt->getArgs();
  Operation* optAt = r.at("optimizer");
  if (!oargs.get("lr")) return optAt->emitError() << "`" << opt->getCallee().getValue() << "` needs a learning rate (lr)";
  auto lr = r.number(oargs.get("lr"), optAt, "`lr`", 0);
  auto wd = r.number(oargs.get("weight_decay"), optAt, "`weight_decay`", 0.0);
  auto eps = r.number(oargs.get("eps"), optAt, "`eps`", 1e-8);
  if (failed(lr) || failed(wd) || failed(eps)) return failure();
  double beta1 = 0.9, beta2 = 0.95;
  if (Attribute betas = oargs.get("betas")) {
    auto arr = llvm::dyn_cast<ArrayAttr>(betas);
    auto b1 = arr && arr.size() == 2 ? numberOf(arr[0]) : std::nullopt;
    auto b2 = arr && arr.size() == 2 ? numberOf(arr[1]) : std::nullopt;
    if (!b1 || !b2) return optAt->emitError() << "`betas` must be a pair like (0.9, 0.95), found " << valueText(betas);
    beta1 = *b1;
    beta2 = *b2;
  }
  double gradClip = 1.0;
  if (SettingOp gc = r.setting("grad_clip")) {
    auto n = r.number(gc.getValue(), gc, "`grad_clip`", 1.0);
    if (failed(n)) return failure();
    gradClip = *n;
  }

  // Schedule.
  auto sched = r.call("schedule");
  if (failed(sched)) return failure();
  std::string kind = *sched ? sched->getCallee().str() : "constant";
  DictionaryAttr sargs = *sched ? sched->getArgs() : DictionaryAttr::get(ctx);
  Operation* schedAt = r.at("schedule");
  auto quantity = [&](llvm::StringRef key, QuantityAttr dflt) -> FailureOr<QuantityAttr> {
    Attribute v = sargs.get(key);
    if (!v) return dflt;
    auto q = llvm::dyn_cast<QuantityAttr>(v);
    if (!q) return schedAt->emitError() << "`" << key << "` needs a unit (steps, tokens or %), found " << valueText(v);
    return q;
  };
  auto warmup = quantity("warmup", QuantityAttr::get(ctx, 0, "steps"));
  auto decay = quantity("decay", kind == "wsd" ? QuantityAttr::get(ctx, 10, "percent") : QuantityAttr());
  if (failed(warmup) || failed(decay)) return failure();
  double minLr = 0;
  if (Attribute v = sargs.get("min_lr")) {
    auto pct = llvm::dyn_cast<QuantityAttr>(v);
    if (pct && pct.getUnit() == "percent") {
      minLr = tidy(*lr * (pct.getNumber() / 100));  // lr * pct first would overflow near 1e308
    } else {
      auto n = r.number(v, schedAt, "`min_lr`", 0);
      if (failed(n)) return failure();
      minLr = *n;
    }
  }

  std::string precision = "fp32";
  if (SettingOp p = r.setting("precision")) {
    auto s = llvm::dyn_cast<StringAttr>(p.getValue());
    if (!s) return p.emitError() << "`precision` must be fp32 or bf16, found " << valueText(p.getValue());
    precision = s.str();
  }
  StringAttr init;
  if (SettingOp i = r.setting("init")) {
    init = llvm::dyn_cast<StringAttr>(i.getValue());
    if (!init) return i.emitError() << "`init from` needs a file name, found " << valueText(i.getValue());
  }

  QuantityAttr total;
  if (SettingOp t = r.setting("total")) {
    total = llvm::dyn_cast<QuantityAttr>(t.getValue());
    if (!total || (total.getUnit() != "steps" && total.getUnit() != "tokens" && total.getUnit() != "epochs"))
      return t.emitError() << "`total` needs steps, tokens or epochs, found " << valueText(t.getValue());
  }

  auto config = b.create<TrainConfigOp>(
      withPartLocs(train.getLoc(), r.parts()), model, b.getI64IntegerAttr(*seqLen), b.getI64IntegerAttr(batch),
      b.getI64IntegerAttr(*micro), b.getStringAttr(opt->getCallee().getValue()), f64(ctx, *lr), f64(ctx, beta1),
      f64(ctx, beta2), f64(ctx, *eps), f64(ctx, *wd), f64(ctx, gradClip), b.getStringAttr(kind), *warmup,
      f64(ctx, minLr), *decay, b.getStringAttr(precision), b.getI64IntegerAttr(*seed), init,
      total, b.getI64IntegerAttr(-1));
  (void)config;
  train.erase();
  return success();
}

void ResolveTrainPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(requireMerged(module, getArgument()))) return signalPassFailure();
  for (TrainOp t : llvm::make_early_inc_range(module.getBody()->getOps<TrainOp>()))
    if (failed(resolve(t))) return signalPassFailure();
}

}  // namespace

std::unique_ptr<Pass> createResolveTrainPass() { return std::make_unique<ResolveTrainPass>(); }

}  // namespace recipec::ir
