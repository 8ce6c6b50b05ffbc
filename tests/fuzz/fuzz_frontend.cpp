// fuzz_frontend.cpp — libFuzzer target for the whole front end: any bytes go through the
// lexer, parser, AST builder, loader and every semantic check. A crash, a sanitizer report
// or an uncaught exception is a bug; diagnostics are the expected outcome for junk.
// Built and run by scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/sema/Check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  recipec::sema::Program program;
  // A fixed name inside a folder with no imports: `use` of anything fails cleanly (E0350).
  if (program.loadText("/nonexistent-fuzz-dir/fuzz.recipe", text, {"lr=3e-4"}))
    recipec::sema::check(program, recipec::sema::CheckOptions{false});
  (void)program.diags().render(false);
  return 0;
}
