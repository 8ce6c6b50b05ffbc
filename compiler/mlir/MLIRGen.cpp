// MLIRGen.cpp — lowering of the AST to the `recipe` dialect (see MLIRGen.h).
//
// Values are lowered by context: a name in a number's place is a `let` (#recipe.const<@x>),
// in `model`/`tokenizer =`/`mix` it is a reference (@x), elsewhere a word ("fp32"). Numbers
// are f64 everywhere at this stage; expand-presets and resolve-train give them their types.
#include "compiler/mlir/MLIRGen.h"
#include "runtime/plan/Methods.h"

#include <map>
#include <set>

#include "compiler/mlir/Dialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

namespace recipec::ir {

using namespace mlir;
using ast::Expr;
using EK = ast::Expr::Kind;

const std::vector<std::string>& positionalNames(const std::string& callee) {
  static const std::map<std::string, std::vector<std::string>> table{
      {"adamw", {"lr", "betas", "weight_decay", "eps"}},
      {"constant", {"warmup"}},
      {"cosine", {"warmup", "min_lr"}},
      {"linear", {"warmup", "min_lr"}},
      {"wsd", {"warmup", "decay", "min_lr"}},
      {"gpt2_bpe", {"path"}},
      {"hf", {"path"}},
      {"sentencepiece", {"path"}},
  };
  static const std::vector<std::string> none;
  auto it = table.find(callee);
  if (it != table.end()) return it->second;
  // A method's arguments (`irdro(1.0, 4)`, `remix(0.5)`): their order in Methods.h.
  static const std::map<std::string, std::vector<std::string>> methods = [] {
    std::map<std::string, std::vector<std::string>> m;
    for (const auto& a : plan::methods::actions())
      if (a.form == plan::methods::Form::kCall) m[a.method.empty() ? a.kind : a.method] = a.paramNames();
    return m;
  }();
  auto mt = methods.find(callee);
  return mt == methods.end() ? none : mt->second;
}

namespace {

class Generator {
 public:
  Generator(MLIRContext& ctx, const sema::Program& program)
      : ctx_(ctx), program_(program), builder_(&ctx) {
    // A name in a value's place is a constant if any loaded file (or --set) declares one:
    // a base recipe may use a constant that only the recipe extending it declares.
    for (const auto& f : program.files())
      for (const auto& item : f->items)
        if (item.kind == ast::Item::Kind::Let) lets_.insert(item.let->name.name);
    for (const auto& o : program.overrides()) lets_.insert(o.name);
  }

  OwningOpRef<ModuleOp> run() {
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc(diag::SourceRange{}));
    builder_.setInsertionPointToEnd(module->getBody());
    for (const auto& file : program_.files()) lowerFile(*file);
    for (const auto& o : program_.overrides())
      builder_.create<OverrideOp>(loc(o.range), builder_.getStringAttr(o.name), value(*o.value));
    if (failed_) return nullptr;
    return module;
  }

 private:
  Location loc(const diag::SourceRange& r) {
    if (!r.valid()) return UnknownLoc::get(&ctx_);
    return FileLineColLoc::get(&ctx_, program_.sources().file(r.file).path, r.line, r.col);
  }

  InFlightDiagnostic error(const diag::SourceRange& r) {
    failed_ = true;
    return emitError(loc(r));
  }

  StringAttr str(llvm::StringRef s) { return builder_.getStringAttr(s); }
  FlatSymbolRefAttr ref(llvm::StringRef s) { return FlatSymbolRefAttr::get(&ctx_, s); }

  // ---- values -----------------------------------------------------------------------------

