// bench_tokenizer.cpp — tokenizer speed (MB/s) with the npm reference measured in the same run.
//
// Contract: `bench_tokenizer [--domain english]` encodes one domain of data/corpus (train
// split) with the C++ GPT-2 BPE (cold cache, then warm), with the npm gpt-3-encoder through
// node (the parity reference, when node and .deps are there), and with SentencePiece (when
// built with it); prints MB/s and tokens for each.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/data/Gpt2Bpe.h"
#include "runtime/data/SentencePiece.h"
#include "runtime/data/TextInput.h"

using namespace recipec::data;
using Clock = std::chrono::steady_clock;
static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  std::string domain = "english";
  if (argc == 3 && std::string(argv[1]) == "--domain") domain = argv[2];
  const std::string file = "data/corpus/" + domain + "/train/" + domain + ".jsonl";
  if (!std::filesystem::exists(file) || !std::filesystem::exists("data/gpt2/encoder.json")) {
    std::fprintf(stderr, "bench_tokenizer: run from the repository root after scripts/fetch_data.sh\n");
    return 1;
  }
  std::vector<std::string> docs;
  size_t bytes = 0;
  for (const auto& w : splitTextWork({file}, "", 1 << 30))
    readDocuments(w, [&](std::string_view d) { docs.emplace_back(d); bytes += d.size(); });
  const double mb = double(bytes) / 1e6;
  std::printf("bench_tokenizer: %s, %zu documents, %.2f MB\n", domain.c_str(), docs.size(), mb);

  Gpt2Bpe bpe("data/gpt2");
  size_t tokens = 0;
  auto t0 = Clock::now();
  for (const auto& d : docs) tokens += bpe.encode(d).size();
  double cold = since(t0);
  t0 = Clock::now();
  for (const auto& d : docs) bpe.encode(d);
  double warm = since(t0);
  std::printf("  C++ gpt2_bpe, cold piece cache      %8.1f MB/s  (%zu tokens, 1 thread)\n", mb / cold, tokens);
  std::printf("  C++ gpt2_bpe, warm piece cache      %8.1f MB/s\n", mb / warm);

  const std::string module = ".deps/node_modules/gpt-3-encoder";
  if (std::system("command -v node >/dev/null 2>&1") == 0 && std::filesystem::exists(module)) {
    const std::string out = "/tmp/recipec-bench-tok-" + std::to_string(::getpid()) + ".bin";
    t0 = Clock::now();
    int rc = std::system(("node tests/data/gpt2_reference.js " + std::filesystem::absolute(module).string() + " " + out +
                          " " + file).c_str());
    double node_s = since(t0);
    std::remove(out.c_str());
    if (rc == 0) std::printf("  npm gpt-3-encoder (node, reference) %8.1f MB/s  (incl. node start-up)\n", mb / node_s);
  }
  if (haveSentencePiece() && std::filesystem::exists("data/llama/tokenizer.model")) {
    SentencePieceTokenizer sp("data/llama/tokenizer.model");
    size_t sp_tokens = 0;
    t0 = Clock::now();
    for (const auto& d : docs) sp_tokens += sp.encode(d).size();
    std::printf("  SentencePiece (libsentencepiece)    %8.1f MB/s  (%zu tokens)\n", mb / since(t0), sp_tokens);
  }
  return 0;
}
