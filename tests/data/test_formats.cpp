// test_formats.cpp — runtime/data/formats: text read through gzip and zstd (whole, concatenated,
// damaged), the bytes checked against the name, binary and non-UTF-8 files refused, and the
// documents of every form equal whatever the file is compressed with.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <functional>
#include <string>
#include <vector>

#include "runtime/data/DataError.h"
#include "runtime/data/TextInput.h"
#include "runtime/data/formats/Columnar.h"
#include "runtime/data/formats/TextFiles.h"
#include "tests/data/TestUtil.h"

namespace recipec::data {
namespace {

using testutil::TempDir;
using testutil::errorOf;
using testutil::writeFile;
namespace F = formats;

std::string gzipped(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);  // 15 + 16: a gzip header
  std::string out(deflateBound(&z, uLong(text.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = uInt(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstded(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<std::string> documents(const std::string& path, const std::string& field = "") {
  std::vector<std::string> docs;
  for (const auto& w : splitTextWork({path}, field, 1 << 20))
    readDocuments(w, [&](std::string_view d) { docs.emplace_back(d); });
  return docs;
}

// A corpus big enough to cross the readers' 64 KiB and 1 MiB buffers, with UTF-8 in it.
std::string jsonLines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "{\"text\": \"document " + std::to_string(i) + " — naïve café " + std::string(size_t(i % 97) * 31, 'x') +
         "\", \"id\": " + std::to_string(i) + "}\n";
  return s;
}

TEST(Formats, JsonLinesReadTheSameWhateverTheCompression) {
  TempDir dir;
  const std::string text = jsonLines(3000);  // ~4.5 MB decoded
  writeFile(dir / "a.jsonl", text);
  writeFile(dir / "a.jsonl.gz", gzipped(text));
  writeFile(dir / "a.jsonl.zst", zstded(text));
  const auto plain = documents(dir / "a.jsonl");
  ASSERT_EQ(plain.size(), 3000u);
  EXPECT_EQ(plain[7].substr(0, 10), "document 7");
  EXPECT_EQ(documents(dir / "a.jsonl.gz"), plain);
  EXPECT_EQ(documents(dir / "a.jsonl.zst"), plain);
  // Dolma's names: .json.gz holding JSON lines.
  writeFile(dir / "dolma.json.gz", gzipped(text));
  EXPECT_EQ(documents(dir / "dolma.json.gz"), plain);
}

TEST(Formats, ConcatenatedMembersAndFramesAreOneText) {
  TempDir dir;
  const std::string a = jsonLines(10), b = "{\"text\": \"the second part\"}\n";
  writeFile(dir / "c.jsonl.gz", gzipped(a) + gzipped(b));
  writeFile(dir / "c.jsonl.zst", zstded(a) + zstded(b));
  EXPECT_EQ(documents(dir / "c.jsonl.gz").size(), 11u);
  EXPECT_EQ(documents(dir / "c.jsonl.zst").back(), "the second part");
  // A plain-text file compressed is one document, its whole decoded text.
  writeFile(dir / "book.txt.gz", gzipped("chapter one\nchapter two\n"));
  EXPECT_EQ(documents(dir / "book.txt.gz"), std::vector<std::string>{"chapter one\nchapter two\n"});
}

TEST(Formats, AJsonArrayIsItsRecords) {
  TempDir dir;
  writeFile(dir / "r.json", "[{\"text\": \"one\"}, {\"text\": \"two\"}]");
  writeFile(dir / "r.json.zst", zstded("  [{\"text\": \"one\"}, {\"text\": \"two\"}]\n"));
  EXPECT_EQ(documents(dir / "r.json"), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(documents(dir / "r.json.zst"), (std::vector<std::string>{"one", "two"}));
}

TEST(Formats, BytesThatAreNotWhatTheNameSaysAreRefusedByName) {
  TempDir dir;
  writeFile(dir / "gz-named.jsonl", gzipped("{\"text\": \"x\"}\n"));
  EXPECT_NE(errorOf([&] { documents(dir / "gz-named.jsonl"); })
                .find("gz-named.jsonl` is gzip data, but the name does not end in .gz; rename it to end in .gz"),
            std::string::npos);
  writeFile(dir / "plain.jsonl.zst", "{\"text\": \"x\"}\n");
  EXPECT_NE(errorOf([&] { documents(dir / "plain.jsonl.zst"); }).find("is named .zst but is not zstd data"),
            std::string::npos);
  writeFile(dir / "image.txt", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\0'));
  EXPECT_NE(errorOf([&] { documents(dir / "image.txt"); }).find("image.txt` is a PNG image, not text"), std::string::npos);
  // Parquet bytes are a table whatever the name; damaged ones say so.
  writeFile(dir / "table.jsonl", "PAR1" + std::string(32, '\0'));
  EXPECT_NE(errorOf([&] { documents(dir / "table.jsonl"); })
                .find(F::columnarBuiltIn() ? "table.jsonl` cannot be read as a table" : "has no Arrow C++"),
            std::string::npos);
  writeFile(dir / "nul.txt", std::string("text\0more", 9));
  EXPECT_NE(errorOf([&] { documents(dir / "nul.txt"); }).find("is binary, not text (byte 0x00 at offset 4)"),
            std::string::npos);
  writeFile(dir / "latin1.txt", "caf\xe9 au lait\n");
  EXPECT_NE(errorOf([&] { documents(dir / "latin1.txt"); }).find("is not UTF-8 text (byte 0xe9 at offset 3)"),
            std::string::npos);
  // Inside a compressed file too, with the offset in its decoded text.
  writeFile(dir / "bin.txt.gz", gzipped(std::string("ok\x01", 3)));
  EXPECT_NE(errorOf([&] { documents(dir / "bin.txt.gz"); }).find("offset 2 of its decompressed text"), std::string::npos);
}

TEST(Formats, DamagedStreamsAreErrorsNotShortCorpora) {
  TempDir dir;
  const std::string gz = gzipped(jsonLines(200)), zs = zstded(jsonLines(200));
  writeFile(dir / "cut.jsonl.gz", gz.substr(0, gz.size() / 2));
  writeFile(dir / "cut.jsonl.zst", zs.substr(0, zs.size() / 2));
  EXPECT_NE(errorOf([&] { documents(dir / "cut.jsonl.gz"); }).find("cut.jsonl.gz` ends inside its gzip stream"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { documents(dir / "cut.jsonl.zst"); }).find("cut.jsonl.zst` ends inside its zstd frame"),
            std::string::npos);
  std::string flipped = gz;
  flipped[flipped.size() / 2] ^= 0x5a;
  writeFile(dir / "flip.jsonl.gz", flipped);
  const std::string why = errorOf([&] { documents(dir / "flip.jsonl.gz"); });
  EXPECT_FALSE(why.empty());
  EXPECT_NE(why.find("flip.jsonl.gz"), std::string::npos) << why;
}

TEST(Formats, TheProbeSaysWhatCheckReports) {
  TempDir dir;
  std::string help;
  writeFile(dir / "ok.jsonl.gz", gzipped(jsonLines(3)));
  EXPECT_EQ(F::probeTextFile(dir / "ok.jsonl.gz", "", help), "");
  EXPECT_EQ(F::probeTextFile(dir / "ok.jsonl.gz", "body", help), "`" + (dir / "ok.jsonl.gz") + "`:1 has no field `body`");
  EXPECT_EQ(help, "its first record's string fields: `text`");
  writeFile(dir / "prose.jsonl", "Once upon a time\n");
  EXPECT_NE(F::probeTextFile(dir / "prose.jsonl", "", help).find("is not JSON lines"), std::string::npos);
  EXPECT_NE(help.find("for plain text, name it .txt"), std::string::npos) << help;
  writeFile(dir / "prose.txt", "Once upon a time\n");
  EXPECT_EQ(F::probeTextFile(dir / "prose.txt", "", help), "");
}

}  // namespace
}  // namespace recipec::data