  Attribute value(const Expr& e) {
    switch (e.kind) {
      case EK::Number: return f64(&ctx_, e.number);
      case EK::Quantity: return QuantityAttr::get(&ctx_, e.number, e.unit);
      case EK::Percentile: return QuantityAttr::get(&ctx_, e.number, "percentile");
      case EK::String: return str(e.text);
      case EK::Name:
        if (lets_.count(e.text)) return ConstRefAttr::get(&ctx_, ref(e.text));
        if (e.text == "true" || e.text == "false") return builder_.getBoolAttr(e.text == "true");
        return str(e.text);
      case EK::Call: return CallAttr::get(&ctx_, str(e.text), arguments(e));
      case EK::Object: {
        NamedAttrList fields;
        for (const auto& f : e.fields) {
          Attribute v = value(*f.value);
          if (f.valueEnd) v = builder_.getArrayAttr({v, value(*f.valueEnd)});
          fields.set(f.name.name, v);
        }
        return fields.getDictionary(&ctx_);
      }
      case EK::Tuple: {
        SmallVector<Attribute> elems;
        for (const auto& x : e.elements) elems.push_back(value(*x));
        return builder_.getArrayAttr(elems);
      }
      case EK::Neg: {
        const Expr& inner = *e.elements[0];
        if (inner.kind == EK::Number) return f64(&ctx_, -inner.number);
        if (inner.kind == EK::Quantity) return QuantityAttr::get(&ctx_, -inner.number, inner.unit);
        return CallAttr::get(&ctx_, str("neg"), builder_.getDictionaryAttr({builder_.getNamedAttr("_0", value(inner))}));
      }
    }
    return {};
  }

  // Call arguments by name; positional ones named by the callee's signature.
  DictionaryAttr arguments(const Expr& call) {
    const auto& names = positionalNames(call.text);
    NamedAttrList args;
    size_t positional = 0;
    for (const auto& f : call.fields) {
      std::string name = f.name.name;
      if (name.empty()) {
        name = positional < names.size() ? names[positional] : "_" + std::to_string(positional);
        ++positional;
      }
      args.set(name, value(*f.value));
    }
    return args.getDictionary(&ctx_);
  }

  // A name that refers to a declaration (not a constant).
  Attribute reference(const Expr& e) {
    if (e.kind == EK::Name && !lets_.count(e.text)) return ref(e.text);
    return value(e);
  }

  ConditionAttr condition(const ast::Condition& c) {
    Attribute threshold = value(*c.threshold);
    Attribute window = c.window ? value(*c.window) : Attribute();
    return ConditionAttr::get(&ctx_, c.metric.name, c.argument ? c.argument->name : "", c.op, threshold, window);
  }

  QuantityAttr interval(const ast::Interval& iv) {
    if (iv.epoch) return QuantityAttr::get(&ctx_, 1, "epochs");
    return lengthOf(*iv.quantity);
  }

  // A length as written, or a constant's (`for learn_len` with `let learn_len = 1 epoch`;
  // an override wins). The front end's checks have made sure it is a quantity with a unit.
  QuantityAttr lengthOf(const Expr& written) {
    const Expr* q = &written;
    if (q->kind == EK::Name) {
      const auto& scope = program_.scope();
      // Recorded for `recipec diff`: an ablation that changes this constant points at it.
      if (auto l = scope.lets.find(q->text); l != scope.lets.end())
        lengthConstants_.emplace_back(q->text, loc(l->second->range));
      std::set<std::string> seen;
      while (q && q->kind == EK::Name && seen.insert(q->text).second) {
        if (auto o = scope.overrides.find(q->text); o != scope.overrides.end()) q = o->second;
        else if (auto l = scope.lets.find(q->text); l != scope.lets.end()) q = l->second->value.get();
        else break;
      }
      if (!q || q->kind == EK::Name) {
        error(written.range) << "`" << written.text << "` is not a constant with a length";
        return QuantityAttr::get(&ctx_, 1, "steps");
      }
    }
    return QuantityAttr::get(&ctx_, q->number, q->kind == EK::Quantity ? q->unit : "steps");
  }

  // ---- declarations -----------------------------------------------------------------------

  void lowerFile(const ast::File& file) {
    const ast::File* base = program_.baseOf(&file);
    auto op = builder_.create<FileOp>(
        FileLineColLoc::get(&ctx_, file.path, 1, 1), str(file.path), &file == program_.root() ? builder_.getUnitAttr() : UnitAttr(),
        file.recipeName ? str(*file.recipeName) : StringAttr(), base ? str(base->path) : StringAttr());
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToEnd(&bodyBlock(op.getBody()));
    auto deps = program_.importsOf(&file);
    size_t nextDep = 0;
    for (const auto& item : file.items) {
      if (item.kind == ast::Item::Kind::Use) {
        // importsOf lists the files of the `use` items in order.
        if (nextDep < deps.size())
          builder_.create<ImportOp>(loc(item.use->pathRange), str(deps[nextDep++]->path));
        continue;
      }
      lowerItem(item);
    }
  }

