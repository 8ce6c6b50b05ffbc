// Safetensors.h — read and write the safetensors format (huggingface/safetensors).
//
// File layout: u64 little-endian N, then N bytes of JSON header, then the data buffer.
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end)}
// (offsets relative to the buffer, row-major little-endian data) and may hold
// "__metadata__": {string: string}. Supported dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8
// BOOL. Writes go to a temporary file in the same folder, renamed into place, so a crash
// never leaves a half-written file under the final name. Every error names the file.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>

namespace recipec::models {

// A missing, truncated or malformed file (a user error: exit code 1).
struct SafetensorsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SafetensorsFile {
  std::map<std::string, at::Tensor> tensors;  // CPU tensors
  std::map<std::string, std::string> metadata;
};

SafetensorsFile readSafetensors(const std::string& path);

// Tensors are written in the given order (any device, any strides); names must be unique
// and not "__metadata__".
void writeSafetensors(const std::string& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace recipec::models
