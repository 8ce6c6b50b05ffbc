// PlanEmitter.cpp — resolved IR -> plan::Plan (see PlanEmitter.h, docs/plan.md).
#include "compiler/mlir/PlanEmitter.h"

#include "compiler/mlir/Dialect.h"
#include "compiler/plantools/PlanPaths.h"
#include "compiler/mlir/passes/PassUtil.h"
#include "llvm/ADT/StringSwitch.h"

namespace recipec::ir {

using namespace mlir;
namespace pp = recipec::planpath;

namespace {

// Tokenizers whose sizes the compiler knows; a sentencepiece model's are in its file
// (0 / -1: the runtime reads them).
std::pair<int64_t, int64_t> tokenizerSizes(llvm::StringRef kind) {
  if (kind == "gpt2_bpe") return {50257, 50256};
  if (kind == "bytes") return {257, 256};
  return {0, -1};
}

// Recipe model field -> Plan.h field.
const char* planField(llvm::StringRef f) {
  return llvm::StringSwitch<const char*>(f)
      .Case("layers", "n_layer").Case("heads", "n_head").Case("kv_heads", "n_kv_head").Case("vocab", "vocab_size")
      .Case("ctx", "max_seq_len").Default(nullptr);
}

// A running-window length for sigma thresholds written without `over`: explicit in the plan.
constexpr int64_t kDefaultSigmaWindow = 100;

class Emitter {
 public:
  Emitter(ModuleOp module, plan::Plan& p) : module_(module), p_(p) {}

  // "file:line:col", the file relative to base_dir when it lies under it (the standard
  // library's files are found by absolute path; `stdlib/lfr.recipe:28:5` reads better).
  std::string where(Location loc) const {
    std::string s = locString(loc);
    const std::string& base = p_.base_dir;
    if (!base.empty() && s.size() > base.size() + 1 && s.compare(0, base.size(), base) == 0 && s[base.size()] == '/')
      return s.substr(base.size() + 1);
    return s;
  }

  LogicalResult run() {
    TrainConfigOp train = trainConfig(module_);
    // A file without a train block passes `check` as a library for `use`; only a plan needs one.
    if (!train)
      return module_.emitError() << "[E0380] this file has no `train` block, so there is nothing to run: "
                                    "a file without one is a library for `use`";
    tokensPerStep_ = static_cast<int64_t>(train.getBatchSeqs() * train.getSeqLen());
    if (auto name = module_->getAttrOfType<StringAttr>("recipe.name")) p_.recipe_name = name.str();
    if (auto path = module_->getAttrOfType<StringAttr>("recipe.path")) p_.recipe_path = path.str();

    Block* body = module_.getBody();
    for (LetOp l : body->getOps<LetOp>()) {
      p_.constants[l.getName().str()] = valueText(l.getValue());
      source(pp::constant(l.getName().str()), l.getLoc());
    }
    for (TokenizerOp t : body->getOps<TokenizerOp>()) tokenizer(t);
    for (DatasetOp d : body->getOps<DatasetOp>()) dataset(d);
    for (ModelOp m : body->getOps<ModelOp>())
      if (failed(model(m, train))) return failure();
    emitTrain(train);
    for (PhaseOp ph : body->getOps<PhaseOp>()) phase(ph);
    if (p_.phases.empty())
      return module_.emitError() << "[E0380] this file has no phases, so there is nothing to run: "
                                    "a file without one is a library for `use`";
    for (EvaluateOp e : body->getOps<EvaluateOp>()) evaluate(e, train);
    for (CheckpointOp c : body->getOps<CheckpointOp>()) {
      if (QuantityAttr every = c.getEveryAttr()) p_.checkpoint.every = quantity(every);
      p_.checkpoint.keep = c.getKeep() ? static_cast<int64_t>(*c.getKeep()) : 0;
      source(pp::kCheckpoint, c.getLoc());
    }
    for (EventOp e : body->getOps<EventOp>()) {
      plan::Event ev;
      ev.on = e.getTrigger().str();
      if (ConditionAttr c = e.getWhenAttr()) ev.when = condition(c);
      ev.action = e.getAction().str();
      source(pp::event(ev.on), e.getLoc());
      p_.events.push_back(ev);
    }
    return success();
  }

