// Ops.cpp — verifiers of the `recipe` ops and the by-kind checks of their references.
//
// A verifier checks what is checkable at the op's stage: a value that is still a
// `#recipe.const<@x>` is skipped (inline-constants substitutes it, and the verifier runs again
// after that pass). Messages name the declaration and carry the offending numbers. Errors use
// emitError (no "'recipe.x' op" prefix): users read them next to their own recipe line.
#include <cmath>
#include <map>

#include "compiler/mlir/Dialect.h"
#include "runtime/plan/Methods.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

namespace recipec::ir {

using namespace mlir;

// `for #recipe.qty<...>`, `until #recipe.qty<...>`, `rest`: the phase's duration.
static ParseResult parseDuration(OpAsmParser& parser, DurationKindAttr& kind, QuantityAttr& length) {
  std::string word;
  SMLoc at = parser.getCurrentLocation();
  if (parser.parseKeywordOrString(&word)) return failure();
  auto k = symbolizeDurationKind(word);
  if (!k) return parser.emitError(at, "expected for, until or rest");
  kind = DurationKindAttr::get(parser.getContext(), *k);
  if (*k == DurationKind::Rest) return success();
  Attribute a;
  at = parser.getCurrentLocation();
  if (parser.parseAttribute(a)) return failure();
  length = llvm::dyn_cast<QuantityAttr>(a);
  if (!length) return parser.emitError(at, "expected a #recipe.qty length");
  return success();
}

static void printDuration(OpAsmPrinter& printer, Operation*, DurationKindAttr kind, QuantityAttr length) {
  printer << stringifyDurationKind(kind.getValue());
  if (length) {
    printer << " ";
    printer.printAttribute(length);
  }
}

}  // namespace recipec::ir

#define GET_OP_CLASSES
#include "RecipeOps.cpp.inc"

namespace recipec::ir {

using namespace mlir;

namespace {

// "a, b or c"
std::string orList(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "" : i + 1 == v.size() ? " or " : ", ") + v[i];
  return out;
}

bool oneOf(StringRef v, std::initializer_list<const char*> set) {
  return llvm::any_of(set, [&](const char* s) { return v == s; });
}

std::string q(StringRef name) { return "`" + name.str() + "`"; }

bool isConst(Attribute a) { return llvm::isa_and_nonnull<ConstRefAttr>(a); }

// The weights of a mixture or of a mix rule: no duplicates, none negative, a positive sum at
// the start and (for a schedule) at the end.
LogicalResult verifyWeights(Operation* owner, Region& region, const std::string& what) {
  std::map<std::string, WeightOp> seen;
  double start = 0, end = 0;
  bool known = true, scheduled = false;
  size_t count = 0;
  for (Operation& op : region.getOps()) {
    auto w = llvm::dyn_cast<WeightOp>(op);
    if (!w) return op.emitError() << what << " may only hold recipe.weight entries";
    ++count;
    auto [it, fresh] = seen.emplace(w.getDataset().str(), w);
    if (!fresh) {
      auto d = w.emitError() << q(w.getDataset()) << " appears twice in " << what;
      d.attachNote(it->second.getLoc()) << "first here";
      return d;
    }
    auto s = numberOf(w.getWeight());
    std::optional<double> e = s;
    if (w.getWeightEnd()) {
      scheduled = true;
      e = numberOf(*w.getWeightEnd());
    }
    if (!s || !e) { known = false; continue; }
    // Checked here too: the mixture's verifier runs before its entries', and a negative
    // weight explains a bad sum better than the sum does.
    for (double v : {*s, *e})
      if (v < 0) return w.emitError() << "weight of " << q(w.getDataset()) << " is " << formatNumber(v) << " (need >= 0)";
    start += *s;
    end += *e;
  }
  if (count == 0) return owner->emitError() << what << " has no entries";
  if (known && start <= 0)
    return owner->emitError() << what << " weights sum to " << formatNumber(start) << " (need > 0)";
  if (known && scheduled && end <= 0)
    return owner->emitError() << what << " weights at the end of the schedule sum to "
                              << formatNumber(end) << " (need > 0)";
  return success();
}

LogicalResult verifyInterval(Operation* op, QuantityAttr every, const std::string& what) {
  if (!every) return success();
  if (!oneOf(every.getUnit(), {"steps", "tokens", "epochs", "percent"}))
    return op->emitError() << what << " cannot repeat every " << quantityText(every)
                           << " (intervals are steps, tokens, epochs or %)";
  if (every.getNumber() <= 0)
    return op->emitError() << what << " interval is " << quantityText(every) << " (need > 0)";
  return success();
}

const char* const kIntFields[] = {"layers", "d_model", "heads", "kv_heads", "d_ff", "vocab", "ctx"};
const char* const kFloatFields[] = {"norm_eps", "rope_theta", "init_std", "dropout"};

bool isIntField(StringRef k) { return llvm::any_of(kIntFields, [&](const char* f) { return k == f; }); }
bool isFloatField(StringRef k) { return llvm::any_of(kFloatFields, [&](const char* f) { return k == f; }); }

}  // namespace

