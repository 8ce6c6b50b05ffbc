// bench_loader.cpp — data loader throughput (tokens/s) against a training consumption rate.
//
// Contract: `bench_loader [--seq-len T] [--batch B] [--batches N] [--prefetch P]
//                         [--train-tokens-per-s R] [--corpus DIR] [--tokenizer DIR]`
// tokenizes the default corpus (data/corpus, every domain's train split; GPT-2 BPE if
// data/gpt2 exists, else bytes) with prepare(), then measures
//   1. the loader's delivery rate with a consumer that does nothing (its ceiling),
//   2. the same work done synchronously without the loader (the reference in this run),
//   3. with R > 0: a consumer that paces itself at R tokens/s like a trainer would, and the
//      share of its time spent waiting in next() (0% means the loader never stalls training).
// Prints all of them side by side. R is the trainer's tokens/s (recipec-runtime logs it);
// without one, 1M tokens/s is used (faster than GPT-2 124M trains on one H100).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "runtime/data/Blocks.h"
#include "runtime/data/Gpt2Bpe.h"
#include "runtime/data/Loader.h"
#include "runtime/data/Prepare.h"
#include "runtime/data/TextInput.h"

using namespace recipec::data;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int64_t T = 1024, B = 16, N = 400, P = 4;
  double R = 1e6;
  std::string corpus = "data/corpus", tokdir = "data/gpt2";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--seq-len") T = std::stoll(v);
    else if (k == "--batch") B = std::stoll(v);
    else if (k == "--batches") N = std::stoll(v);
    else if (k == "--prefetch") P = std::stoll(v);
    else if (k == "--train-tokens-per-s") R = std::stod(v);
    else if (k == "--corpus") corpus = v;
    else if (k == "--tokenizer") tokdir = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  std::unique_ptr<Tokenizer> tok;
  if (fs::exists(tokdir + "/encoder.json")) tok = std::make_unique<Gpt2Bpe>(tokdir);
  else tok = std::make_unique<ByteTokenizer>();
  if (!fs::exists(corpus)) { std::fprintf(stderr, "no corpus at %s: run scripts/fetch_data.sh\n", corpus.c_str()); return 1; }

  const fs::path tmp = fs::temp_directory_path() / ("recipec-bench-loader-" + std::to_string(::getpid()));
  std::vector<std::shared_ptr<const BlockStore>> stores;
  std::vector<MixtureSampler::DatasetInfo> infos;
  double text_mb = 0, prep_s = 0;
  for (const auto& dom : fs::directory_iterator(corpus)) {
    if (!dom.is_directory() || !fs::exists(dom.path() / "train")) continue;
    PrepareOptions o;
    o.inputs = {(dom.path() / "train").string()};
    o.out_dir = (tmp / dom.path().filename()).string();
    o.progress = Progress::kOff;
    auto t0 = Clock::now();
    PrepareResult r = prepare(o, *tok);
    prep_s += since(t0);
    text_mb += double(r.text_bytes) / 1e6;
    auto c = std::make_shared<const TokenCorpus>(r.shards, tok->eotId());
    auto s = std::make_shared<const BlockStore>(c, Split::kTrain, 0.0, T);
    if (s->numBlocks() == 0) continue;
    stores.push_back(s);
    infos.push_back({dom.path().filename().string(), s->numBlocks()});
  }
  if (stores.empty()) { std::fprintf(stderr, "no domain has a block of %lld tokens\n", (long long)T + 1); return 1; }
  MixtureSampler sampler(infos, 1234);
  sampler.setMixture(std::vector<double>(infos.size(), 1.0));
  const double tokens_per_batch = double(B * T);

  // 1. Loader ceiling.
  double loader_tps;
  {
    Loader loader(stores, sampler, {B, int(P)});
    loader.next();  // thread start-up is not throughput
    auto t0 = Clock::now();
    int64_t checksum = 0;
    for (int64_t k = 0; k < N; ++k) checksum += loader.next().tokens[0];
    loader_tps = tokens_per_batch * double(N) / since(t0);
    if (checksum < 0) std::printf("impossible\n");
  }
  // 2. Reference: the same sampling + copying on the consumer's own thread.
  double sync_tps;
  {
    MixtureSampler s = sampler;
    std::vector<int32_t> buf(size_t(B * (T + 1)));
    auto t0 = Clock::now();
    for (int64_t k = 0; k < N; ++k)
      for (int64_t i = 0; i < B; ++i) {
        auto d = s.next();
        stores[size_t(d.dataset)]->copyBlock(d.block, buf.data() + i * (T + 1));
      }
    sync_tps = tokens_per_batch * double(N) / since(t0);
  }
  // 3. A trainer consuming at R tokens/s: time blocked in next() vs. time "training".
  double stall_pct = 0;
  int64_t paced = std::min<int64_t>(N, std::max<int64_t>(20, int64_t(2.0 * R / tokens_per_batch)));  // ~2 s
  {
    Loader loader(stores, sampler, {B, int(P)});
    loader.next();
    const auto step = std::chrono::duration<double>(tokens_per_batch / R);
    double waited = 0;
    auto t0 = Clock::now();
    for (int64_t k = 0; k < paced; ++k) {
      std::this_thread::sleep_for(step);  // the training step
      auto w = Clock::now();
      loader.next();
      waited += since(w);
    }
    stall_pct = 100.0 * waited / since(t0);
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);

  std::printf("bench_loader: %zu datasets (%s tokenizer), seq_len %lld, batch %lld, prefetch %lld, %.1f MB of text\n",
              stores.size(), tok->kind().c_str(), (long long)T, (long long)B, (long long)P, text_mb);
  std::printf("  prepare (all cores)                 %10.1f MB/s of text\n", text_mb / prep_s);
  std::printf("  loader, consumer doing nothing      %10.2f M tokens/s\n", loader_tps / 1e6);
  std::printf("  same work, synchronous (reference)  %10.2f M tokens/s\n", sync_tps / 1e6);
  std::printf("  training consumption rate R         %10.2f M tokens/s%s\n", R / 1e6,
              R == 1e6 ? " (default; pass --train-tokens-per-s)" : "");
  std::printf("  loader / R                          %10.1fx headroom\n", loader_tps / R);
  std::printf("  consumer paced at R: time waiting   %10.2f %% of %lld batches\n", stall_pct, (long long)paced);
  return 0;
}
