// CheckWhole.cpp — checks that read several declarations at once, and rules that can have no
// effect (warnings). Where phases start and end (E0382, E0383) is judged on the resolved
// recipe by the passes that compute it (compiler/mlir/passes/AssignPhaseRanges.cpp), which
// `check` runs too.
//
//   E0210  two events on one trigger in a file (`on nan: rollback`, `on nan: skip`): both named
//   E0211  a mixture that contains itself (a -> b -> a), the chain shown
//   E0212  mixtures nested more than 64 deep (the DFS here and the passes are bounded)
//   E0380  `val.ppl(d.val)` on a dataset without a val split
//   W0410  a second `mix` at a phase's start: the first never takes effect
//   W0411  a re-ranking `focus`/`drop`/`order ... every N` in a phase that records nothing:
//          it ranks the same table each time
//   W0412  `remix` in the first phase: no phase before it to measure
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "compiler/ast/Printer.h"
#include "compiler/sema/Checker.h"

namespace recipec::sema {

using ast::Expr;
using K = ast::Expr::Kind;

namespace {

bool isRanking(const ast::Rule& r) {
  const std::string& kw = r.action.keyword.name;
  return r.action.kind == ast::Action::Kind::Order || kw == "focus" || kw == "drop";
}

// Ids a built-in tokenizer can produce: bytes() 257 (256 bytes and end-of-text, as
// runtime/data/Tokenizer.h), gpt2_bpe the entries of its encoder.json. nullopt when only the
// run can tell (sentencepiece, or files not there yet).
}  // namespace

namespace {

std::optional<int64_t> readTokenizerVocab(const std::string& kind, const std::string& path) {
  if (kind == "bytes") return 257;
  if (kind == "hf") {  // the model's vocabulary and the added tokens: the largest id + 1
    std::error_code ec;
    std::ifstream in(std::filesystem::is_directory(path, ec) ? path + "/tokenizer.json" : path);
    if (!in) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("model") || !j["model"].contains("vocab")) return std::nullopt;
    int64_t n = 0;
    for (const auto& [tok, id] : j["model"]["vocab"].items())
      if (id.is_number_integer()) n = std::max<int64_t>(n, id.get<int64_t>() + 1);
    for (const auto& a : j.value("added_tokens", nlohmann::json::array()))
      if (a.is_object() && a.contains("id") && a["id"].is_number_integer()) n = std::max<int64_t>(n, a["id"].get<int64_t>() + 1);
    return n;
  }
  if (kind != "gpt2_bpe") return std::nullopt;
  std::ifstream in(path + "/encoder.json");
  if (!in) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.empty()) return std::nullopt;  // the runtime reports a damaged file
  return int64_t(j.size());
}

}  // namespace

std::optional<int64_t> tokenizerVocab(const std::string& kind, const std::string& path) {
  // Once per tokenizer and process: the vocabulary check and each shards dataset ask, and an
  // hf tokenizer.json is megabytes of JSON.
  static std::map<std::string, std::optional<int64_t>> known;
  const std::string key = kind + "\n" + path;
  auto it = known.find(key);
  if (it == known.end()) it = known.emplace(key, readTokenizerVocab(kind, path)).first;
  return it->second;
}

namespace {
}  // namespace

void Checker::checkVocabulary() {
  if (!s_.train.count("model")) return;
  const Expr* m = resolve(s_.train.at("model")->value.get());
  if (!m || m->kind != K::Name || !s_.models.count(m->text)) return;
  // Where the model's vocabulary is written: the nearest override along its preset chain.
  const ast::Field* vocabAt = nullptr;
  std::set<std::string> seen;
  for (const ast::ModelDecl* cur = s_.models.at(m->text); cur && !vocabAt && seen.insert(cur->name.name).second;
       cur = s_.models.count(cur->base.name) ? s_.models.at(cur->base.name) : nullptr)
    if (cur->overrides)
      for (const auto& f : cur->overrides->fields)
        if (f.name.name == "vocab") vocabAt = &f;
  auto vocab = modelField(m->text, "vocab");
  if (!vocab || !vocabAt) return;
  std::set<std::string> reported;
  for (const auto& [name, ds] : s_.datasets) {
    for (const auto& f : ds->source->fields) {
      if (f.name.name != "tokenizer") continue;
      const Expr* t = resolve(f.value.get());
      if (!t || t->kind != K::Name || !s_.tokenizers.count(t->text) || !reported.insert(t->text).second) continue;
      const Expr& init = *s_.tokenizers.at(t->text)->init;
      const Expr* path = init.fields.empty() ? nullptr : resolve(init.fields[0].value.get());
      auto ids = tokenizerVocab(init.text, path && path->kind == K::String ? path->text : "");
      if (!ids || double(*ids) <= *vocab) continue;
      auto& d = d_.error("E0312", "model `" + m->text + "` has `vocab: " + fmtNumber(*vocab) + "`, fewer rows than the " +
                                      std::to_string(*ids) + " ids of tokenizer `" + t->text + "`",
                         vocabAt->value->range, "too few embedding rows");
      d.secondary.push_back({s_.tokenizers.at(t->text)->name.range, "makes ids up to " + std::to_string(*ids - 1)});
      d.help = "set `vocab: " + std::to_string(*ids) + "` (or more: a multiple of 64 is faster)";
    }
  }
}

