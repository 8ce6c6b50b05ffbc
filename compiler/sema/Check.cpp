// Check.cpp — checks of declarations: names, values, models, the train block.
// Rules, phases and events are in CheckRules.cpp. Codes are listed in docs/errors.md.
#include <glob.h>

#include <filesystem>

#include <cmath>
#include <map>
#include <sstream>

#include "compiler/ast/Printer.h"
#include "compiler/sema/Checker.h"
#include "runtime/data/formats/TextFiles.h"

namespace recipec::sema {

using ast::Expr;
using K = ast::Expr::Kind;

std::string fmtNumber(double v) {
  std::ostringstream ss;
  ss.precision(10);
  ss << v;
  return ss.str();
}

bool check(Program& program, const CheckOptions& options) {
  Checker c(program, options);
  c.run();
  return !program.diags().hasErrors();
}

void Checker::run() {
  if (!p_.root()) return;
  checkDuplicates();
  if (tooManyDeclarations_) return;  // the other checks would only be slow on a generated file
  checkOverrides();
  checkLets();
  for (const auto& [n, t] : s_.tokenizers) checkTokenizer(*t);
  for (const auto& [n, ds] : s_.datasets) checkDataset(*ds);
  for (const auto& [n, m] : s_.mixtures) checkMixtureObject(*m->weights, true, "mixture");
  for (const auto& [n, m] : s_.models) checkModel(*m);
  checkTrain();
  checkPhases();
  for (const auto* e : s_.evaluations) checkEvaluate(*e);
  if (s_.checkpoint) checkCheckpoint(*s_.checkpoint);
  for (const auto* e : s_.events) checkEvent(*e);
  checkWholeRecipe();
}

// ---- helpers ------------------------------------------------------------------------------

diag::Diagnostic& Checker::unknown(const char* kind, const std::string& name, const diag::SourceRange& at,
                                   std::vector<std::string> candidates, const char* code) {
  std::string guess = diag::nearest(name, candidates);
  auto& d = d_.error(code, std::string("unknown ") + kind + " `" + name + "`", at,
                     guess.empty() ? std::string("not declared") : "did you mean `" + guess + "`?");
  if (guess.empty() && !candidates.empty() && candidates.size() <= 12) {
    std::string list;
    for (const auto& c : candidates) list += (list.empty() ? "`" : ", `") + c + "`";
    d.help = std::string("known ") + kind + "s: " + list;
  }
  return d;
}

const Expr* Checker::resolve(const Expr* e) {
  if (!e || e->kind != K::Name) return e;
  auto ov = s_.overrides.find(e->text);
  auto let = s_.lets.find(e->text);
  if (let == s_.lets.end()) return e;  // a plain word (fp32, ascending): the caller decides
  if (resolving_.count(e->text)) return nullptr;  // reported by checkLets
  if (resolving_.size() >= kMaxConstantChain) return nullptr;  // reported by checkLets
  resolving_.insert(e->text);
  const Expr* v = resolve(ov != s_.overrides.end() ? ov->second : let->second->value.get());
  resolving_.erase(e->text);
  return v;
}

void Checker::typeError(const Expr* e, const std::string& what, const std::string& expected) {
  const Expr* r = resolve(e);
  std::string found = r ? ast::exprKindName(r->kind) : "a value";
  if (r && r->kind == K::Quantity) found = "`" + ast::printExpr(*r) + "`";
  auto& d = d_.error("E0370", "expected " + expected + " for " + what + ", found " + found, e->range);
  if (r != e && r) d.secondary.push_back({r->range, "the constant's value"});
}

diag::Diagnostic& Checker::valueError(const char* code, const std::string& message, const Expr* written) {
  auto& d = d_.error(code, message, written->range);
  const Expr* value = resolve(written);
  if (value && value != written) {
    const bool fromSet = written->kind == K::Name && s_.overrides.count(written->text) > 0;
    d.secondary.push_back({value->range, fromSet ? "the value given by `--set " + written->text + "=...`"
                                                 : "the value of constant `" + written->text + "`"});
  }
  return d;
}

std::optional<double> Checker::peekNumber(const Expr* e) {
  const Expr* r = resolve(e);
  if (r && r->kind == K::Number) return r->number;
  if (r && r->kind == K::Neg && r->elements[0]->kind == K::Number) return -r->elements[0]->number;
  return std::nullopt;
}

std::optional<double> Checker::number(const Expr* e, const std::string& what) {
  const Expr* r = resolve(e);
  if (!r) return std::nullopt;
  if (r->kind == K::Number) return r->number;
  if (r->kind == K::Neg) {
    auto v = number(r->elements[0].get(), what);
    return v ? std::optional<double>(-*v) : std::nullopt;
  }
  if (r->kind == K::Name) {
    unknown("constant", r->text, r->range, keys(s_.lets));
    return std::nullopt;
  }
  typeError(e, what, "a number");
  return std::nullopt;
}

std::optional<std::string> Checker::word(const Expr* e, const std::string& what) {
  const Expr* r = resolve(e);
  if (!r) return std::nullopt;
  if (r->kind == K::Name) return r->text;
  if (r->kind == K::String) return r->text;
  typeError(e, what, "a name");
  return std::nullopt;
}

std::optional<std::string> Checker::string(const Expr* e, const std::string& what) {
  const Expr* r = resolve(e);
  if (!r) return std::nullopt;
  if (r->kind == K::String) return r->text;
  typeError(e, what, "a string");
  return std::nullopt;
}

void Checker::checkFields(const Expr& obj, const std::vector<std::string>& allowed,
                          const std::string& what) {
  std::map<std::string, const ast::Field*> seen;
  for (const auto& f : obj.fields) {
    if (f.name.name.empty()) continue;
    if (std::find(allowed.begin(), allowed.end(), f.name.name) == allowed.end()) {
      std::string guess = diag::nearest(f.name.name, allowed);
      auto of = what.find(" of ");
      std::string msg = of == std::string::npos ? "unknown " + what + " `" + f.name.name + "`"
                                                : "unknown " + what.substr(0, of) + " `" + f.name.name + "`" + what.substr(of);
      auto& d = d_.error("E0204", msg, f.name.range,
                         guess.empty() ? "not one of the known names" : "did you mean `" + guess + "`?");
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "`" : ", `") + a + "`";
      d.help = "expected one of " + list;
    }
    auto [it, fresh] = seen.emplace(f.name.name, &f);
    if (!fresh) {
      auto& d = d_.error("E0210", "`" + f.name.name + "` is given twice", f.name.range, "given again here");
      d.secondary.push_back({it->second->name.range, "first given here"});
    }
  }
}

