// test_docs.cpp — the documentation generated from the ODS (docs/dialect.md from the
// dialect, docs/passes.md from Passes.td) is the one committed.
#include "MlirTestUtil.h"

namespace recipec::testing {
namespace {

// docs/dialect.md is generated from the ODS at build time; the committed copy must be it.
TEST(Docs, CommittedDialectDocIsCurrent) {
  std::string generated = readFile(RECIPEC_DIALECT_DOC);
  ASSERT_FALSE(generated.empty()) << RECIPEC_DIALECT_DOC;
  EXPECT_EQ(readFile(kSource + "/docs/dialect.md"), generated)
      << "docs/dialect.md is stale: cp " RECIPEC_DIALECT_DOC " docs/dialect.md";
}

// docs/passes.md likewise, from Passes.td.
TEST(Docs, CommittedPassDocIsCurrent) {
  std::string generated = readFile(RECIPEC_PASS_DOC);
  ASSERT_FALSE(generated.empty()) << RECIPEC_PASS_DOC;
  EXPECT_EQ(readFile(kSource + "/docs/passes.md"), generated)
      << "docs/passes.md is stale: cp " RECIPEC_PASS_DOC " docs/passes.md";
}

}  // namespace
}  // namespace recipec::testing
