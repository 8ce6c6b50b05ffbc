// Sha256.h — SHA-256 (FIPS 180-4), for shard checksums and content-hash cache keys.
//
// Contract: Sha256 is incremental (update any number of times, then hexDigest once); the
// digest equals `sha256sum`'s. Self-contained so recipec_data needs no crypto library.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace recipec::data {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> digest();
  std::string hexDigest();  // 64 lower-case hex digits

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256Hex(const void* data, size_t n);
// Hashes a whole file by streaming it; throws DataError naming the file if it can't be read.
std::string sha256File(const std::string& path);

}  // namespace recipec::data