// ---- files --------------------------------------------------------------------------------

LogicalResult FileOp::verify() {
  for (Operation& op : getBody().getOps())
    if (llvm::isa<FileOp, OverrideOp, WeightOp, SettingOp, RuleOp, TrainConfigOp>(op))
      return op.emitError() << "`" << op.getName() << "` cannot appear directly in a recipe.file";
  return success();
}

// ---- named declarations -------------------------------------------------------------------

LogicalResult TokenizerOp::verify() {
  StringRef kind = getKind();
  if (!oneOf(kind, {"gpt2_bpe", "hf", "sentencepiece", "bytes"}))
    return emitError() << "tokenizer " << q(getName()) << " has unknown kind " << q(kind)
                       << " (expected gpt2_bpe, hf, sentencepiece or bytes)";
  for (NamedAttribute a : getArgs())
    if (!oneOf(a.getName(), {"path", "vocab_size", "eot_id"}))
      return emitError() << "tokenizer " << q(getName()) << " has unknown argument " << q(a.getName());
  Attribute path = getArgs().get("path");
  if (kind != "bytes" && !path)
    return emitError() << "tokenizer " << q(getName()) << " of kind " << q(kind) << " needs a path";
  if (path && !llvm::isa<StringAttr>(path) && !isConst(path))
    return emitError() << "tokenizer " << q(getName()) << ": the path must be a string";
  return success();
}

LogicalResult DatasetOp::verify() {
  StringRef kind = getKind();
  if (!oneOf(kind, {"text", "shards"}))
    return emitError() << "dataset " << q(getName()) << " has unknown source " << q(kind)
                       << " (expected text or shards)";
  for (NamedAttribute a : getArgs())
    if (!oneOf(a.getName(), {"paths", "tokenizer", "field", "val_paths"}))
      return emitError() << "dataset " << q(getName()) << " has unknown argument " << q(a.getName());
  auto paths = llvm::dyn_cast_or_null<ArrayAttr>(getArgs().get("paths"));
  if (!paths || paths.empty())
    return emitError() << "dataset " << q(getName()) << " needs at least one file pattern";
  for (Attribute p : paths)
    if (!llvm::isa<StringAttr>(p) && !isConst(p))
      return emitError() << "dataset " << q(getName()) << ": file patterns must be strings";
  Attribute tok = getArgs().get("tokenizer");
  if (tok && !llvm::isa<FlatSymbolRefAttr>(tok))
    return emitError() << "dataset " << q(getName()) << ": `tokenizer` must name a tokenizer";
  if (kind == "text" && !tok)
    return emitError() << "text dataset " << q(getName()) << " has no tokenizer";
  if (getSplit() && *getSplit() != "val")
    return emitError() << "dataset " << q(getName()) << " has unknown split " << q(*getSplit())
                       << " (expected val)";
  if (getSplit() != std::nullopt && !getSplitFraction())
    return emitError() << "dataset " << q(getName()) << ": a split needs a fraction";
  if (Attribute vp = getArgs().get("val_paths")) {  // `split val "files"`: fraction 0
    auto arr = llvm::dyn_cast<ArrayAttr>(vp);
    if (!arr || arr.empty() || !llvm::all_of(arr, [](Attribute a) { return llvm::isa<StringAttr>(a); }))
      return emitError() << "dataset " << q(getName()) << ": `val_paths` must be file patterns";
    if (getSplit() != "val" || !getSplitFraction() || getSplitFraction()->convertToDouble() != 0)
      return emitError() << "dataset " << q(getName()) << ": `val_paths` go with `split \"val\" 0.0`";
    return success();
  }
  if (auto f = getSplitFraction(); f && (f->convertToDouble() <= 0 || f->convertToDouble() >= 1))
    return emitError() << "dataset " << q(getName()) << " holds out " << formatNumber(f->convertToDouble() * 100)
                       << "% (need more than 0% and less than 100%)";
  return success();
}