 private:
  void source(const std::string& path, Location loc) {
    std::string s = where(loc);
    if (!s.empty()) p_.sources[path] = s;
    uses(path, loc);
  }

  // The constants an entity's values came from (inline-constants records them as location
  // parts): "PATH / uses constant NAME" -> where NAME is declared.
  void uses(const std::string& path, Location loc) {
    for (auto& [name, at] : partLocs(loc))
      if (llvm::StringRef(name).starts_with("const ")) {
        std::string s = where(at);
        if (!s.empty()) p_.sources[path + " / uses constant " + name.substr(6)] = s;
      }
  }

  plan::Quantity quantity(QuantityAttr q) {
    plan::Quantity out;
    out.value = q.getNumber();
    out.unit = q.getUnit().str();
    out.steps = q.getSteps();
    return out;
  }

  void tokenizer(TokenizerOp t) {
    plan::Tokenizer out;
    out.name = t.getName().str();
    out.kind = t.getKind().str();
    if (auto path = llvm::dyn_cast_or_null<StringAttr>(t.getArgs().get("path"))) out.path = path.str();
    std::tie(out.vocab_size, out.eot_id) = tokenizerSizes(out.kind);
    source(pp::tokenizer(out.name), t.getLoc());
    p_.tokenizers.push_back(out);
  }

  void dataset(DatasetOp d) {
    plan::Dataset out;
    out.name = d.getName().str();
    out.kind = d.getKind().str();
    if (auto paths = llvm::dyn_cast_or_null<ArrayAttr>(d.getArgs().get("paths")))
      for (Attribute a : paths)
        if (auto s = llvm::dyn_cast<StringAttr>(a)) out.paths.push_back(s.str());
    if (auto tok = llvm::dyn_cast_or_null<FlatSymbolRefAttr>(d.getArgs().get("tokenizer"))) out.tokenizer = tok.getValue().str();
    if (auto field = llvm::dyn_cast_or_null<StringAttr>(d.getArgs().get("field"))) out.json_field = field.str();
    if (auto f = d.getSplitFraction()) out.val_fraction = f->convertToDouble();
    if (auto vp = llvm::dyn_cast_or_null<ArrayAttr>(d.getArgs().get("val_paths")))
      for (Attribute a : vp)
        if (auto s = llvm::dyn_cast<StringAttr>(a)) out.val_paths.push_back(s.str());
    source(pp::dataset(out.name), d.getLoc());
    p_.datasets.push_back(out);
  }

  LogicalResult model(ModelOp m, TrainConfigOp train) {
    if (!m.getResolved()) return m.emitError() << "model " << quoted(m.getName()) << " was not expanded (run expand-presets)";
    plan::Model out;
    out.name = m.getName().str();
    out.arch = llvm::cast<StringAttr>(m.getBase()).str();
    if (auto preset = m.getPreset()) out.preset = preset->str();
    DictionaryAttr f = m.getFields();
    auto i = [&](const char* k) { return static_cast<int64_t>(numberOf(f.get(k)).value_or(0)); };
    auto d = [&](const char* k) { return numberOf(f.get(k)).value_or(0); };
    out.n_layer = i("layers");
    out.n_head = i("heads");
    out.n_kv_head = i("kv_heads");
    out.d_model = i("d_model");
    out.d_ff = i("d_ff");
    out.vocab_size = i("vocab");
    out.max_seq_len = i("ctx");
    out.norm_eps = d("norm_eps");
    out.rope_theta = d("rope_theta");
    out.init_std = d("init_std");
    out.dropout = d("dropout");
    out.tie_embeddings = llvm::cast<BoolAttr>(f.get("tie_embeddings")).getValue();
    std::string path = pp::model(out.name);
    source(path, mainLoc(m.getLoc()));
    uses(path, m.getLoc());
    for (auto& [field, loc] : partLocs(m.getLoc())) {
      const char* pf = planField(field);
      source(pp::join(path, pf ? pf : field), loc);
    }
    if (m.getName() == train.getModel() && train.getInitFrom()) {
      out.init_from = train.getInitFrom()->str();
      if (auto at = partLoc(train.getLoc(), "init")) source(pp::join(path, "init_from"), *at);
    }
    p_.models.push_back(out);
    return success();
  }

