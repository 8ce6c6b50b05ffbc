// TokenFiles.h — the headers of the token files other stacks write, read in one place: the
// shard reader (runtime/data/Shard.cpp) maps the whole file, `check` (TextFiles.h,
// probeTokenFile) only its first bytes. Part of recipec_formats (no dependencies).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace recipec::data::formats {

struct NpyLayout {
  size_t width = 0, offset = 0;  // bytes per token; where the data starts
  int64_t count = 0;
  bool is_signed = false;        // `<i4`
};

// NumPy's .npy: magic, version, a header dict ('descr', 'fortran_order', 'shape'), the data.
// `head` holds at least the header; `size` is the whole file's. A 1-D `<u2`, `<u4` or `<i4`
// array whose data fills the file, else a DataError naming the file and the problem.
NpyLayout npyLayout(const std::string& path, std::string_view head, size_t size);

// `x.bin` beside `x.idx` whose magic is Megatron-LM's: the path of the index, else "".
std::string megatronIndexOf(const std::string& path);

}  // namespace recipec::data::formats