LogicalResult DatasetOp::verifySymbolUses(SymbolTableCollection&) {
  auto tok = llvm::dyn_cast_or_null<FlatSymbolRefAttr>(getArgs().get("tokenizer"));
  Block* scope = resolvedScope(*this);
  if (!tok || !scope) return success();
  if (!lookup<TokenizerOp>(scope, tok.getValue()))
    return emitError() << "dataset " << q(getName()) << " uses unknown tokenizer " << q(tok.getValue());
  return success();
}

LogicalResult MixtureOp::verify() {
  return verifyWeights(*this, getBody(), "mixture " + q(getName()));
}

LogicalResult WeightOp::verify() {
  for (Attribute w : {getWeight(), getWeightEnd().value_or(Attribute())}) {
    if (!w || isConst(w)) continue;
    auto v = numberOf(w);
    if (!v) return emitError() << "weight of " << q(getDataset()) << " must be a number, found " << valueText(w);
    if (*v < 0) return emitError() << "weight of " << q(getDataset()) << " is " << formatNumber(*v) << " (need >= 0)";
  }
  return success();
}

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection&) {
  Block* scope = resolvedScope(*this);
  if (!scope) return success();
  if (!lookup<DatasetOp>(scope, getDataset()) && !lookup<MixtureOp>(scope, getDataset()))
    return emitError() << "unknown dataset or mixture " << q(getDataset());
  return success();
}

LogicalResult ModelOp::verify() {
  std::string self = "model " + q(getName());
  if (auto arch = llvm::dyn_cast<StringAttr>(getBase()); arch && !oneOf(arch.getValue(), {"gpt2", "llama"}))
    return emitError() << self << " has unknown architecture " << q(arch.getValue()) << " (expected gpt2 or llama)";
  DictionaryAttr fields = getFields();
  for (NamedAttribute f : fields) {
    StringRef k = f.getName();
    Attribute v = f.getValue();
    if (!isIntField(k) && !isFloatField(k) && k != "tie_embeddings")
      return emitError() << self << " has unknown field " << q(k);
    if (isConst(v)) continue;
    if (k == "tie_embeddings") {
      if (!llvm::isa<BoolAttr>(v)) return emitError() << self << " field `tie_embeddings` must be true or false";
      continue;
    }
    auto n = numberOf(v);
    if (!n) return emitError() << self << " field " << q(k) << " must be a number, found " << valueText(v);
    if (isIntField(k) && (*n <= 0 || *n != std::floor(*n)))
      return emitError() << self << " field " << q(k) << " is " << formatNumber(*n) << " (need a positive whole number)";
    if ((k == "norm_eps" || k == "rope_theta" || k == "init_std") && *n <= 0)
      return emitError() << self << " field " << q(k) << " is " << formatNumber(*n) << " (need > 0)";
    if (k == "dropout" && (*n < 0 || *n >= 1))
      return emitError() << self << " field `dropout` is " << formatNumber(*n) << " (need 0 <= dropout < 1)";
  }
  auto num = [&](StringRef k) { return numberOf(fields.get(k)); };
  auto dm = num("d_model"), heads = num("heads"), kv = num("kv_heads");
  if (dm && heads && *heads > 0 && std::fmod(*dm, *heads) != 0)
    return emitError() << self << ": " << formatNumber(*heads) << " heads do not divide d_model " << formatNumber(*dm);
  if (heads && kv && *kv > 0 && (std::fmod(*heads, *kv) != 0 || *kv > *heads))
    return emitError() << self << ": " << formatNumber(*kv) << " kv_heads do not divide " << formatNumber(*heads) << " heads";
  if (getResolved()) {
    if (!llvm::isa<StringAttr>(getBase())) return emitError() << "explicit " << self << " must be based on an architecture";
    for (const char* k : kIntFields)
      if (!llvm::isa_and_nonnull<IntegerAttr>(fields.get(k)))
        return emitError() << "explicit " << self << " lacks integer field " << q(k);
    for (const char* k : kFloatFields)
      if (!llvm::isa_and_nonnull<FloatAttr>(fields.get(k)))
        return emitError() << "explicit " << self << " lacks float field " << q(k);
    if (!llvm::isa_and_nonnull<BoolAttr>(fields.get("tie_embeddings")))
      return emitError() << "explicit " << self << " lacks `tie_embeddings`";
  }
  return success();
}

