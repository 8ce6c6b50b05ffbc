// Safetensors.cpp — see Safetensors.h. Assumes a little-endian host (x86-64, aarch64).
#include "runtime/models/Safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace recipec::models {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

const std::vector<std::pair<std::string, at::ScalarType>>& dtypeTable() {
  static const std::vector<std::pair<std::string, at::ScalarType>> table = {
      {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
      {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
      {"U8", at::kByte},    {"BOOL", at::kBool}};
  return table;
}

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw SafetensorsError("safetensors `" + path + "`: " + why);
}

}  // namespace

SafetensorsFile readSafetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, "cannot open (" + std::string(std::strerror(errno)) + ")");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  if (file_size < 8) fail(path, "file is " + std::to_string(file_size) + " bytes, too short");
  in.seekg(0);
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeader || header_len > file_size - 8)
    fail(path, "header length " + std::to_string(header_len) + " exceeds the file (" +
                   std::to_string(file_size) + " bytes): truncated or not safetensors");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  const uint64_t data_start = 8 + header_len, data_size = file_size - data_start;

  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::parse_error& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(path, "header is not a JSON object");

  SafetensorsFile out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& [name, e] : j.items()) {
    if (name == "__metadata__") {
      if (!e.is_object()) fail(path, "`__metadata__` is not an object");
      for (auto& [k, v] : e.items()) {
        if (!v.is_string()) fail(path, "metadata `" + k + "` is not a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor `" + name + "`: ";
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") ||
        !e.contains("data_offsets") || !e["dtype"].is_string() || !e["shape"].is_array() ||
        !e["data_offsets"].is_array() || e["data_offsets"].size() != 2)
      fail(path, where + "entry needs dtype, shape and data_offsets [begin, end]");
    const std::string dtype = e["dtype"].get<std::string>();
    auto dt = std::find_if(dtypeTable().begin(), dtypeTable().end(),
                           [&](const auto& p) { return p.first == dtype; });
    if (dt == dtypeTable().end()) fail(path, where + "unsupported dtype `" + dtype + "`");
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned()) fail(path, where + "shape has a non-integer or negative entry");
      shape.push_back(d.get<int64_t>());
      numel *= d.get<uint64_t>();
    }
    for (const auto& o : e["data_offsets"])
      if (!o.is_number_unsigned()) fail(path, where + "data_offsets must be non-negative integers");
    const uint64_t begin = e["data_offsets"][0].get<uint64_t>();
    const uint64_t end = e["data_offsets"][1].get<uint64_t>();
    const uint64_t nbytes = numel * c10::elementSize(dt->second);
    if (begin > end || end > data_size)
      fail(path, where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") out of range of the " + std::to_string(data_size) + "-byte data buffer");
    if (end - begin != nbytes)
      fail(path, where + "data_offsets span " + std::to_string(end - begin) + " bytes, " +
                     dtype + " of this shape needs " + std::to_string(nbytes));
    ranges.emplace_back(begin, end);

    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dt->second));
    in.seekg(static_cast<std::streamoff>(data_start + begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(nbytes));
    if (!in) fail(path, where + "read failed");
    out.tensors.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) fail(path, "two tensors' data overlap");
  return out;
}

void writeSafetensors(const std::string& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || header.contains(name))
      fail(path, "cannot write tensor name `" + name + "` (reserved or duplicated)");
    if (!tensor.defined()) fail(path, "tensor `" + name + "` is undefined");
    auto dt = std::find_if(dtypeTable().begin(), dtypeTable().end(),
                           [&](const auto& p) { return p.second == tensor.scalar_type(); });
    if (dt == dtypeTable().end())
      fail(path, "tensor `" + name + "` has a dtype safetensors cannot hold");
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const uint64_t nbytes = t.numel() * t.element_size();
    header[name] = {{"dtype", dt->first}, {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(std::move(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data buffer 8-byte aligned
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(text.size() >> (8 * i));

  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail(path, "cannot create `" + tmp + "` (" + std::strerror(errno) + ")");
  auto write_all = [&](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd, c, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      c += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  bool ok = write_all(len_bytes, 8) && write_all(text.data(), text.size());
  for (const auto& t : data)
    ok = ok && write_all(t.data_ptr(), static_cast<size_t>(t.numel() * t.element_size()));
  const int saved_errno = errno;
  ok = ok && ::fsync(fd) == 0;  // the rename must not publish data still in the page cache
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved_errno);
    std::remove(tmp.c_str());
    fail(path, "write failed (" + why + ")");
  }
}

}  // namespace recipec::models