void Checker::missingFile(const std::string& pattern, const diag::SourceRange& at, const char* what,
                          const ast::Expr* written) {
  if (!opt_.checkFiles) return;
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
  size_t n = rc == 0 ? g.gl_pathc : 0;
  globfree(&g);
  if (n == 0) {
    std::string msg = std::string(what) + " `" + pattern + "` matches no file";
    std::string label = !pattern.empty() && pattern[0] == '/'
                            ? "nothing here"
                            : "nothing here (relative paths resolve from the working directory)";
    auto& d = opt_.missingFilesAreErrors ? d_.error("E0401", msg, at, label) : d_.warning("W0401", msg, at, label);
    if (const Expr* value = written ? resolve(written) : nullptr; value && value != written) {
      const bool fromSet = s_.overrides.count(written->text) > 0;
      d.secondary.push_back({value->range, fromSet ? "the path given by `--set " + written->text + "=...`"
                                                   : "the path, from constant `" + written->text + "`"});
    }
    if (!opt_.missingFilesAreErrors) d.notes.push_back("`recipec run` stops with an error if it is still missing then");
    // scripts/setup.sh builds data/ (the default corpus and tokenizers); for a path of the
    // user's own it would be the wrong advice.
    const bool defaultData = pattern.rfind("data/", 0) == 0;
    d.help = std::string(what) == "weights file"
                 ? "produce it with an earlier `recipec run --run-dir DIR` (DIR/model.safetensors)"
             : defaultData ? "run `scripts/setup.sh` to build the default corpus and tokenizers under data/"
             : std::string(what) == "tokenizer file"
                 ? "check the path: a gpt2_bpe folder holds encoder.json and vocab.bpe, an hf path is a tokenizer.json "
                   "(or its folder), a sentencepiece path is its .model file"
                 : "check the path: relative paths resolve from the directory `recipec` runs in";
  }
}

// ---- declarations ---------------------------------------------------------------------------