LogicalResult ModelOp::verifySymbolUses(SymbolTableCollection&) {
  auto base = llvm::dyn_cast<FlatSymbolRefAttr>(getBase());
  Block* scope = resolvedScope(*this);
  if (!base || !scope) return success();
  if (!lookup<ModelOp>(scope, base.getValue()))
    return emitError() << "model " << q(getName()) << " is based on unknown model " << q(base.getValue());
  return success();
}

// ---- training configuration ---------------------------------------------------------------

LogicalResult TrainOp::verify() {
  std::map<std::string, SettingOp> seen;
  for (Operation& op : getBody().getOps()) {
    auto s = llvm::dyn_cast<SettingOp>(op);
    if (!s) return op.emitError() << "a train block holds only recipe.setting ops";
    auto [it, fresh] = seen.emplace(s.getKey().str(), s);
    if (!fresh) {
      auto d = s.emitError() << "train setting " << q(s.getKey()) << " is given twice";
      d.attachNote(it->second.getLoc()) << "first given here";
      return d;
    }
  }
  return success();
}

LogicalResult SettingOp::verify() {
  if (!oneOf(getKey(), {"model", "seq_len", "batch", "micro_batch", "optimizer", "schedule", "precision",
                        "seed", "grad_clip", "init", "total"}))
    return emitError() << "unknown train setting " << q(getKey());
  return success();
}

