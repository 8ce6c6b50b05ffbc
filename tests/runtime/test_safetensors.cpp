// test_safetensors.cpp — runtime/models/Safetensors: exact round trips of every dtype,
// metadata, byte layout (what other readers rely on), atomic writes, errors that name the
// file for each kind of damage, and model weights through a file under HF names.
// (That Python reads these files is shown by test_parity.cpp's reference script.)
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "runtime/models/Model.h"
#include "runtime/models/Safetensors.h"

using namespace recipec;
using namespace recipec::models;
namespace fs = std::filesystem;

namespace {

fs::path freshDir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / ("recipec_st_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// A file with a hand-made header over `data_bytes` zero bytes.
std::string handMade(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

std::string readError(const fs::path& p) {
  try {
    readSafetensors(p.string());
  } catch (const SafetensorsError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Safetensors, RoundTripEveryDtypeExactly) {
  fs::path dir = freshDir("roundtrip");
  torch::manual_seed(0);
  at::Tensor f32 = at::randn({3, 4});
  std::vector<std::pair<std::string, at::Tensor>> in = {
      {"f32", f32},
      {"bf16", at::randn({5}).to(at::kBFloat16)},
      {"f16", at::randn({2, 2}).to(at::kHalf)},
      {"f64", at::randn({3}, at::kDouble)},
      {"i64", at::arange(-3, 6, at::kLong).view({3, 3})},
      {"i32", at::arange(7, at::kInt)},
      {"u8", at::arange(250, 256, at::kLong).to(at::kByte)},
      {"bool", at::tensor({1, 0, 1}).to(at::kBool)},
      {"scalar", at::tensor(2.5f).reshape({})},
      {"empty", at::zeros({0, 4})},
      {"strided", f32.t()},  // non-contiguous input is written row-major
  };
  const fs::path file = dir / "t.safetensors";
  writeSafetensors(file.string(), in, {{"format", "pt"}, {"step", "12"}});
  SafetensorsFile out = readSafetensors(file.string());
  EXPECT_EQ(out.metadata, (std::map<std::string, std::string>{{"format", "pt"}, {"step", "12"}}));
  ASSERT_EQ(out.tensors.size(), in.size());
  for (const auto& [name, t] : in) {
    const at::Tensor& r = out.tensors.at(name);
    EXPECT_EQ(r.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(r.sizes(), t.sizes()) << name;
    EXPECT_TRUE(at::equal(r, t)) << name;
  }
  // No temporary file is left beside the result.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(Safetensors, ByteLayoutFollowsTheSpec) {
  fs::path dir = freshDir("layout");
  const fs::path file = dir / "t.safetensors";
  writeSafetensors(file.string(), {{"a", at::tensor({1.0f, 2.0f})}, {"b", at::tensor({int64_t{7}})}});
  const std::string bytes = slurp(file);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u);  // data buffer aligned, as the reference writer does
  auto h = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(h["a"]["dtype"], "F32");
  EXPECT_EQ(h["a"]["data_offsets"], nlohmann::json({0, 8}));
  EXPECT_EQ(h["b"]["dtype"], "I64");
  EXPECT_EQ(h["b"]["data_offsets"], nlohmann::json({8, 16}));
  ASSERT_EQ(bytes.size(), 8 + n + 16);
  float second;
  std::memcpy(&second, bytes.data() + 8 + n + 4, 4);  // little-endian row-major
  EXPECT_EQ(second, 2.0f);
}

TEST(Safetensors, OverwriteReplacesAtomically) {
  fs::path dir = freshDir("overwrite");
  const fs::path file = dir / "t.safetensors";
  writeSafetensors(file.string(), {{"x", at::zeros({1000})}});
  writeSafetensors(file.string(), {{"y", at::ones({2})}});
  auto r = readSafetensors(file.string());
  EXPECT_EQ(r.tensors.count("x"), 0u);
  EXPECT_TRUE(at::equal(r.tensors.at("y"), at::ones({2})));
  // A failing write (folder missing) leaves nothing behind and says which file.
  try {
    writeSafetensors((dir / "no/such/dir/t.safetensors").string(), {{"x", at::zeros({1})}});
    FAIL() << "expected SafetensorsError";
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/t.safetensors"), std::string::npos);
  }
  EXPECT_THROW(writeSafetensors(file.string(), {{"x", at::zeros({1})}, {"x", at::zeros({1})}}),
               SafetensorsError);
}

TEST(Safetensors, DamagedFilesAreNamedInErrors) {
  fs::path dir = freshDir("damaged");
  const fs::path good = dir / "good.safetensors";
  writeSafetensors(good.string(), {{"w", at::randn({4, 4})}});
  const std::string bytes = slurp(good);

  const fs::path truncated = dir / "truncated.safetensors";
  spit(truncated, bytes.substr(0, bytes.size() - 10));
  std::string e = readError(truncated);
  EXPECT_NE(e.find("truncated.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;

  const fs::path tiny = dir / "tiny.safetensors";
  spit(tiny, "abc");
  e = readError(tiny);
  EXPECT_NE(e.find("tiny.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("too short"), std::string::npos) << e;

  const fs::path huge_len = dir / "huge_len.safetensors";
  spit(huge_len, handMade("{}", 0).replace(0, 8, std::string("\xff\xff\xff\x00\x00\x00\x00\x00", 8)));
  e = readError(huge_len);
  EXPECT_NE(e.find("header length"), std::string::npos) << e;

  const fs::path bad_json = dir / "bad_json.safetensors";
  spit(bad_json, handMade("{\"w\": [", 0));
  e = readError(bad_json);
  EXPECT_NE(e.find("bad_json.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;

  const fs::path bad_dtype = dir / "bad_dtype.safetensors";
  spit(bad_dtype, handMade(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2));
  e = readError(bad_dtype);
  EXPECT_NE(e.find("unsupported dtype `F8_E4M3`"), std::string::npos) << e;

  const fs::path bad_size = dir / "bad_size.safetensors";
  spit(bad_size, handMade(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
  e = readError(bad_size);
  EXPECT_NE(e.find("tensor `w`"), std::string::npos) << e;
  EXPECT_NE(e.find("needs 12"), std::string::npos) << e;

  const fs::path overlap = dir / "overlap.safetensors";
  spit(overlap, handMade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                         12));
  e = readError(overlap);
  EXPECT_NE(e.find("overlap"), std::string::npos) << e;

  e = readError(dir / "absent.safetensors");
  EXPECT_NE(e.find("absent.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot open"), std::string::npos) << e;
}

TEST(Safetensors, ModelWeightsThroughAFileUnderHfNames) {
  fs::path dir = freshDir("model");
  for (auto arch : {"gpt2", "llama"}) {
    plan::Model c;
    c.name = "m";
    c.arch = arch;
    c.n_layer = 2, c.n_head = 4, c.n_kv_head = arch == std::string("llama") ? 1 : 0;
    c.d_model = 32, c.d_ff = 40, c.vocab_size = 61, c.max_seq_len = 16;
    c.tie_embeddings = arch == std::string("gpt2");
    torch::manual_seed(1);
    auto a = buildModel(c);
    auto b = buildModel(c, /*random_init=*/false);  // `init from`: the load fills every weight
    const fs::path file = dir / (std::string(arch) + ".safetensors");
    writeSafetensors(file.string(), a->hfStateDict());
    SafetensorsFile f = readSafetensors(file.string());
    const std::string probe = arch == std::string("gpt2") ? "h.1.attn.c_attn.weight"
                                                          : "model.layers.1.self_attn.v_proj.weight";
    EXPECT_EQ(f.tensors.count(probe), 1u) << arch;
    auto missing = f.tensors;
    missing.erase(probe);
    EXPECT_THROW(buildModel(c, false)->loadHfStateDict(missing), std::invalid_argument) << arch;
    b->loadHfStateDict(f.tensors);
    at::Tensor idx = at::randint(61, {2, 9}, at::kLong);
    EXPECT_TRUE(at::equal(a->forward(idx), b->forward(idx))) << arch;
    auto pa = a->parameters(), pb = b->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(at::equal(pa[i], pb[i])) << arch << " parameter " << i;
    // bf16 files load into fp32 models (dtype converted on copy).
    writeSafetensors(file.string(), [&] {
      auto sd = a->hfStateDict();
      for (auto& [n, t] : sd) t = t.to(at::kBFloat16);
      return sd;
    }());
    b->loadHfStateDict(readSafetensors(file.string()).tensors);
    EXPECT_TRUE(at::allclose(a->forward(idx), b->forward(idx), 0.05, 0.05)) << arch;
  }
}