  void lowerItem(const ast::Item& item) {
    using K = ast::Item::Kind;
    switch (item.kind) {
      case K::Use: break;
      case K::Let:
        builder_.create<LetOp>(loc(item.let->name.range), str(item.let->name.name), value(*item.let->value));
        break;
      case K::Tokenizer: {
        const auto& t = *item.tokenizer;
        builder_.create<TokenizerOp>(loc(t.name.range), str(t.name.name), str(t.init->text), arguments(*t.init));
        break;
      }
      case K::Dataset: lowerDataset(*item.dataset); break;
      case K::Mixture: {
        const auto& m = *item.mixture;
        auto op = builder_.create<MixtureOp>(loc(m.name.range), str(m.name.name));
        lowerWeights(*m.weights, op.getBody());
        break;
      }
      case K::Model: lowerModel(*item.model); break;
      case K::Train: {
        auto op = builder_.create<TrainOp>(loc(item.range));
        OpBuilder::InsertionGuard guard(builder_);
        builder_.setInsertionPointToEnd(&bodyBlock(op.getBody()));
        for (const auto& s : item.train->settings) {
          Attribute v = s.key.name == "model" ? reference(*s.value) : value(*s.value);
          builder_.create<SettingOp>(loc(s.key.range), str(s.key.name), v);
        }
        break;
      }
      case K::Phase: lowerPhase(*item.phase); break;
      case K::Evaluate: {
        const auto& e = *item.evaluate;
        std::string target = e.target.name;
        auto dot = target.find('.');
        std::string split = dot == std::string::npos ? "val" : target.substr(dot + 1);
        IntegerAttr limit = e.limit ? builder_.getI64IntegerAttr(static_cast<int64_t>(e.limit->number)) : IntegerAttr();
        lengthConstants_.clear();
        QuantityAttr every = e.every ? interval(*e.every) : QuantityAttr();
        builder_.create<EvaluateOp>(withLengthConstants(loc(e.range)), str(e.metric.name), ref(target.substr(0, dot)),
                                    str(split), every, limit);
        break;
      }
      case K::Checkpoint: {
        const auto& c = *item.checkpoint;
        IntegerAttr keep = c.keep ? builder_.getI64IntegerAttr(static_cast<int64_t>(c.keep->number)) : IntegerAttr();
        lengthConstants_.clear();
        QuantityAttr every = c.every ? interval(*c.every) : QuantityAttr();
        builder_.create<CheckpointOp>(withLengthConstants(loc(c.range)), every, keep);
        break;
      }
      case K::Event: {
        const auto& e = *item.event;
        std::string trigger = "nan";
        ConditionAttr when;
        if (e.condition) {
          when = condition(*e.condition);
          auto sigma = llvm::dyn_cast<QuantityAttr>(when.getThreshold());
          bool spike = sigma && sigma.getUnit() == "sigma";
          trigger = !spike ? "condition" : e.condition->metric.name == "loss" ? "loss_spike" : "grad_spike";
        } else if (e.named) {
          trigger = e.named->name;
        }
        builder_.create<EventOp>(loc(e.range), str(trigger), when, str(e.action.name));
        break;
      }
    }
  }