LogicalResult TrainConfigOp::verify() {
  auto positive = [&](int64_t v, const char* what) -> LogicalResult {
    if (v <= 0) return emitError() << "`" << what << "` is " << v << " (need > 0)";
    return success();
  };
  if (failed(positive(int64_t(getSeqLen()), "seq_len")) || failed(positive(int64_t(getBatchSeqs()), "batch")) ||
      failed(positive(int64_t(getMicroBatch()), "micro_batch")))
    return failure();
  if (int64_t(getBatchSeqs()) % int64_t(getMicroBatch()) != 0)
    return emitError() << "`micro_batch` " << int64_t(getMicroBatch()) << " does not divide the batch of " << int64_t(getBatchSeqs())
                       << " sequences";
  if (getOptimizer() != "adamw") return emitError() << "unknown optimizer " << q(getOptimizer()) << " (expected adamw)";
  double lr = getLr().convertToDouble();
  if (lr <= 0) return emitError() << "`lr` is " << formatNumber(lr) << " (need > 0)";
  for (double b : {getBeta1().convertToDouble(), getBeta2().convertToDouble()})
    if (b < 0 || b >= 1) return emitError() << "beta " << formatNumber(b) << " is out of range (need 0 <= beta < 1)";
  if (getEps().convertToDouble() <= 0) return emitError() << "`eps` is " << formatNumber(getEps().convertToDouble()) << " (need > 0)";
  if (getWeightDecay().convertToDouble() < 0)
    return emitError() << "`weight_decay` is " << formatNumber(getWeightDecay().convertToDouble()) << " (need >= 0)";
  if (getGradClip().convertToDouble() < 0)
    return emitError() << "`grad_clip` is " << formatNumber(getGradClip().convertToDouble()) << " (need >= 0)";
  if (!oneOf(getSchedule(), {"constant", "cosine", "wsd", "linear"}))
    return emitError() << "unknown schedule " << q(getSchedule()) << " (expected constant, cosine, wsd or linear)";
  for (auto [what, qty] : {std::pair<const char*, QuantityAttr>{"warmup", getWarmup()}, {"decay", getDecayAttr()}}) {
    if (!qty) continue;
    if (!oneOf(qty.getUnit(), {"steps", "tokens", "percent"}))
      return emitError() << "`" << what << "` cannot be measured in " << qty.getUnit() << " (use steps, tokens or %)";
    if (qty.getNumber() < 0 || (qty.getUnit() == "percent" && qty.getNumber() > 100))
      return emitError() << "`" << what << "` of " << quantityText(qty) << " is out of range";
  }
  if (getDecay() && getSchedule() != "wsd")
    return emitError() << "`decay` belongs to the wsd schedule, not " << q(getSchedule());
  if (getSchedule() == "wsd" && !getDecay()) return emitError() << "the wsd schedule needs `decay`";
  if (getMinLr().convertToDouble() < 0)
    return emitError() << "`min_lr` is " << formatNumber(getMinLr().convertToDouble()) << " (need >= 0)";
  if (!oneOf(getPrecision(), {"fp32", "bf16"}))
    return emitError() << "unknown precision " << q(getPrecision()) << " (expected fp32 or bf16)";
  if (int64_t(getSeed()) < 0) return emitError() << "`seed` is " << int64_t(getSeed()) << " (need >= 0)";
  if (int64_t(getTotalSteps()) < -1) return emitError() << "`total_steps` is " << int64_t(getTotalSteps()) << " (need >= 0, or -1)";
  return success();
}

LogicalResult TrainConfigOp::verifySymbolUses(SymbolTableCollection&) {
  Block* scope = resolvedScope(*this);
  if (scope && !lookup<ModelOp>(scope, getModel()))
    return emitError() << "train uses unknown model " << q(getModel());
  return success();
}

// ---- phases and rules ---------------------------------------------------------------------

LogicalResult PhaseOp::verify() {
  std::string self = "phase " + q(getName());
  auto len = getLengthAttr();
  if (getKind() == DurationKind::Rest && len) return emitError() << self << " runs for the rest and has no length";
  if (getKind() != DurationKind::Rest && !len) return emitError() << self << " needs a length";
  if (len) {
    if (getKind() == DurationKind::Until && !oneOf(len.getUnit(), {"steps", "tokens"}))
      return emitError() << self << ": `until` needs an absolute point in steps or tokens, not " << len.getUnit();
    if (!oneOf(len.getUnit(), {"steps", "tokens", "epochs", "percent"}))
      return emitError() << self << " cannot last " << quantityText(len);
    if (len.getNumber() <= 0) return emitError() << self << " lasts " << quantityText(len) << " (need > 0)";
    if (len.getUnit() == "percent" && len.getNumber() > 100)
      return emitError() << self << " lasts " << quantityText(len) << " of the run (need <= 100%)";
  }
  if (getStartStep() && getEndStep() && int64_t(*getEndStep()) <= int64_t(*getStartStep()))
    return emitError() << self << " ends at step " << int64_t(*getEndStep()) << " but starts at step " << int64_t(*getStartStep());
  for (Operation& op : getBody().getOps())
    if (!llvm::isa<RuleOp>(op)) return op.emitError() << "a phase holds only recipe.rule ops";
  return success();
}