void Checker::checkDuplicates() {
  for (const auto& file : p_.files()) {
    std::map<std::string, const ast::Ident*> names;
    std::map<std::string, const ast::Ident*> phases;
    size_t declared = 0;
    const ast::Item* train = nullptr;
    const ast::Item* checkpoint = nullptr;
    for (const auto& it : file->items) {
      const ast::Ident* id = nullptr;
      switch (it.kind) {
        case ast::Item::Kind::Let: id = &it.let->name; break;
        case ast::Item::Kind::Tokenizer: id = &it.tokenizer->name; break;
        case ast::Item::Kind::Dataset: id = &it.dataset->name; break;
        case ast::Item::Kind::Mixture: id = &it.mixture->name; break;
        case ast::Item::Kind::Model: id = &it.model->name; break;
        case ast::Item::Kind::Phase: {
          auto [pos, fresh] = phases.emplace(it.phase->name.name, &it.phase->name);
          if (!fresh) {
            auto& d = d_.error("E0210", "phase `" + it.phase->name.name + "` is declared twice",
                               it.phase->name.range, "declared again here");
            d.secondary.push_back({pos->second->range, "first declared here"});
            d.help = "give each phase its own name";
          }
          break;
        }
        case ast::Item::Kind::Train:
        case ast::Item::Kind::Checkpoint: {
          const ast::Item*& first = it.kind == ast::Item::Kind::Train ? train : checkpoint;
          if (first) {
            auto& d = d_.error("E0210", std::string("a second `") + (train == first ? "train" : "checkpoint") +
                                   "` block in one file", it.range, "declared again here");
            d.secondary.push_back({first->range, "first declared here"});
            d.help = "merge the two blocks into one";
          } else {
            first = &it;
          }
          break;
        }
        default: break;
      }
      const ast::Ident* named = id ? id : it.kind == ast::Item::Kind::Phase ? &it.phase->name : nullptr;
      if (named && ++declared == kMaxDeclarations + 1) {
        tooManyDeclarations_ = true;
        // The passes resolve names in the module body; thousands of declarations are a
        // generated file, not an experiment, and only slow every stage down.
        auto& d = d_.error("E0107", "more than " + std::to_string(kMaxDeclarations) + " named declarations in one file",
                           named->range, "declaration " + std::to_string(kMaxDeclarations + 1));
        d.help = "a recipe names its datasets, mixtures and models; point a dataset at many files with a glob";
      }
      if (!id) continue;
      auto [pos, fresh] = names.emplace(id->name, id);
      if (!fresh) {
        auto& d = d_.error("E0210", "`" + id->name + "` is declared twice", id->range,
                           std::string("this ") + ast::itemKindName(it.kind) + " reuses the name");
        d.secondary.push_back({pos->second->range, "first declared here"});
        d.help = "rename one of them; names are shared by constants, tokenizers, datasets, mixtures and models";
      }
    }
  }
}

void Checker::checkOverrides() {
  for (const auto& o : p_.overrides()) {
    if (!s_.lets.count(o.name)) unknown("constant", o.name, o.range, keys(s_.lets), "E0391");
  }
}

void Checker::checkLets() {
  bool reportedLong = false;  // one E0212 names the problem; every link of the chain would repeat it
  for (const auto& [name, let] : s_.lets) {
    // A constant defined through itself never gets a value.
    std::set<std::string> seen{name};
    const Expr* e = let->value.get();
    while (e && e->kind == K::Name && s_.lets.count(e->text)) {
      if (seen.size() > kMaxConstantChain) {
        if (reportedLong) break;
        reportedLong = true;
        auto& d = d_.error("E0212",
                           "constant `" + name + "` is defined through more than " +
                               std::to_string(kMaxConstantChain) + " other constants",
                           let->value->range, "the chain starts here");
        d.help = "give a constant nearer the end of the chain a literal value";
        break;
      }
      if (!seen.insert(e->text).second) {
        if (*seen.begin() != name) break;  // report each cycle once, at its first name
        auto& d = d_.error("E0211", "constant `" + name + "` is defined in terms of itself",
                           let->value->range, "refers back to `" + e->text + "`");
        d.help = "give one of the constants a literal value";
        break;
      }
      e = s_.lets.at(e->text)->value.get();
    }
  }
}

