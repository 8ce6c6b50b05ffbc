// NllFile.cpp — the per-token NLL file of EvalJob.h.
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "runtime/analyze/EvalJob.h"

namespace recipec::analyze {
namespace {
constexpr char kMagic[] = "RECIPEC-NLL1\n";
constexpr size_t kMagicLen = sizeof(kMagic) - 1;
}  // namespace

void writeNllFile(const std::string& path, const NllData& d) {
  nlohmann::json header{{"checkpoints", d.checkpoints}, {"datasets", nlohmann::json::array()}};
  for (const auto& s : d.sets) {
    for (const auto& v : s.nll)
      if (int64_t(v.size()) != s.tokens()) throw std::runtime_error("nll file: dataset `" + s.name + "` is ragged");
    header["datasets"].push_back({{"name", s.name}, {"tokens", s.tokens()}, {"seq_len", s.seq_len}, {"blocks", s.blocks}});
  }
  const std::string h = header.dump();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    const uint64_t n = h.size();
    out.write(kMagic, kMagicLen);
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(h.data(), std::streamsize(h.size()));
    for (const auto& s : d.sets) {
      out.write(reinterpret_cast<const char*>(s.ids.data()), std::streamsize(s.ids.size() * sizeof(int32_t)));
      for (const auto& v : s.nll) out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
    }
    if (!out) throw std::runtime_error("cannot write `" + tmp + "`");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename `" + tmp + "` to `" + path + "`");
}

NllData readNllFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open `" + path + "`");
  char magic[kMagicLen];
  uint64_t n = 0;
  in.read(magic, kMagicLen);
  in.read(reinterpret_cast<char*>(&n), sizeof n);
  if (!in || std::memcmp(magic, kMagic, kMagicLen) != 0 || n > (1u << 30))
    throw std::runtime_error("`" + path + "` is not a recipec NLL file");
  std::string h(n, '\0');
  in.read(h.data(), std::streamsize(n));
  NllData d;
  try {
    const auto header = nlohmann::json::parse(h);
    header.at("checkpoints").get_to(d.checkpoints);
    for (const auto& e : header.at("datasets")) {
      NllSet s;
      e.at("name").get_to(s.name);
      e.at("seq_len").get_to(s.seq_len);
      e.at("blocks").get_to(s.blocks);
      const auto tokens = e.at("tokens").get<int64_t>();
      if (tokens < 0 || tokens > (int64_t(1) << 34)) throw std::runtime_error("bad token count");
      s.ids.resize(size_t(tokens + 1));
      s.nll.assign(d.checkpoints.size(), std::vector<float>(size_t(tokens)));
      d.sets.push_back(std::move(s));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("`" + path + "` has a malformed header: " + e.what());
  }
  for (auto& s : d.sets) {
    in.read(reinterpret_cast<char*>(s.ids.data()), std::streamsize(s.ids.size() * sizeof(int32_t)));
    for (auto& v : s.nll) in.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  }
  if (!in) throw std::runtime_error("`" + path + "` is truncated");
  return d;
}

}  // namespace recipec::analyze