  void lowerDataset(const ast::DatasetDecl& ds) {
    const Expr& call = *ds.source;
    NamedAttrList args;
    SmallVector<Attribute> paths;
    for (const auto& f : call.fields) {
      if (f.name.name.empty()) paths.push_back(value(*f.value));
      else if (f.name.name == "tokenizer") args.set("tokenizer", reference(*f.value));
      else args.set(f.name.name, value(*f.value));
    }
    args.set("paths", builder_.getArrayAttr(paths));
    StringAttr split;
    FloatAttr fraction;
    if (ds.split) {
      split = str(ds.split->split.name);
      if (ds.split->path) {  // `split val "data/x/val/*.jsonl"`: its own files, fraction 0
        args.set("val_paths", builder_.getArrayAttr({str(*ds.split->path)}));
        fraction = f64(&ctx_, 0);
      } else {
        const Expr& q = *ds.split->fraction;
        fraction = f64(&ctx_, q.kind == EK::Quantity && q.unit == "percent" ? q.number / 100 : q.number);
      }
    }
    builder_.create<DatasetOp>(loc(ds.name.range), str(ds.name.name), str(call.text),
                               args.getDictionary(&ctx_), split, fraction);
  }

  void lowerWeights(const Expr& object, Region& region) {
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToEnd(&bodyBlock(region));
    for (const auto& f : object.fields)
      builder_.create<WeightOp>(loc(f.name.range), ref(f.name.name), value(*f.value),
                                f.valueEnd ? value(*f.valueEnd) : Attribute());
  }

  void lowerModel(const ast::ModelDecl& m) {
    const std::string& b = m.base.name;
    Attribute base = (b == "gpt2" || b == "llama") ? Attribute(str(b)) : Attribute(ref(b));
    NamedAttrList fields;
    std::vector<std::pair<std::string, Location>> parts;
    if (m.overrides)
      for (const auto& f : m.overrides->fields) {
        fields.set(f.name.name, value(*f.value));
        parts.emplace_back(f.name.name, loc(f.range));
      }
    builder_.create<ModelOp>(withPartLocs(loc(m.name.range), parts), str(m.name.name), base,
                             fields.getDictionary(&ctx_), StringAttr(), UnitAttr());
  }

  void lowerPhase(const ast::PhaseDecl& p) {
    DurationKind kind = p.duration.kind == ast::Duration::Kind::For     ? DurationKind::For
                        : p.duration.kind == ast::Duration::Kind::Until ? DurationKind::Until
                                                                        : DurationKind::Rest;
    QuantityAttr length;
    lengthConstants_.clear();
    if (p.duration.quantity) length = lengthOf(*p.duration.quantity);
    auto op = builder_.create<PhaseOp>(withLengthConstants(loc(p.name.range)), str(p.name.name), kind, length,
                                       IntegerAttr(), IntegerAttr());
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToEnd(&bodyBlock(op.getBody()));
    for (const auto& r : p.rules) lowerRule(r);
  }

  // What a `let` finally stands for, following constants defined through constants, as the
  // front end's checks read it (an override wins): `let m = { web: 1 }; mix m` gives the
  // object, `let d = web; mix d` the name `web`, `let h = 50%` the percentage.
  const Expr* letValue(const std::string& name) {
    const auto& scope = program_.scope();
    const Expr* e = nullptr;
    if (auto o = scope.overrides.find(name); o != scope.overrides.end()) e = o->second;
    else if (auto l = scope.lets.find(name); l != scope.lets.end()) e = l->second->value.get();
    std::set<std::string> seen{name};
    while (e && e->kind == EK::Name && scope.lets.count(e->text) && seen.insert(e->text).second) {
      if (auto o = scope.overrides.find(e->text); o != scope.overrides.end()) e = o->second;
      else e = scope.lets.at(e->text)->value.get();
    }
    return e;
  }