void Checker::checkTokenizer(const ast::TokenizerDecl& t) {
  const Expr& c = *t.init;
  static const std::vector<std::string> kinds{"gpt2_bpe", "hf", "sentencepiece", "bytes"};
  if (std::find(kinds.begin(), kinds.end(), c.text) == kinds.end()) {
    unknown("tokenizer kind", c.text, c.calleeRange, kinds, "E0205");
    return;
  }
  checkFields(c, {}, "tokenizer argument");
  if (c.text == "bytes") return;
  if (c.fields.empty()) {
    d_.error("E0380", "`" + c.text + "` needs a path", c.range, "no path given")
        .help = c.text == "gpt2_bpe" ? "e.g. gpt2_bpe(\"data/gpt2\") (a folder with encoder.json and vocab.bpe)"
                : c.text == "hf"     ? "e.g. hf(\"data/llama3\") (a tokenizer.json, or a folder holding one)"
                                    : "e.g. sentencepiece(\"data/llama/tokenizer.model\")";
    return;
  }
  if (auto path = string(c.fields[0].value.get(), "the tokenizer path")) {
    std::string probe = c.text == "gpt2_bpe" ? *path + "/encoder.json"
                        : c.text == "hf"     ? (std::filesystem::is_directory(*path) ? *path + "/tokenizer.json" : *path)
                                             : *path;
    missingFile(probe, c.fields[0].value->range, "tokenizer file");
  }
}

void Checker::checkDataset(const ast::DatasetDecl& ds) {
  const Expr& c = *ds.source;
  if (c.text != "text" && c.text != "shards") {
    unknown("dataset source", c.text, c.calleeRange, {"text", "shards"}, "E0205");
    return;
  }
  if (c.fields.empty() || !c.fields[0].name.name.empty()) {
    d_.error("E0380", "`" + c.text + "(...)` needs a file pattern first", c.range, "no pattern given")
        .help = c.text == "text" ? "e.g. text(\"data/corpus/english/train/*.txt\", tokenizer = gpt2)"
                                 : "e.g. shards(\"data/shards/web_*.bin\")";
    return;
  }
  if (auto pat = string(c.fields[0].value.get(), "the dataset pattern")) {
    missingFile(*pat, c.fields[0].value->range, "dataset pattern", c.fields[0].value.get());
    checkTextData(c, *pat);
  }
  bool hasTokenizer = false;
  for (size_t i = 1; i < c.fields.size(); ++i) {
    const auto& f = c.fields[i];
    if (f.name.name == "tokenizer") {
      hasTokenizer = true;
      // For text, the tokenizer that encodes it; for shards, whose tokens are already there,
      // the one that made them: its end-of-text id splits documents when a shard has no sidecar.
      if (auto w = word(f.value.get(), "`tokenizer`")) {
        if (!s_.tokenizers.count(*w)) unknown("tokenizer", *w, f.value->range, keys(s_.tokenizers));
      }
    } else if (f.name.name == "field") {
      string(f.value.get(), "`field`");
    } else if (f.name.name.empty()) {
      d_.error("E0370", "extra positional argument to `" + c.text + "`", f.range, "only the pattern is positional")
          .help = "name it: tokenizer = ... or field = ...";
    } else {
      checkFields(c, {"tokenizer", "field"}, std::string("argument of `") + c.text + "`");
      break;
    }
  }
  if (c.text == "text" && !hasTokenizer) {
    auto& d = d_.error("E0380", "text dataset `" + ds.name.name + "` has no tokenizer", c.range,
                       "raw text needs a tokenizer");
    d.help = s_.tokenizers.empty() ? "declare one, e.g. tokenizer gpt2 = gpt2_bpe(\"data/gpt2\"), and add tokenizer = gpt2"
                                   : "add tokenizer = " + s_.tokenizers.begin()->first;
  }
  if (ds.split) {
    if (ds.split->split.name != "val")
      unknown("split", ds.split->split.name, ds.split->split.range, {"val"}, "E0206");
    if (ds.split->path) {
      missingFile(*ds.split->path, ds.split->pathRange, "val split pattern");
      return;
    }
    const Expr& q = *ds.split->fraction;
    if (q.kind != K::Quantity || q.unit != "percent") {
      d_.error("E0300", "a split needs a percentage", q.range, "missing `%`").help =
          "write it as `split val " + fmtNumber(q.kind == K::Number && q.number < 1 ? q.number * 100 : q.number) + "%`";
    } else if (q.number <= 0 || q.number >= 100) {
      d_.error("E0312", "split of " + fmtNumber(q.number) + "% is out of range (need 0% < split < 100%)", q.range);
    }
  }
}

