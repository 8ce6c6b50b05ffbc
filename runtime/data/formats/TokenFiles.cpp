// TokenFiles.cpp — see TokenFiles.h.
#include "runtime/data/formats/TokenFiles.h"

#include <cstring>
#include <fstream>

#include "runtime/data/DataError.h"

namespace recipec::data::formats {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw DataError("shard `" + path + "` " + problem);
}

}  // namespace

std::string megatronIndexOf(const std::string& path) {
  if (path.size() < 4 || path.compare(path.size() - 4, 4, ".bin") != 0) return "";
  const std::string idx = path.substr(0, path.size() - 4) + ".idx";
  std::ifstream in(idx, std::ios::binary);
  char magic[9];
  if (!in.read(magic, 9) || std::memcmp(magic, "MMIDIDX\0\0", 9) != 0) return "";
  return idx;
}

NpyLayout npyLayout(const std::string& path, std::string_view head, size_t size) {
  NpyLayout l;
  const auto* map = reinterpret_cast<const uint8_t*>(head.data());
  if (head.size() < 12) fail(path, "is truncated inside its .npy header");
  const int major = map[6];
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = size_t(map[8]) | size_t(map[9]) << 8;
    start = 10;
  } else if ((major == 2 || major == 3) && size >= 12) {
    header_len = size_t(map[8]) | size_t(map[9]) << 8 | size_t(map[10]) << 16 | size_t(map[11]) << 24;
    start = 12;
  } else {
    fail(path, "is a .npy of unsupported version " + std::to_string(major));
  }
  if (start + header_len > head.size()) fail(path, "is truncated inside its .npy header");
  const std::string header(reinterpret_cast<const char*>(map) + start, header_len);
  auto field = [&](const std::string& key) {
    const size_t at = header.find("'" + key + "'");
    if (at == std::string::npos) fail(path, "has a .npy header without '" + key + "'");
    const size_t colon = header.find(':', at);
    return header.substr(colon + 1);
  };
  const std::string descr = field("descr");
  const size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  const std::string type = q1 == std::string::npos || q2 == std::string::npos ? "" : descr.substr(q1 + 1, q2 - q1 - 1);
  if (type == "<u2" || type == "|u2") l.width = 2;
  else if (type == "<u4") l.width = 4;
  else if (type == "<i4") { l.width = 4; l.is_signed = true; }
  else
    fail(path, "is a .npy array of `" + type + "`; token arrays are uint16 (<u2), uint32 (<u4) or int32 (<i4)");
  if (field("fortran_order").find("True") < field("fortran_order").find(','))
    fail(path, "is a Fortran-ordered .npy array; token arrays are 1-D");
  const std::string shape = field("shape");
  const size_t open = shape.find('('), close = shape.find(')');
  const std::string dims = shape.substr(open + 1, close - open - 1);
  const size_t comma = dims.find(',');
  if (comma == std::string::npos || dims.find_first_not_of(" ", comma + 1) != std::string::npos)
    fail(path, "is a .npy array of shape (" + dims + "); token arrays are 1-D (N,)");
  l.count = std::stoll(dims.substr(0, comma));
  l.offset = start + header_len;
  const size_t expected = l.offset + size_t(l.count) * l.width;
  if (size != expected)
    fail(path, "holds " + std::to_string(size - l.offset) + " bytes of data, but its .npy header declares " +
                   std::to_string(l.count) + " tokens (" + std::to_string(size_t(l.count) * l.width) + " bytes)");
  return l;
}

}  // namespace recipec::data::formats