  void lowerRule(const ast::Rule& r) {
    const ast::Action& a = r.action;
    std::optional<ActionKind> kind = symbolizeActionKind(a.keyword.name);
    if (!kind) {
      error(a.keyword.range) << "unknown action `" << a.keyword.name << "`";
      return;
    }
    FlatSymbolRefAttr mixture;
    const Expr* weights = nullptr;
    NamedAttrList params;
    switch (a.kind) {
      case ast::Action::Kind::Mix:
        if (a.value->kind == EK::Object) weights = a.value.get();
        else if (lets_.count(a.value->text)) {
          // `let m = { web: 1 }` (weights) or `let d = web` (a dataset or mixture by another name)
          const Expr* v = letValue(a.value->text);
          if (v && v->kind == EK::Object) weights = v;
          else if (v && v->kind == EK::Name) mixture = ref(v->text);
        } else {
          mixture = ref(a.value->text);
        }
        if (!weights && !mixture) error(a.value->range) << "`mix` needs a mixture or weights";
        break;
      case ast::Action::Kind::Order:
        if (a.qualifier && a.qualifier->name != "blocks") params.set("unit", str(a.qualifier->name));
        params.set("by", str(a.target.name));
        params.set("direction", str(a.modifier ? a.modifier->name : "ascending"));
        break;
      case ast::Action::Kind::Record:
        params.set("metric", str(a.target.name));
        params.set("per", str(a.modifier ? a.modifier->name : "block"));
        if (a.qualifier && a.qualifier->name != "visited") params.set("form", str(a.qualifier->name));
        break;
      case ast::Action::Kind::Subnet:
        // What is not sampled is kept whole: the plan states all three rates.
        setDefaults(params, plan::methods::find("subnet"));
        for (const auto& f : a.value->fields) params.set(f.name.name, rate(*f.value));
        break;
      case ast::Action::Kind::Reweight:
        // The methods' defaults (Methods.h), written out so the plan shows them.
        params.set("method", str(a.value->text));
        setDefaults(params, plan::methods::find("reweight", a.value->text));
        for (NamedAttribute arg : arguments(*a.value)) params.set(arg.getName(), arg.getValue());
        break;
      case ast::Action::Kind::Call:
        setDefaults(params, plan::methods::find(a.keyword.name));
      {
        const auto& names = positionalNames(a.value->text);
        size_t positional = 0;
        for (const auto& f : a.value->fields) {
          std::string name = f.name.name;
          if (name.empty()) name = positional < names.size() ? names[positional] : "_" + std::to_string(positional);
          if (f.name.name.empty()) ++positional;
          params.set(name, rate(*f.value));  // `window = 20%` is 0.2, as a subnet rate is
        }
        break;
      }
      case ast::Action::Kind::Set:
        params.set(a.target.name, value(*a.value));
        break;
      case ast::Action::Kind::Simple:
        setDefaults(params, plan::methods::find(a.keyword.name));  // a bare `remix`: its defaults
        break;
    }
    lengthConstants_.clear();
    QuantityAttr every = r.every ? interval(*r.every) : QuantityAttr();
    Location at = loc(r.range);
    at = withLengthConstants(at);
    auto op = builder_.create<RuleOp>(at, *kind, mixture, r.when ? condition(*r.when) : ConditionAttr(), every,
                                      params.empty() ? DictionaryAttr() : params.getDictionary(&ctx_));
    if (weights) lowerWeights(*weights, op.getWeights());
  }

  // A method's value: `heads: 50%`, or `heads: h` with `let h = 50%`, is 0.5 (a percent is a
  // percent everywhere); anything else as written.
  Attribute rate(const Expr& v) {
    const Expr* r = v.kind == EK::Name && lets_.count(v.text) ? letValue(v.text) : &v;
    if (r && r->kind == EK::Quantity && r->unit == "percent") return f64(&ctx_, r->number / 100);
    return value(v);
  }

  // The description's defaults (Methods.h), so the plan states every parameter.
  void setDefaults(NamedAttrList& params, const plan::methods::Action* spec) {
    if (!spec) return;
    for (const auto& p : spec->params)
      if (p.hasDefault()) params.set(p.name, f64(&ctx_, p.default_value));
  }

  // A location that also says which constants the length just lowered named, so that
  // `recipec diff` points an ablation of one at its `let`.
  Location withLengthConstants(Location at) {
    for (const auto& [name, where] : lengthConstants_) at = addPartLoc(at, "const " + name, where);
    return at;
  }
  std::vector<std::pair<std::string, Location>> lengthConstants_;  // constants a length named
  MLIRContext& ctx_;
  const sema::Program& program_;
  OpBuilder builder_;
  std::set<std::string> lets_;
  bool failed_ = false;
};

}  // namespace

OwningOpRef<ModuleOp> mlirGen(MLIRContext& context, const sema::Program& program) {
  context.getOrLoadDialect<RecipeDialect>();
  return Generator(context, program).run();
}

}  // namespace recipec::ir
