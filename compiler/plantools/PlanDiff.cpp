// PlanDiff.cpp — tree diff of two plans (see PlanDiff.h).
#include "compiler/plantools/PlanDiff.h"

#include <cstdio>
#include <cstdlib>
#include <regex>

#include <map>

#include "compiler/plantools/PlanPaths.h"
#include "compiler/plantools/PlanTree.h"

namespace recipec::plandiff {

namespace {

std::string fingerprint(const Node& n) {
  if (n.leaf) return n.key + "=" + n.comparable();
  std::string s = n.key + "{";
  for (const Node& c : n.children) s += fingerprint(c) + ";";
  return s + "}";
}

// A rule's fingerprint without its position, so that an inserted rule does not make every
// later one look changed.
std::string content(const Node& n) {
  std::string s;
  for (const Node& c : n.children) s += fingerprint(c) + ";";
  return s;
}

std::string describe(const Node& n) { return n.leaf ? n.value : n.summary; }

// Where a changed value was written. When it came from a constant whose value differs
// between the two plans (an ablation overriding a `let`), that is the constant's declaration;
// otherwise the entity's own position.
// An entity may use several constants that both differ (`focus when ppl > above every
// often`): the one whose value is the changed value written is the one that changed it.
std::string whereFrom(const std::vector<std::string>& used, const std::string& fallback, const plan::Plan& self,
                      const plan::Plan& other, const std::string& value) {
  std::string first;
  for (const std::string& c : used) {
    auto mine = self.constants.find(c), theirs = other.constants.find(c);
    bool differs = mine == self.constants.end() || theirs == other.constants.end() || mine->second != theirs->second;
    if (!differs) continue;
    auto s = self.sources.find("constant " + c);
    if (s == self.sources.end()) continue;
    if (mine != self.constants.end() && mine->second == value) return s->second;
    if (first.empty()) first = s->second;
  }
  return first.empty() ? fallback : first;
}

class Differ {
 public:
  Differ(const plan::Plan& a, const plan::Plan& b) : pa_(a), pb_(b) {}
  std::vector<Change> out;

  void node(const Node& a, const Node& b, const std::string& path, std::string srcA, std::string srcB,
            std::vector<std::string> usedA = {}, std::vector<std::string> usedB = {}) {
    if (!a.source.empty()) srcA = a.source;
    if (!b.source.empty()) srcB = b.source;
    if (!a.constants.empty()) usedA = a.constants;
    if (!b.constants.empty()) usedB = b.constants;
    if (a.leaf || b.leaf) {
      if (a.comparable() != b.comparable())
        out.push_back({path, "changed", describe(a), describe(b), whereFrom(usedA, srcA, pa_, pb_, describe(a)),
                       whereFrom(usedB, srcB, pb_, pa_, describe(b))});
      return;
    }

    if (a.sequence) return sequence(a, b, path, srcA, srcB, usedA, usedB);
    std::map<std::string, const Node*> inB;
    for (const Node& c : b.children) inB[c.key] = &c;
    std::map<std::string, const Node*> inA;
    for (const Node& c : a.children) inA[c.key] = &c;
    for (const Node& ca : a.children) {
      auto it = inB.find(ca.key);
      if (it == inB.end()) removed(ca, path, srcA);
      else node(ca, *it->second, child(path, ca), srcA, srcB, usedA, usedB);
    }
    for (const Node& cb : b.children)
      if (!inA.count(cb.key)) added(cb, path, srcB);
    if (a.ordered) order(a, b, inA, inB, path);
  }

 private:
  static std::string child(const std::string& path, const Node& n) {
    return n.transparent ? path : planpath::join(path, n.key);
  }

  void removed(const Node& n, const std::string& path, const std::string& src) {
    out.push_back({planpath::join(path, n.key), "removed", describe(n), "", n.source.empty() ? src : n.source, ""});
  }
  void added(const Node& n, const std::string& path, const std::string& src) {
    out.push_back({planpath::join(path, n.key), "added", "", describe(n), "", n.source.empty() ? src : n.source});
  }

  // Phases run in order: the same phases in another order is one change.
  void order(const Node& a, const Node& b, const std::map<std::string, const Node*>& inA,
             const std::map<std::string, const Node*>& inB, const std::string& path) {
    std::vector<std::string> ka, kb;
    for (const Node& c : a.children)
      if (inB.count(c.key)) ka.push_back(c.key);
    for (const Node& c : b.children)
      if (inA.count(c.key)) kb.push_back(c.key);
    if (ka == kb) return;
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& k : v) s += (s.empty() ? "" : ", ") + k;
      return s;
    };
    out.push_back({planpath::join(path, "phase order"), "changed", list(ka), list(kb),
                   a.children.empty() ? "" : a.children.front().source, b.children.empty() ? "" : b.children.front().source});
  }