// The first file a dataset matches, read as the run will: for text(...) its first 64 KiB,
// decompressed, in the form its name and `field` say; for shards(...) its header. A recipe
// whose data is not what it says fails here, at the dataset, not minutes into a run
// (runtime/data/formats/TextFiles.h is the one reader).
void Checker::checkTextData(const Expr& source, const std::string& pattern) {
  if (!opt_.checkFiles) return;
  glob_t g{};
  std::string first;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc && first.empty(); ++i) {
      const std::string f = g.gl_pathv[i];
      const bool tokens = f.size() > 4 && (f.compare(f.size() - 4, 4, ".bin") == 0 || f.compare(f.size() - 4, 4, ".npy") == 0);
      if (std::filesystem::is_regular_file(f) && (source.text != "shards" || tokens)) first = f;  // shards: as the runtime picks
    }
  const size_t matched = g.gl_pathc;
  globfree(&g);
  if (first.empty() && matched > 0 && source.text == "shards") {
    d_.error("E0402", "`" + pattern + "` matches " + std::to_string(matched) + " file" + (matched == 1 ? "" : "s") +
                          " but no token file (.bin, .npy)",
             source.fields[0].value->range, "no token files here")
        .help = "shards(...) reads llm.c .bin shards, NumPy .npy token arrays and Megatron-LM .bin + .idx pairs; "
                "for text, use text(...)";
    return;
  }
  if (first.empty()) return;  // W0401 says so
  std::string field;
  for (const auto& f : source.fields)
    if (f.name.name == "field")
      if (const Expr* v = resolve(f.value.get()); v && v->kind == K::String) field = v->text;
  std::string help;
  // For shards, their tokenizer's vocabulary where check knows it: the first ids must fit.
  int64_t vocab = 0;
  for (const auto& f : source.fields)
    if (f.name.name == "tokenizer")
      if (const Expr* t = resolve(f.value.get()); t && t->kind == K::Name && s_.tokenizers.count(t->text)) {
        const Expr& init = *s_.tokenizers.at(t->text)->init;
        const Expr* path = init.fields.empty() ? nullptr : resolve(init.fields[0].value.get());
        vocab = tokenizerVocab(init.text, path && path->kind == K::String ? path->text : "").value_or(0);
      }
  const std::string why = source.text == "shards" ? data::formats::probeTokenFile(first, help, vocab)
                                                  : data::formats::probeTextFile(first, field, help);
  if (why.empty()) return;
  auto& d = d_.error("E0402", why, source.fields[0].value->range, "the first file this pattern matches");
  d.help = help;
}

