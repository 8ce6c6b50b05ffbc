// test_docs.cpp — the documentation generated from the ODS (docs/dialect.md) is the one
// committed.
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

}  // namespace
}  // namespace recipec::testing
