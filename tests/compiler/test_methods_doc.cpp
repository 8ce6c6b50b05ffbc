// test_methods_doc.cpp — docs/language.md's table of method parameters is the description
// table (runtime/plan/Methods.h) rendered: a parameter added, or a default or range changed,
// fails here until the docs are regenerated (RECIPEC_UPDATE_GOLDENS=1 rewrites the block).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "runtime/plan/Methods.h"

namespace {

namespace M = recipec::plan::methods;

const char* kBegin = "<!-- parameters: generated from runtime/plan/Methods.h -->\n";
const char* kEnd = "<!-- end of parameters -->\n";

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string render() {
  std::ostringstream os;
  os << "| action | parameter | default | range | meaning |\n|---|---|---|---|---|\n";
  for (const auto& a : M::actions()) {
    for (const auto& p : a.params) {
      std::string range = p.rangeText();
      range = range.substr(std::string("(need ").size(), range.size() - std::string("(need ").size() - 1);
      std::string def = !p.hasDefault() ? "none" : p.percent ? number(p.default_value * 100) + "%" : number(p.default_value);
      os << "| `" << a.spelled() << "` | `" << p.name << "` | " << def << " | " << range << " | " << p.doc << " |\n";
    }
    for (const auto& w : a.words) {
      std::string choices;
      for (const auto& c : w.choices) choices += (choices.empty() ? "`" : ", `") + c + "`";
      os << "| `" << a.spelled() << "` | " << w.name << " | `" << w.choices[0] << "` | " << choices << " | " << w.doc
         << " |\n";
    }
  }
  return os.str();
}

TEST(Docs, MethodParameterTableIsTheDescriptionTable) {
  const std::string path = std::string(RECIPEC_SOURCE_DIR) + "/docs/language.md";
  std::ifstream in(path);
  std::string doc((std::istreambuf_iterator<char>(in)), {});
  const auto b = doc.find(kBegin), e = doc.find(kEnd);
  ASSERT_NE(b, std::string::npos) << "docs/language.md has no generated parameter table";
  ASSERT_NE(e, std::string::npos);
  const auto start = b + std::string(kBegin).size();
  const std::string want = render();
  if (std::getenv("RECIPEC_UPDATE_GOLDENS")) {
    doc.replace(start, e - start, want);
    std::ofstream(path, std::ios::trunc) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(start, e - start), want) << "regenerate with RECIPEC_UPDATE_GOLDENS=1";
}

}  // namespace