void Checker::checkMixtureObject(const Expr& objIn, bool allowSchedules, const char* what) {
  const Expr* obj = resolve(&objIn);
  if (!obj) return;
  if (obj->kind != K::Object) {
    typeError(&objIn, std::string("a ") + what, "`{ dataset: weight, ... }`");
    return;
  }
  if (obj->fields.empty()) {
    d_.error("E0311", std::string(what) + " has no entries", obj->range, "empty")
        .help = "list datasets with their weights: { web: 0.8, code: 0.2 }";
    return;
  }
  std::map<std::string, const ast::Field*> seen;
  double sumStart = 0, sumEnd = 0;
  bool ok = true;
  for (const auto& f : obj->fields) {
    if (!isMixable(f.name.name)) {  // the suggestions list only when needed: building it per object is quadratic
      std::vector<std::string> candidates = keys(s_.datasets);
      for (const auto& [n, m] : s_.mixtures) candidates.push_back(n);
      unknown("dataset", f.name.name, f.name.range, candidates);
    }
    auto [it, fresh] = seen.emplace(f.name.name, &f);
    if (!fresh) {
      auto& d = d_.error("E0210", "`" + f.name.name + "` appears twice in one " + what, f.name.range, "again here");
      d.secondary.push_back({it->second->name.range, "first here"});
    }
    for (const Expr* v : {f.value.get(), f.valueEnd.get()}) {
      if (!v) continue;
      auto w = number(v, "the weight of `" + f.name.name + "`");
      if (!w) { ok = false; continue; }
      if (*w < 0) {
        d_.error("E0310", "weight of `" + f.name.name + "` is " + fmtNumber(*w) + " (need >= 0)", v->range,
                 "negative").help = "weights are sampling probabilities; use 0 to leave a dataset out";
        ok = false;
      }
      (v == f.value.get() ? sumStart : sumEnd) += *w;
    }
    if (f.valueEnd && !allowSchedules) {
      d_.error("E0340", std::string("a schedule `a -> b` is not allowed in a ") + what, f.valueEnd->range);
      ok = false;
    }
    if (!f.valueEnd) sumEnd += f.value ? peekNumber(f.value.get()).value_or(0) : 0;
  }
  const bool ramp = std::any_of(obj->fields.begin(), obj->fields.end(), [](const ast::Field& f) { return f.valueEnd != nullptr; });
  if (ok && (!std::isfinite(sumStart) || !std::isfinite(sumEnd))) {
    // Normalising divides by the sum: past the double range every weight would become 0.
    d_.error("E0312", std::string(what) + " weights sum past the largest number (about 1.8e308)", obj->range,
             "weights too large")
        .help = "weights are relative: { a: 1, b: 1 } is the same mixture as { a: 1e308, b: 1e308 }";
  } else if (ok && sumStart <= 0) {
    d_.error("E0311", std::string(what) + (ramp ? " weights at the start of the schedule sum to " : " weights sum to ") +
                          fmtNumber(sumStart) + " (need > 0)", obj->range,
             ramp ? "every weight starts at zero" : "every weight is zero")
        .help = ramp ? "a ramp `a -> b` starts at `a`: give at least one dataset a positive starting weight"
                     : "give at least one dataset a positive weight";
  } else if (ok && sumEnd <= 0) {
    d_.error("E0311", std::string(what) + " weights at the end of the schedule sum to " + fmtNumber(sumEnd) +
                          " (need > 0)", obj->range, "every end weight is zero");
  }
}

// Effective model fields after following `model a = b { ... }` chains to an architecture.
struct ModelShape {
  std::string arch;
  std::map<std::string, std::pair<double, diag::SourceRange>> fields;
};

static const std::vector<std::string> kModelFields{
    "layers", "d_model", "heads", "kv_heads", "d_ff", "vocab", "ctx",
    "norm_eps", "rope_theta", "init_std", "dropout", "tie_embeddings"};