  // Rules: align equal rules (longest common subsequence), then pair the rules between
  // two aligned ones in order; what is left over was added or removed.
  void sequence(const Node& a, const Node& b, const std::string& path, const std::string& srcA, const std::string& srcB,
                const std::vector<std::string>& usedA, const std::vector<std::string>& usedB) {
    const auto& A = a.children;
    const auto& B = b.children;
    size_t n = A.size(), m = B.size();
    std::vector<std::vector<size_t>> lcs(n + 1, std::vector<size_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;)
      for (size_t j = m; j-- > 0;)
        lcs[i][j] = content(A[i]) == content(B[j]) ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    size_t i = 0, j = 0;
    std::vector<size_t> gapA, gapB;
    auto flush = [&] {
      size_t k = 0;
      for (; k < gapA.size() && k < gapB.size(); ++k)
        node(A[gapA[k]], B[gapB[k]], child(path, A[gapA[k]]), srcA, srcB, usedA, usedB);
      for (size_t x = k; x < gapA.size(); ++x) removed(A[gapA[x]], path, srcA);
      for (size_t x = k; x < gapB.size(); ++x) added(B[gapB[x]], path, srcB);
      gapA.clear();
      gapB.clear();
    };
    while (i < n || j < m) {
      if (i < n && j < m && content(A[i]) == content(B[j])) {
        flush();
        ++i;
        ++j;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        gapB.push_back(j++);
      } else {
        gapA.push_back(i++);
      }
    }
    flush();
  }

  const plan::Plan& pa_;
  const plan::Plan& pb_;
};

}  // namespace

std::vector<Change> diffPlans(const plan::Plan& a, const plan::Plan& b) {
  Differ d(a, b);
  d.node(planTree(a), planTree(b), "", "", "");
  return d.out;
}

// Numbers with many digits (a normalised mixture weight is 0.0909090909091) read at 4
// significant digits, unless that would make the two sides look the same.
static void roundForReading(std::string& before, std::string& after) {
  static const std::regex longNumber("-?[0-9]+\\.[0-9]{5,}(e-?[0-9]+)?");
  auto round = [](const std::string& text) {
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), longNumber), end; it != end; ++it) {
      out.append(last, text.cbegin() + it->position());
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", std::strtod(it->str().c_str(), nullptr));
      out += buf;
      last = text.cbegin() + it->position() + it->length();
    }
    out.append(last, text.cend());
    return out;
  };
  std::string b = round(before), a = round(after);
  if (b != a) {
    before = b;
    after = a;
  }
}

std::string renderText(const std::vector<Change>& changes, const std::string& nameA, const std::string& nameB) {
  if (changes.empty()) return "no difference in meaning between " + nameA + " and " + nameB + "\n";
  std::string s = nameA + " -> " + nameB + ": " + std::to_string(changes.size()) + " difference" +
                  (changes.size() == 1 ? "" : "s") + "\n";
  // `->` inside a value is a ramp (`web 0.8 -> 0.2`), so before and after go on their own
  // lines, each with where it was written.
  auto at = [](const std::string& src) { return src.empty() ? std::string() : "   (" + src + ")"; };
  for (const Change& c : changes) {
    if (c.kind == "changed") {
      std::string before = c.before, after = c.after;
      roundForReading(before, after);
      s += "  " + c.path + "\n";
      s += "      was  " + before + at(c.sourceBefore) + "\n";
      s += "      now  " + after + at(c.sourceAfter) + "\n";
    } else if (c.kind == "added") {
      s += "  " + c.path + ": added (" + c.after + ")" + at(c.sourceAfter) + "\n";
    } else {
      s += "  " + c.path + ": removed (" + c.before + ")" + at(c.sourceBefore) + "\n";
    }
  }
  return s;
}

std::string renderJson(const std::vector<Change>& changes, const std::string& nameA, const std::string& nameB) {
  nlohmann::json j;
  j["a"] = nameA;
  j["b"] = nameB;
  j["identical"] = changes.empty();
  j["changes"] = nlohmann::json::array();
  for (const Change& c : changes)
    j["changes"].push_back({{"path", c.path}, {"kind", c.kind}, {"before", c.before}, {"after", c.after},
                            {"source_before", c.sourceBefore}, {"source_after", c.sourceAfter}});
  return j.dump(2) + "\n";
}

}  // namespace recipec::plandiff
