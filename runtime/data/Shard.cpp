// Shard.cpp — shard writer, mmap reader and the checks that name what is wrong with a file.
#include "runtime/data/Shard.h"

#include "runtime/data/formats/TokenFiles.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/data/DataError.h"
#include "runtime/data/Sha256.h"

namespace recipec::data {
namespace {

constexpr size_t kHeaderBytes = kShardHeaderInts * sizeof(int32_t);

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw DataError("shard `" + path + "` " + problem);
}

void writeFileAtomically(const std::string& path, const std::string& a, const std::string& b = "") {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError("cannot write `" + tmp + "`: " + std::strerror(errno));
    out.write(a.data(), std::streamsize(a.size()));
    out.write(b.data(), std::streamsize(b.size()));
    if (!out.flush()) throw DataError("error writing `" + tmp + "` (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw DataError("cannot rename `" + tmp + "` to `" + path + "`: " + ec.message());
}

}  // namespace

std::string writeShard(const std::string& path, const std::vector<int32_t>& tokens,
                       const std::vector<int64_t>& doc_starts, const ShardMeta& meta) {
  int32_t max_token = 0;
  for (int32_t t : tokens) {
    if (t < 0) throw std::invalid_argument("writeShard: negative token id");
    max_token = std::max(max_token, t);
  }
  const bool wide = meta.vocab_size > 65536 || max_token > 65535;
  std::string header(kHeaderBytes, '\0');
  int32_t* h = reinterpret_cast<int32_t*>(header.data());
  h[0] = kShardMagic;
  h[1] = wide ? 2 : 1;
  h[2] = int32_t(tokens.size());
  if (tokens.size() > size_t(INT32_MAX)) throw std::invalid_argument("writeShard: more than 2^31-1 tokens");
  std::string body(tokens.size() * (wide ? 4 : 2), '\0');
  if (wide) {
    std::memcpy(body.data(), tokens.data(), body.size());
  } else {
    auto* p = reinterpret_cast<uint16_t*>(body.data());
    for (size_t i = 0; i < tokens.size(); ++i) p[i] = uint16_t(tokens[i]);
  }
  Sha256 hash;
  hash.update(header);
  hash.update(body);
  const std::string sha = hash.hexDigest();

  std::error_code ec;
  std::filesystem::remove(path + ".json", ec);  // a stale sidecar must never describe the new file
  writeFileAtomically(path, header, body);
  nlohmann::json side = {{"format", "recipec-shard"},  {"version", 1},
                         {"tokens", tokens.size()},    {"sha256", sha},
                         {"eot_id", meta.eot_id},      {"vocab_size", meta.vocab_size},
                         {"tokenizer", meta.tokenizer}, {"doc_starts", doc_starts}};
  writeFileAtomically(path + ".json", side.dump() + "\n");
  return sha;
}

namespace {

int32_t readInt32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool isNpy(int fd) {
  char head[6];
  return ::pread(fd, head, 6, 0) == 6 && std::memcmp(head, "\x93NUMPY", 6) == 0;
}

struct MegatronLayout {
  size_t width = 0;
  bool is_signed = false;
  std::vector<int64_t> doc_starts;
};

// Megatron-LM's indexed dataset: `x.idx` = magic, version 1, dtype, sequence and document
// counts, sequence lengths (int32), sequence byte offsets (int64), document indices (int64:
// the sequence each document starts at, then the sequence count). `x.bin` is the tokens.
MegatronLayout megatronLayout(const std::string& path, const std::string& idx, size_t bin_size) {
  MegatronLayout l;
  std::ifstream in(idx, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto need = [&](size_t at, size_t n) {
    if (at + n > bytes.size()) fail(idx, "is truncated (Megatron index of `" + path + "`)");
  };
  auto u64 = [&](size_t at) { need(at, 8); uint64_t v; std::memcpy(&v, bytes.data() + at, 8); return v; };
  if (u64(9) != 1) fail(idx, "is a Megatron index of version " + std::to_string(u64(9)) + " (expected 1)");
  need(17, 1);
  const int dtype = static_cast<unsigned char>(bytes[17]);
  if (dtype == 8) l.width = 2;                          // uint16
  else if (dtype == 4) { l.width = 4; l.is_signed = true; }  // int32
  else fail(idx, "has token dtype code " + std::to_string(dtype) + "; recipec reads uint16 (8) and int32 (4)");
  const uint64_t seqs = u64(18), docs = u64(26);
  size_t at = 34;
  need(at, seqs * 4 + seqs * 8 + docs * 8);
  std::vector<int32_t> lengths(seqs);
  std::memcpy(lengths.data(), bytes.data() + at, seqs * 4);
  at += seqs * 4;
  std::vector<int64_t> pointers(seqs), doc_index(docs);
  std::memcpy(pointers.data(), bytes.data() + at, seqs * 8);
  at += seqs * 8;
  std::memcpy(doc_index.data(), bytes.data() + at, docs * 8);
  if (bin_size % l.width != 0) fail(path, "is not a whole number of " + std::to_string(l.width) + "-byte tokens");
  int64_t total = 0;
  for (uint64_t i = 0; i < seqs; ++i) {
    if (lengths[i] < 0 || pointers[i] != total * int64_t(l.width))
      fail(idx, "places sequence " + std::to_string(i) + " at byte " + std::to_string(pointers[i]) + " where " +
                     std::to_string(total * int64_t(l.width)) + " was expected");
    total += lengths[i];
  }
  if (size_t(total) * l.width != bin_size)
    fail(path, "holds " + std::to_string(bin_size / l.width) + " tokens, but its index `" + idx + "` counts " +
                   std::to_string(total));
  if (docs == 0 || doc_index.front() != 0 || uint64_t(doc_index.back()) != seqs)
    fail(idx, "has document indices that do not run from 0 to its sequence count");
  for (uint64_t d = 0; d + 1 < docs; ++d) {
    if (doc_index[d + 1] < doc_index[d]) fail(idx, "has decreasing document indices at entry " + std::to_string(d + 1));
    if (doc_index[d + 1] == doc_index[d]) continue;  // an empty document
    l.doc_starts.push_back(pointers[size_t(doc_index[d])] / int64_t(l.width));
  }
  return l;
}

}  // namespace

ShardReader::ShardReader(const std::string& path, int32_t eot_id, Verify verify) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot be opened: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "is not a regular file");
  }
  map_size_ = size_t(st.st_size);
  const bool npy = map_size_ >= 10 && isNpy(fd);
  const std::string idx = npy ? std::string() : formats::megatronIndexOf(path);
  if (!npy && idx.empty() && map_size_ < kHeaderBytes) {
    ::close(fd);
    fail(path, "is truncated: " + std::to_string(map_size_) + " bytes, but the header alone is 1024");
  }
  void* m = map_size_ == 0 ? MAP_FAILED : ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) fail(path, map_size_ == 0 ? std::string("is empty") : std::string("cannot be mapped: ") + std::strerror(errno));
  map_ = static_cast<const uint8_t*>(m);
  body_ = map_ + kHeaderBytes;
  try {
    size_t width = 0;
    bool megatron_docs = false;
    if (npy) {
      const formats::NpyLayout l = formats::npyLayout(path, std::string_view(reinterpret_cast<const char*>(map_), map_size_), map_size_);
      width = l.width;
      signed_ = l.is_signed;
      num_tokens_ = l.count;
      body_ = map_ + l.offset;
      version_ = width == 2 ? 1 : 2;
    } else if (!idx.empty() && readInt32(map_) != kShardMagic && readInt32(map_) != kLlmcLlama3Magic) {
      const MegatronLayout l = megatronLayout(path, idx, map_size_);
      width = l.width;
      signed_ = l.is_signed;
      num_tokens_ = int64_t(map_size_ / width);
      body_ = map_;
      version_ = width == 2 ? 1 : 2;
      doc_starts_ = l.doc_starts;
      megatron_docs = true;
    } else {
      if (map_size_ < kHeaderBytes)
        fail(path, "is truncated: " + std::to_string(map_size_) + " bytes, but the header alone is 1024");
    int32_t h[3];
    std::memcpy(h, map_, sizeof(h));
    if (h[0] == kShardMagic && (h[1] == 1 || h[1] == 2)) {
      version_ = h[1];
      width = h[1] == 1 ? 2 : 4;
    } else if (h[0] == kLlmcLlama3Magic && h[1] == 7) {
      version_ = 2;
      width = 4;
    } else if (h[0] == kShardMagic) {
      fail(path, "has unsupported version " + std::to_string(h[1]) + " (expected 1 = uint16 or 2 = uint32)");
    } else {
      fail(path, "has bad magic " + std::to_string(h[0]) + " (expected 20240520): not a token shard");
    }
    if (h[2] < 0) fail(path, "declares a negative token count " + std::to_string(h[2]));
    num_tokens_ = h[2];
    const size_t expected = kHeaderBytes + size_t(num_tokens_) * width;
    if (map_size_ < expected)
      fail(path, "is truncated: header declares " + std::to_string(num_tokens_) + " tokens (" +
                     std::to_string(expected) + " bytes) but the file has " + std::to_string(map_size_) + " bytes");
    if (map_size_ > expected)
      fail(path, "has " + std::to_string(map_size_ - expected) + " bytes after the " + std::to_string(num_tokens_) +
                     " tokens its header declares (size mismatch)");
    }

    const std::string side_path = path + ".json";
    std::ifstream side_in(npy || megatron_docs ? std::string() : side_path);
    bool scanned = false;
    if (side_in) {
      has_sidecar_ = true;
      std::stringstream ss;
      ss << side_in.rdbuf();
      nlohmann::json side;
      try {
        side = nlohmann::json::parse(ss.str());
      } catch (const nlohmann::json::exception& e) {
        fail(path, "has an unreadable sidecar `" + side_path + "`: " + e.what());
      }
      if (!side.is_object() || !side.contains("tokens") || !side.contains("sha256"))
        fail(path, "has a sidecar `" + side_path + "` without `tokens` and `sha256`");
      if (side["tokens"].get<int64_t>() != num_tokens_)
        fail(path, "holds " + std::to_string(num_tokens_) + " tokens but its sidecar says " +
                       std::to_string(side["tokens"].get<int64_t>()));
      if (verify == Verify::kChecksum) {
        const std::string want = side["sha256"].get<std::string>();
        const std::string got = sha256Hex(map_, map_size_);
        if (got != want) fail(path, "fails its checksum: sidecar says sha256 " + want + ", the file hashes to " + got);
      }
      sidecar_eot_ = side.value("eot_id", -1);
      sidecar_vocab_ = side.value("vocab_size", int64_t(0));
      if (side.contains("doc_starts")) doc_starts_ = side["doc_starts"].get<std::vector<int64_t>>();
      for (size_t i = 0; i < doc_starts_.size(); ++i)
        if (doc_starts_[i] < 0 || doc_starts_[i] >= num_tokens_ || (i > 0 && doc_starts_[i] <= doc_starts_[i - 1]) ||
            (i == 0 && doc_starts_[0] != 0))
          fail(path, "has a sidecar whose doc_starts are not increasing offsets from 0 inside the shard (entry " +
                         std::to_string(i) + ")");
      if (doc_starts_.empty() && num_tokens_ > 0) doc_starts_.push_back(0);
      scanned = verify == Verify::kChecksum;
    }
    if (!has_sidecar_ || scanned) {
      // One pass: the largest id (checked against the model's vocabulary) and, for a shard
      // from llm.c, document starts at end-of-text tokens.
      // Megatron's index gives the documents; a .npy array splits at end-of-text like llm.c.
      const bool find_docs = !has_sidecar_ && !megatron_docs;
      if (find_docs && num_tokens_ > 0 && (eot_id < 0 || token(0) != eot_id)) doc_starts_.push_back(0);
      int32_t mx = -1;
      for (int64_t i = 0; i < num_tokens_; ++i) {
        const int64_t t = width == 2 ? int64_t(reinterpret_cast<const uint16_t*>(body_)[i])
                          : signed_  ? int64_t(reinterpret_cast<const int32_t*>(body_)[i])
                                     : int64_t(reinterpret_cast<const uint32_t*>(body_)[i]);
        if (t < 0 || t > INT32_MAX)
          fail(path, "holds token id " + std::to_string(t) + " at token offset " + std::to_string(i) +
                         ": not a vocabulary id");
        if (t > mx) {
          mx = int32_t(t);
          max_token_offset_ = i;
        }
        if (find_docs && t == eot_id && eot_id >= 0) doc_starts_.push_back(i);
      }
      max_token_ = mx;
    }
  } catch (...) {
    release();
    throw;
  }
}