void Checker::checkModel(const ast::ModelDecl& m) {
  ModelShape shape;
  std::vector<const ast::ModelDecl*> chain;
  const ast::ModelDecl* cur = &m;
  std::set<std::string> seen;
  while (cur) {
    if (!seen.insert(cur->name.name).second) {
      d_.error("E0211", "model `" + m.name.name + "` is based on itself", m.base.range, "the chain comes back here");
      return;
    }
    if (chain.size() >= kMaxConstantChain) {  // bounded like `let` chains: linear checks, bounded passes
      if (reportedLongModelChain_) return;
      reportedLongModelChain_ = true;
      d_.error("E0212", "model `" + m.name.name + "` is based on a chain of more than " +
                            std::to_string(kMaxConstantChain) + " models",
               m.base.range, "the chain starts here")
          .help = "base a model nearer the end of the chain on `gpt2` or `llama` directly";
      return;
    }
    chain.push_back(cur);
    const std::string& base = cur->base.name;
    if (base == "gpt2" || base == "llama") { shape.arch = base; break; }
    auto it = s_.models.find(base);
    if (it == s_.models.end()) {
      if (cur == &m) {
        std::vector<std::string> c = keys(s_.models);
        c.push_back("gpt2");
        c.push_back("llama");
        auto& d = unknown("model or architecture", base, cur->base.range, c);
        if (s_.models.empty()) d.help = "model presets live in stdlib: add `use \"stdlib/models.recipe\"`";
      }
      return;  // an unknown base further down is reported at its own declaration
    }
    cur = it->second;
  }
  // Apply overrides from the architecture outwards.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!(*it)->overrides) continue;
    if (*it == &m) checkFields(*(*it)->overrides, kModelFields, "model field");
    for (const auto& f : (*it)->overrides->fields) {
      if (std::find(kModelFields.begin(), kModelFields.end(), f.name.name) == kModelFields.end()) continue;
      const Expr* v = resolve(f.value.get());
      if (f.name.name == "tie_embeddings") {
        if (*it == &m && v && !(v->kind == K::Name && (v->text == "true" || v->text == "false")))
          typeError(f.value.get(), "`tie_embeddings`", "`true` or `false`");
        continue;
      }
      if (!v || (v->kind != K::Number)) {
        if (*it == &m) number(f.value.get(), "model field `" + f.name.name + "`");
        continue;
      }
      shape.fields[f.name.name] = {v->number, f.value->range};
    }
  }
  auto get = [&](const char* k) -> std::optional<std::pair<double, diag::SourceRange>> {
    auto it = shape.fields.find(k);
    if (it == shape.fields.end()) return std::nullopt;
    return it->second;
  };
  for (const char* k : {"layers", "d_model", "heads", "kv_heads", "d_ff", "vocab", "ctx"}) {
    if (auto v = get(k)) {
      if (v->first <= 0 || !isWhole(v->first))
        d_.error("E0312", std::string("model field `") + k + "` is " + fmtNumber(v->first) +
                              " (need a positive whole number" + wholeLimit(v->first) + ")", v->second);
    }
  }
  // The same ranges the dialect's verifier holds (compiler/mlir/Ops.cpp), reported here at
  // the field so that `check` passes nothing `compile` rejects.
  for (const char* k : {"norm_eps", "rope_theta", "init_std"})
    if (auto v = get(k); v && v->first <= 0)
      d_.error("E0312", std::string("model field `") + k + "` is " + fmtNumber(v->first) + " (need > 0)", v->second);
  if (auto v = get("dropout"); v && (v->first < 0 || v->first >= 1))
    d_.error("E0312", "model field `dropout` is " + fmtNumber(v->first) + " (need 0 <= dropout < 1)", v->second)
        .help = "dropout is the probability of zeroing an activation: 0.1 is typical, 0 for pretraining";
  auto dm = get("d_model"), heads = get("heads"), kv = get("kv_heads");
  if (!dm || !heads) {
    auto& d = d_.error("E0380", "model `" + m.name.name + "` does not say its " +
                                    std::string(!dm ? "`d_model`" : "`heads`"), m.name.range, "incomplete shape");
    d.help = "add it to the overrides, e.g. { d_model: 256, heads: 4 }";
    return;
  }
  if (dm->first > 0 && heads->first > 0 && std::fmod(dm->first, heads->first) != 0) {
    auto& d = d_.error("E0360", "model `" + m.name.name + "`: " + fmtNumber(heads->first) +
                                    " heads do not divide d_model " + fmtNumber(dm->first),
                       heads->second, "heads set here");
    d.secondary.push_back({dm->second, "d_model set here"});
    d.notes.push_back("each head gets d_model / heads = " + fmtNumber(dm->first / heads->first) + " dimensions");
    d.help = "choose heads among the divisors of " + fmtNumber(dm->first);
  }
  if (kv && heads->first > 0 && kv->first > 0 && std::fmod(heads->first, kv->first) != 0) {
    auto& d = d_.error("E0361", "model `" + m.name.name + "`: " + fmtNumber(kv->first) +
                                    " kv_heads do not divide " + fmtNumber(heads->first) + " heads",
                       kv->second, "kv_heads set here");
    d.secondary.push_back({heads->second, "heads set here"});
    d.help = "grouped-query attention shares each kv head among heads / kv_heads query heads";
  }
  if (kv && kv->first > heads->first) {
    d_.error("E0361", "model `" + m.name.name + "`: kv_heads " + fmtNumber(kv->first) + " exceeds heads " +
                          fmtNumber(heads->first), kv->second);
  }
}

}  // namespace recipec::sema

namespace recipec::sema {
std::optional<double> Checker::modelField(const std::string& model, const std::string& field) {
  std::set<std::string> seen;
  const ast::ModelDecl* cur = s_.models.count(model) ? s_.models.at(model) : nullptr;
  while (cur && seen.insert(cur->name.name).second) {
    if (cur->overrides)
      for (const auto& f : cur->overrides->fields)
        if (f.name.name == field) {
          const Expr* v = resolve(f.value.get());
          return v && v->kind == K::Number ? std::optional<double>(v->number) : std::nullopt;
        }
    const std::string& base = cur->base.name;
    if (base == "gpt2" || base == "llama") {
      if (field == "ctx") return base == "gpt2" ? 1024 : 2048;
      return std::nullopt;
    }
    cur = s_.models.count(base) ? s_.models.at(base) : nullptr;
  }
  return std::nullopt;
}
}  // namespace recipec::sema