LogicalResult RuleOp::verify() {
  ActionKind kind = getAction();
  std::string word = stringifyActionKind(kind).str();
  DictionaryAttr params = getParamsAttr();
  auto param = [&](StringRef k) { return params ? params.get(k) : Attribute(); };
  auto paramWord = [&](StringRef k) {
    auto s = llvm::dyn_cast_or_null<StringAttr>(param(k));
    return s ? s.getValue() : StringRef();
  };
  bool hasWeights = !getWeights().empty() && !getWeights().front().empty();
  if (kind != ActionKind::Mix && (hasWeights || getMixture()))
    return emitError() << "only a `mix` rule has mixture weights, not `" << word << "`";
  if (failed(verifyInterval(*this, getEveryAttr(), "a rule"))) return failure();

  namespace M = plan::methods;
  auto inChoices = [](StringRef v, const M::Word& w) {
    return llvm::any_of(w.choices, [&](const std::string& c) { return v == c; });
  };
  auto choices = [](const M::Word& w) { return orList(w.choices); };
  const M::Action* spec = M::find(word, kind == ActionKind::Reweight ? paramWord("method").str() : "");
  if (kind == ActionKind::Reweight && !spec)
    return emitError() << "unknown reweighting method " << q(paramWord("method")) << " (expected "
                       << orList(M::methodsOf("reweight")) << ")";
  if (!spec) return emitError() << "action `" << word << "` has no description";
  if (spec->condition == M::Condition::kSelectsBlocks) {
    if (!getWhen()) return emitError() << "`" << word << "` needs a condition that says which blocks";
    if (!oneOf(getWhenAttr().getMetric(), {"ppl", "loss"}))
      return emitError() << "`" << word << "` ranks blocks by ppl or loss, not " << q(getWhenAttr().getMetric());
  }
  if (spec->condition == M::Condition::kNone && getWhen()) {
    if (kind == ActionKind::Review) return emitError() << "`review` returns to all blocks; it takes no condition";
    return emitError() << "`" << word << "` takes no condition";
  }
  if (!spec->repeats && getEvery()) return emitError() << "`" << word << "` acts once, when its phase starts; it takes no `every`";
  // Word parameters (`order by ppl ascending`, `record ppl per block`).
  for (const auto& w : spec->words) {
    StringRef v = paramWord(w.name);
    if (v.empty() && (w.name == "unit" || w.name == "form")) continue;  // the defaults: blocks, visited
    if (!inChoices(v, w)) {
      if (kind == ActionKind::Order && w.name == "by") return emitError() << "`order by` ranks by ppl or loss, not " << q(v);
      if (kind == ActionKind::Order && w.name == "direction")
        return emitError() << "order direction " << q(v) << " (expected ascending or descending)";
      if (kind == ActionKind::Record && w.name == "per") return emitError() << "`record` is per block, not per " << q(v);
      if (kind == ActionKind::Record) return emitError() << "`record` keeps ppl or loss, not " << q(v);
      return emitError() << "`" << word << "` " << w.name << " " << q(v) << " (expected " << choices(w) << ")";
    }
  }
  // Numeric parameters: every one named by the description and in its range.
  switch (spec->form) {
    case M::Form::kSpecial:
      if (kind == ActionKind::Mix) {
        if (!hasWeights && !getMixture()) return emitError() << "`mix` needs a mixture or weights";
        if (hasWeights && failed(verifyWeights(*this, getWeights(), "the mix"))) return failure();
      }
      return success();
    case M::Form::kWord:
      if (params && !params.empty()) return emitError() << "`" << word << "` takes no parameters";
      return success();
    case M::Form::kSet:
      if (!params || params.size() != 1) return emitError() << "`set` changes exactly one setting";
      break;
    case M::Form::kObject:
      if (!params || params.empty())
        return emitError() << "`" << word << "` needs at least one of " << llvm::join(spec->paramNames(), ", ");
      break;
    case M::Form::kCall:
      break;
  }
  for (NamedAttribute p : params ? params.getValue() : ArrayRef<NamedAttribute>()) {
    if (p.getName() == "method") continue;
    const M::Param* ps = spec->param(p.getName().str());
    if (!ps) {
      if (kind == ActionKind::Set)
        return emitError() << "`set` cannot change " << q(p.getName()) << " (expected " << orList(spec->paramNames()) << ")";
      if (kind == ActionKind::Subnet)
        return emitError() << "unknown subnet field " << q(p.getName()) << " (expected " << orList(spec->paramNames()) << ")";
      return emitError() << "unknown argument " << q(p.getName()) << " of `" << spec->spelled() << "`";
    }
    if (isConst(p.getValue())) continue;
    auto n = numberOf(p.getValue());
    if (!n) return emitError() << "`" << p.getName().str() << "` must be a number";
    if (!ps->inRange(*n)) {
      if (kind == ActionKind::Subnet)
        return emitError() << "subnet " << q(p.getName()) << " keeps " << valueText(p.getValue()) << " "
                           << ps->rangeText(/*as_fraction=*/true);
      if (kind == ActionKind::Set)
        return emitError() << "`set " << p.getName().str() << "` to " << valueText(p.getValue()) << " " << ps->rangeText();
      return emitError() << "`" << p.getName().str() << "` is " << formatNumber(*n) << " " << ps->rangeText(true);
    }
  }
  return success();
}