ShardReader::~ShardReader() { release(); }

void ShardReader::release() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_size_);
  map_ = nullptr;
  body_ = nullptr;
}

ShardReader::ShardReader(ShardReader&& o) noexcept { *this = std::move(o); }

ShardReader& ShardReader::operator=(ShardReader&& o) noexcept {
  if (this != &o) {
    release();
    path_ = std::move(o.path_);
    version_ = o.version_;
    num_tokens_ = o.num_tokens_;
    map_ = o.map_;
    map_size_ = o.map_size_;
    body_ = o.body_;
    has_sidecar_ = o.has_sidecar_;
    doc_starts_ = std::move(o.doc_starts_);
    max_token_ = o.max_token_;
    sidecar_eot_ = o.sidecar_eot_;
    sidecar_vocab_ = o.sidecar_vocab_;
    max_token_offset_ = o.max_token_offset_;
    signed_ = o.signed_;
    o.map_ = nullptr;
    o.body_ = nullptr;
  }
  return *this;
}

int32_t ShardReader::token(int64_t i) const {
  if (i < 0 || i >= num_tokens_) throw std::out_of_range("ShardReader::token index out of range");
  return version_ == 1 ? int32_t(reinterpret_cast<const uint16_t*>(body_)[i]) : reinterpret_cast<const int32_t*>(body_)[i];
}

void ShardReader::copyTokens(int64_t begin, int64_t n, int32_t* out) const {
  if (begin < 0 || n < 0 || begin + n > num_tokens_) throw std::out_of_range("ShardReader::copyTokens range out of bounds");
  if (version_ == 1) {
    const uint16_t* p = reinterpret_cast<const uint16_t*>(body_) + begin;
    for (int64_t i = 0; i < n; ++i) out[i] = p[i];
  } else {
    std::memcpy(out, reinterpret_cast<const int32_t*>(body_) + begin, size_t(n) * 4);
  }
}

}  // namespace recipec::data
