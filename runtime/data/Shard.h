// Shard.h — token shards in the llm.c / nanoGPT `.bin` format, with a checksum sidecar; the
// same reader takes NumPy `.npy` token arrays (OLMo-core, Dolma: 1-D uint16, uint32 or int32,
// documents split at end-of-text) and Megatron-LM indexed datasets (`x.bin` beside `x.idx`,
// uint16 or int32 tokens, documents from the index). Every id is checked when the file is
// opened: a negative or out-of-range one names the file and its token offset.
//
// Contract (file layout, little-endian):
//   header: 256 int32: [0] magic 20240520, [1] version, [2] token count N, the rest 0
//   body:   N tokens, uint16 for version 1, uint32 for version 2 (vocabularies > 65,536)
// llm.c's Llama-3 shards (magic 20240801, version 7, uint32) are read as version 2.
// Sidecar `<shard>.bin.json` (written by recipec, optional on read so llm.c shards work):
//   {"format":"recipec-shard","version":1,"tokens":N,"sha256":"<hex of the whole .bin>",
//    "doc_starts":[0, ...],"eot_id":..,"vocab_size":..,"tokenizer":".."}
// doc_starts are the offsets where documents begin (each at its leading end-of-text token);
// without a sidecar the reader derives them from end-of-text positions.
// Every problem found on open (missing file, short header, bad magic/version, size that does
// not match the count, sidecar count or checksum mismatch, bad doc_starts) throws DataError
// naming the file and the problem. The reader mmaps the file and never copies it whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace recipec::data {

inline constexpr int32_t kShardMagic = 20240520;
inline constexpr int32_t kLlmcLlama3Magic = 20240801;
inline constexpr int kShardHeaderInts = 256;

struct ShardMeta {
  int64_t vocab_size = 0;        // picks the token width: uint16 when <= 65,536
  int32_t eot_id = -1;
  std::string tokenizer;         // tokenizer fingerprint, informational
};

// Writes `tokens` as a shard plus its sidecar (checksum, document starts). Writes to a
// temporary name and renames, so a crash never leaves a half-written shard under the real name.
// Returns the sha256 of the .bin file.
std::string writeShard(const std::string& path, const std::vector<int32_t>& tokens,
                       const std::vector<int64_t>& doc_starts, const ShardMeta& meta);

enum class Verify { kChecksum, kSizeOnly };  // kSizeOnly skips hashing (e.g. a trusted cache)

class ShardReader {
 public:
  // eot_id is used to find document starts when the shard has no sidecar (-1: one document).
  explicit ShardReader(const std::string& path, int32_t eot_id = -1, Verify verify = Verify::kChecksum);
  ~ShardReader();
  ShardReader(ShardReader&& other) noexcept;
  ShardReader& operator=(ShardReader&& other) noexcept;
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  const std::string& path() const { return path_; }
  int version() const { return version_; }           // 1 = uint16 tokens, 2 = uint32 tokens
  int64_t numTokens() const { return num_tokens_; }
  bool hasSidecar() const { return has_sidecar_; }
  const std::vector<int64_t>& docStarts() const { return doc_starts_; }
  int32_t maxToken() const { return max_token_; }    // -1 when not scanned (sidecar + kSizeOnly)
  int64_t maxTokenOffset() const { return max_token_offset_; }  // where maxToken() first is
  int32_t sidecarEot() const { return sidecar_eot_; }
  int64_t sidecarVocab() const { return sidecar_vocab_; }

  int32_t token(int64_t i) const;
  // Copies tokens [begin, begin+n) widened to int32.
  void copyTokens(int64_t begin, int64_t n, int32_t* out) const;

 private:
  void release();
  std::string path_;
  int version_ = 0;
  int64_t num_tokens_ = 0;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  const uint8_t* body_ = nullptr;
  bool has_sidecar_ = false;
  std::vector<int64_t> doc_starts_;
  int32_t max_token_ = -1;
  int64_t max_token_offset_ = -1;
  bool signed_ = false;  // int32 tokens (a .npy `<i4`, Megatron int32): negative ids are refused
  int32_t sidecar_eot_ = -1;
  int64_t sidecar_vocab_ = 0;
};

}  // namespace recipec::data
