// DataError.h — the one exception type of recipec_data.
//
// Contract: every user-facing data problem (missing file, corrupt or truncated shard, bad
// tokenizer files, a glob that matches nothing, an exhausted no-reuse dataset) throws
// DataError with a message that names the file or dataset and the problem, lower-case with
// names in backticks (docs/architecture.md: these map to exit code 1). Programming errors
// (bad arguments from code) throw std::invalid_argument / std::logic_error instead.
#pragma once

#include <stdexcept>
#include <string>

namespace recipec::data {

struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace recipec::data