  void emitTrain(TrainConfigOp t) {
    plan::Train& tr = p_.train;
    tr.model = t.getModel().str();
    tr.seq_len = static_cast<int64_t>(t.getSeqLen());
    tr.batch_seqs = static_cast<int64_t>(t.getBatchSeqs());
    tr.micro_batch = static_cast<int64_t>(t.getMicroBatch());
    tr.optimizer.kind = t.getOptimizer().str();
    tr.optimizer.lr = t.getLr().convertToDouble();
    tr.optimizer.beta1 = t.getBeta1().convertToDouble();
    tr.optimizer.beta2 = t.getBeta2().convertToDouble();
    tr.optimizer.eps = t.getEps().convertToDouble();
    tr.optimizer.weight_decay = t.getWeightDecay().convertToDouble();
    tr.optimizer.grad_clip = t.getGradClip().convertToDouble();
    plan::Schedule& s = tr.schedule;
    s.kind = t.getSchedule().str();
    s.min_lr = t.getMinLr().convertToDouble();
    s.total_steps = static_cast<int64_t>(t.getTotalSteps());
    if (QuantityAttr total = t.getTotalAttr(); total && !total.isResolved()) s.total = quantity(total);
    auto split = [](QuantityAttr q, int64_t& steps, double& fraction) {
      steps = q.getSteps();
      fraction = !q.isResolved() && q.getUnit() == "percent" ? q.getNumber() / 100 : 0;
    };
    split(t.getWarmupAttr(), s.warmup_steps, s.warmup_fraction);
    if (QuantityAttr decay = t.getDecayAttr()) split(decay, s.decay_steps, s.decay_fraction);
    tr.precision = t.getPrecision().str();
    tr.seed = static_cast<uint64_t>(t.getSeed());

    source(pp::kTrain, mainLoc(t.getLoc()));
    static const std::pair<const char*, const char*> keys[] = {
        {"model", "model"}, {"seq_len", "seq_len"}, {"batch", "batch_seqs"}, {"micro_batch", "micro_batch"},
        {"optimizer", "optimizer"}, {"grad_clip", "optimizer / grad_clip"}, {"schedule", "schedule"},
        {"precision", "precision"}, {"seed", "seed"}};
    for (auto [key, field] : keys)
      if (auto at = partLoc(t.getLoc(), key)) source(pp::join(pp::kTrain, field), *at);
  }

  plan::Condition condition(ConditionAttr c) {
    plan::Condition out;
    out.metric = c.getMetric().str();
    out.dataset = c.getArgument().str();
    out.op = c.getOp().str();
    Attribute t = c.getThreshold();
    auto q = llvm::dyn_cast<QuantityAttr>(t);
    if (q && q.getUnit() == "percentile") {
      out.threshold = {"percentile", q.getNumber(), 0};
    } else if (q && q.getUnit() == "sigma") {
      auto w = llvm::dyn_cast_or_null<QuantityAttr>(c.getWindow());
      out.threshold = {"sigma", q.getNumber(), w ? static_cast<int64_t>(w.getNumber()) : kDefaultSigmaWindow};
    } else if (q) {
      // A count: `step` conditions compare steps, `tokens` conditions tokens.
      double v = q.getNumber();
      if (c.getMetric() == "step" && q.getUnit() == "tokens") v = static_cast<double>(q.getSteps());
      if (c.getMetric() == "tokens" && q.getUnit() == "steps") v *= static_cast<double>(tokensPerStep_);
      out.threshold = {"number", v, 0};
    } else {
      out.threshold = {"number", numberOf(t).value_or(0), 0};
    }
    return out;
  }