void Checker::checkWholeRecipe() {
  checkVocabulary();
  // Events: one per trigger in a file (the loader keeps the last; a file that `extends`
  // another replaces the base's event on purpose, so only one file's own are compared).
  for (const auto& file : p_.files()) {
    std::map<std::string, const ast::EventDecl*> events;
    for (const auto& it : file->items) {
      if (it.kind != ast::Item::Kind::Event) continue;
      const ast::EventDecl* e = it.event.get();
      const std::string key = e->named ? e->named->name : e->condition ? e->condition->metric.name : "";
      if (key.empty()) continue;
      auto [at, fresh] = events.emplace(key, e);
      if (fresh) continue;
      auto& d = d_.error("E0210", "a second event on `" + key + "`: only one would take effect", e->range,
                         "this one replaces the first");
      d.secondary.push_back({at->second->range, "first given here"});
      d.help = "keep one: an event on `" + key + "` takes one action (`rollback`, `skip` or `stop`)";
    }
  }

  // Mixtures that contain themselves, through other mixtures.
  std::map<std::string, int> state;  // 0 unvisited, 1 on the path, 2 done
  std::vector<std::string> path;
  constexpr size_t kMaxMixtureNesting = 64;
  bool reportedDeep = false;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    state[name] = 1;
    path.push_back(name);
    const ast::MixtureDecl* m = s_.mixtures.at(name);
    if (m->weights && m->weights->kind == K::Object) {
      for (const auto& f : m->weights->fields) {
        const std::string& next = f.name.name;
        if (!s_.mixtures.count(next) || s_.datasets.count(next)) continue;  // a dataset of that name wins
        if (path.size() >= kMaxMixtureNesting) {
          // Bounded like `let` chains: the passes that flatten mixtures recurse on them.
          if (!reportedDeep) {
            auto& d = d_.error("E0212", "mixture `" + path.front() + "` nests more than " +
                                            std::to_string(kMaxMixtureNesting) + " mixtures deep",
                               f.name.range, "too deep here");
            d.help = "name the datasets directly in a mixture nearer the top";
          }
          reportedDeep = true;
        } else if (state[next] == 1) {
          std::string chain;
          for (auto at = std::find(path.begin(), path.end(), next); at != path.end(); ++at) chain += *at + " -> ";
          auto& d = d_.error("E0211", "mixture `" + next + "` contains itself: " + chain + next, f.name.range,
                             "the chain comes back here");
          d.secondary.push_back({s_.mixtures.at(next)->name.range, "`" + next + "` is declared here"});
          d.help = "a mixture may hold datasets and other mixtures, but not itself";
        } else if (state[next] == 0) {
          visit(next);
        }
      }
    }
    path.pop_back();
    state[name] = 2;
  };
  for (const auto& [name, m] : s_.mixtures)
    if (state[name] == 0) visit(name);

  for (const ast::PhaseDecl* ph : s_.phases) {
    const ast::Rule* firstMix = nullptr;
    bool records = false;
    for (const auto& r : ph->rules) records = records || r.action.kind == ast::Action::Kind::Record;
    for (const auto& r : ph->rules) {
      // Conditions on a validation split need the split.
      if (r.when && r.when->metric.name == "val.ppl" && r.when->argument) {
        const std::string& arg = r.when->argument->name;
        auto ds = s_.datasets.find(arg.substr(0, arg.find('.')));
        if (ds != s_.datasets.end()) requireValSplit(*ds->second, r.when->argument->range, "measured here");
      }
      // Two mixes at the phase start: the second replaces the first before a step is taken.
      if (r.action.kind == ast::Action::Kind::Mix && !r.when && !r.every) {
        if (firstMix) {
          auto& d = d_.warning("W0410", "this `mix` replaces the one before it at the start of phase `" +
                                            ph->name.name + "`",
                               r.action.keyword.range, "this mixture is used");
          d.secondary.push_back({firstMix->action.keyword.range, "never used"});
          d.help = "keep one `mix`; to change the mixture during the phase, write a ramp `{ a: 0.8 -> 0.2 }` or "
                   "`mix ... when ...`";
        }
        firstMix = &r;
      }
      // Re-ranking a table nothing updates gives the same answer each time.
      if (isRanking(r) && r.every && !records) {
        auto& d = d_.warning("W0411", "`" + r.action.keyword.name + "` re-ranks every " +
                                          (r.every->quantity ? ast::printExpr(*r.every->quantity) : std::string("epoch")) +
                                          ", but phase `" + ph->name.name + "` records no per-block table",
                             r.every->range, "the same table each time");
        d.notes.push_back("the table changes only where a phase has `record ppl per block`");
        d.help = "add `record ppl per block` to phase `" + ph->name.name + "`, or drop `every` to rank once";
      }
      // `remix` reads the phase before; the first phase has none.
      if (ph == s_.phases.front() && r.action.keyword.name == "remix") {
        auto& d = d_.warning("W0412", "`remix` in the first phase has no earlier phase to measure", r.action.keyword.range,
                             "the mixture stays as written");
        d.notes.push_back("`remix` re-weights a phase's mixture from each source's perplexity change in the phase before");
        d.help = "move `remix` to the second round (a later phase)";
      }
    }
  }
}

}  // namespace recipec::sema
