// MegatronWriter.h — a test helper shared by the data and runtime tests: writes a Megatron-LM
// indexed dataset from its documented layout, sharing no code with runtime/data/Shard.cpp.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace recipec::data::testutil {

// Megatron-LM's indexed dataset from its layout (MMIDIDX index, version 1): one sequence per
// document here, as its preprocessing writes them.
inline void writeMegatron(const std::string& stem, const std::vector<std::vector<uint16_t>>& docs) {
  std::ofstream bin(stem + ".bin", std::ios::binary), idx(stem + ".idx", std::ios::binary);
  std::vector<int32_t> lengths;
  std::vector<int64_t> pointers, doc_index{0};
  int64_t at = 0;
  for (const auto& d : docs) {
    bin.write(reinterpret_cast<const char*>(d.data()), std::streamsize(d.size() * 2));
    lengths.push_back(int32_t(d.size()));
    pointers.push_back(at);
    at += int64_t(d.size() * 2);
    doc_index.push_back(int64_t(lengths.size()));
  }
  const uint64_t version = 1, seqs = lengths.size(), ndocs = doc_index.size();
  const uint8_t dtype = 8;  // uint16
  idx.write("MMIDIDX\0\0", 9);
  idx.write(reinterpret_cast<const char*>(&version), 8);
  idx.write(reinterpret_cast<const char*>(&dtype), 1);
  idx.write(reinterpret_cast<const char*>(&seqs), 8);
  idx.write(reinterpret_cast<const char*>(&ndocs), 8);
  idx.write(reinterpret_cast<const char*>(lengths.data()), std::streamsize(seqs * 4));
  idx.write(reinterpret_cast<const char*>(pointers.data()), std::streamsize(seqs * 8));
  idx.write(reinterpret_cast<const char*>(doc_index.data()), std::streamsize(ndocs * 8));
}

}  // namespace recipec::data::testutil