  void phase(PhaseOp ph) {
    plan::Phase out;
    out.name = ph.getName().str();
    if (QuantityAttr len = ph.getLengthAttr()) out.duration = quantity(len);
    else out.duration = plan::Quantity{0, "rest", -1};
    out.until = ph.getKind() == DurationKind::Until;
    out.start_step = ph.getStartStep() ? static_cast<int64_t>(*ph.getStartStep()) : -1;
    out.end_step = ph.getEndStep() ? static_cast<int64_t>(*ph.getEndStep()) : -1;
    out.source = where(ph.getLoc());
    std::string path = pp::phase(out.name);
    source(path, ph.getLoc());
    size_t index = 0;
    for (RuleOp r : ph.getBody().getOps<RuleOp>()) {
      plan::Rule rule;
      plan::Action& a = rule.action;
      a.kind = stringifyActionKind(r.getAction()).str();
      std::string rpath = pp::rule(out.name, ++index);
      for (WeightOp w : r.getWeights().getOps<WeightOp>()) {
        plan::MixEntry e;
        e.dataset = w.getDataset().str();
        e.weight = numberOf(w.getWeight()).value_or(0);
        if (auto end = w.getWeightEnd()) e.weight_end = numberOf(*end);
        // The mix as a whole is one value for diff; its source is where its weights are.
        if (a.mixture.empty()) p_.sources[pp::join(rpath, "mix")] = where(w.getLoc());
        uses(rpath, w.getLoc());
        a.mixture.push_back(e);
      }
      if (auto m = r.getMixture()) a.mixture_name = m->str();
      if (DictionaryAttr params = r.getParamsAttr()) {
        auto word = [&](const char* k) {
          auto s = llvm::dyn_cast_or_null<StringAttr>(params.get(k));
          return s ? s.str() : std::string();
        };
        switch (r.getAction()) {
          case ActionKind::Order:
            a.method = word("by");
            a.direction = word("direction");
            a.granularity = word("unit");  // "" = blocks
            break;
          case ActionKind::Record:
            a.metric = word("metric");
            a.granularity = word("per");
            a.form = word("form");  // "" = as visited
            break;
          case ActionKind::Reweight: a.method = word("method"); break;
          default: break;
        }
        for (NamedAttribute p : params)
          if (auto n = numberOf(p.getValue())) a.params[p.getName().str()] = *n;
      }
      if (ConditionAttr c = r.getWhenAttr()) rule.when = condition(c);
      if (QuantityAttr every = r.getEveryAttr()) rule.every = quantity(every);
      rule.source = where(r.getLoc());
      source(rpath, r.getLoc());
      out.rules.push_back(rule);
    }
    p_.phases.push_back(out);
  }

  void evaluate(EvaluateOp e, TrainConfigOp train) {
    plan::Evaluate out;
    out.metric = e.getMetric().str();
    out.dataset = e.getDataset().str();
    out.split = e.getSplit().str();
    // No `every`: once, at the end of the run, which is `every 100%` of it.
    if (QuantityAttr every = e.getEveryAttr()) out.every = quantity(every);
    else out.every = plan::Quantity{100, "percent", static_cast<int64_t>(train.getTotalSteps())};
    out.max_blocks = e.getLimit() ? static_cast<int64_t>(*e.getLimit()) : 0;
    source(pp::evaluate(out.metric, out.dataset, out.split), e.getLoc());
    p_.evaluations.push_back(out);
  }

  ModuleOp module_;
  plan::Plan& p_;
  int64_t tokensPerStep_ = 0;
};

}  // namespace

LogicalResult emitPlan(ModuleOp module, const EmitOptions& options, plan::Plan& out) {
  out = plan::Plan{};
  out.base_dir = options.baseDir;
  out.compiler_version = options.compilerVersion;
  if (failed(requireMerged(module, "plan emission"))) return failure();
  return Emitter(module, out).run();
}

}  // namespace recipec::ir