LogicalResult RuleOp::verifySymbolUses(SymbolTableCollection&) {
  Block* scope = resolvedScope(*this);
  if (!getMixture() || !scope) return success();
  StringRef m = *getMixture();
  if (!lookup<MixtureOp>(scope, m) && !lookup<DatasetOp>(scope, m))
    return emitError() << "`mix` names unknown mixture " << q(m);
  return success();
}

// ---- policies -----------------------------------------------------------------------------

LogicalResult EvaluateOp::verify() {
  if (!oneOf(getMetric(), {"ppl", "loss"}))
    return emitError() << "unknown evaluation metric " << q(getMetric()) << " (expected ppl or loss)";
  if (getSplit() != "val") return emitError() << "evaluation split " << q(getSplit()) << " (expected val)";
  if (getLimit() && int64_t(*getLimit()) < 1) return emitError() << "evaluation limit is " << int64_t(*getLimit()) << " (need >= 1)";
  return verifyInterval(*this, getEveryAttr(), "an evaluation");
}

LogicalResult EvaluateOp::verifySymbolUses(SymbolTableCollection&) {
  Block* scope = resolvedScope(*this);
  if (scope && !lookup<DatasetOp>(scope, getDataset()))
    return emitError() << "evaluation on unknown dataset " << q(getDataset());
  return success();
}

LogicalResult CheckpointOp::verify() {
  if (getKeep() && int64_t(*getKeep()) < 0) return emitError() << "`keep " << int64_t(*getKeep()) << "` (need >= 0)";
  return verifyInterval(*this, getEveryAttr(), "a checkpoint");
}

LogicalResult EventOp::verify() {
  namespace M = plan::methods;
  StringRef t = getTrigger();
  const M::Event* ev = nullptr;
  std::vector<std::string> names;
  for (const auto& e : M::events()) {
    names.push_back(e.on);
    if (t == e.on) ev = &e;
  }
  if (!ev) return emitError() << "unknown event " << q(t) << " (expected " << orList(names) << ")";
  if (ev->metrics.empty() && getWhen()) return emitError() << "the `" << t << "` event takes no condition";
  if (!ev->metrics.empty() && !getWhen()) return emitError() << "event " << q(t) << " needs a condition";
  if (getWhen() && !llvm::is_contained(ev->metrics, getWhenAttr().getMetric().str()))
    return emitError() << "event " << q(t) << " watches " << llvm::join(ev->metrics, " or ") << ", not "
                       << q(getWhenAttr().getMetric());
  if (!llvm::is_contained(M::eventActions(), getAction().str()))
    return emitError() << "unknown event action " << q(getAction()) << " (expected " << orList(M::eventActions()) << ")";
  return success();
}

}  // namespace recipec::ir
