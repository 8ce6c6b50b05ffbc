// PerTokenNll.cpp — see PerTokenNll.h.
#include "runtime/eval/PerTokenNll.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>

#include "runtime/data/Dataset.h"
#include "runtime/models/Model.h"
#include "runtime/models/Safetensors.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Device.h"
#include "runtime/train/Errors.h"
#include "runtime/train/Loss.h"

namespace recipec::eval {

using train::UserError;

namespace {

models::LanguageModel loadModel(const analyze::JobCheckpoint& ck, int64_t seq_len, const c10::Device& device) {
  if (seq_len > ck.model.max_seq_len)
    throw UserError("checkpoint `" + ck.label + "`: seq_len " + std::to_string(seq_len) + " exceeds its model's max_seq_len " +
                    std::to_string(ck.model.max_seq_len));
  if (!std::filesystem::exists(ck.weights)) throw UserError("checkpoint `" + ck.label + "`: `" + ck.weights + "` does not exist");
  if (!ck.verify_folder.empty()) train::Checkpointer::verify(ck.verify_folder);
  models::LanguageModel model;
  try {
    model = models::buildModel(ck.model, /*random_init=*/false);
    model->loadHfStateDict(models::readSafetensors(ck.weights).tensors);
  } catch (const std::invalid_argument& e) {
    throw UserError("checkpoint `" + ck.label + "`: `" + ck.weights + "` does not fit its plan's model `" + ck.model.name +
                    "`: " + e.what());
  }
  model->to(device);
  model->eval();
  model->setVocabPadding(train::vocabPaddingFor("auto", device));
  return model;
}

}  // namespace

void runEvalJob(const analyze::EvalJob& job, bool quiet) {
  if (job.threads > 0) at::set_num_threads(job.threads);
  if (job.seq_len <= 0) throw UserError("eval job: seq_len must be positive");
  if (job.batch <= 0) throw UserError("eval job: batch must be positive");
  c10::Device device(c10::kCPU);
  if (job.device == "cuda") {
    if (!torch::cuda::is_available()) throw UserError("--device cuda, but LibTorch sees no CUDA device");
    device = c10::Device(c10::kCUDA);
  } else if (job.device != "cpu") {
    throw UserError("unknown device `" + job.device + "` (cpu or cuda)");
  }
  at::NoGradGuard no_grad;
  std::vector<models::LanguageModel> models;
  for (const auto& ck : job.checkpoints) models.push_back(loadModel(ck, job.seq_len, device));

  analyze::NllData out;
  for (const auto& ck : job.checkpoints) out.checkpoints.push_back(ck.label);
  const int64_t T = job.seq_len;
  for (const auto& ds : job.datasets) {
    const auto t0 = std::chrono::steady_clock::now();
    const data::OpenedDataset opened = data::openDataset(ds.dataset, ds.tokenizer ? &*ds.tokenizer : nullptr, ds.base_dir, T,
                                                         job.cache_root, data::Progress::kOff);
    const auto& store = ds.split == "val" ? opened.val : opened.train;
    if (!store || store->numBlocks() == 0)
      throw UserError("dataset `" + ds.name + "`: its " + ds.split + " split holds " +
                      std::to_string(store ? store->numTokens() : 0) + " tokens, not one block of seq_len " +
                      std::to_string(T) + " + 1");
    const int64_t blocks = ds.max_blocks > 0 ? std::min(ds.max_blocks, store->numBlocks()) : store->numBlocks();
    analyze::NllSet set;
    set.name = ds.name;
    set.seq_len = T;
    set.blocks = blocks;
    // (blocks, T + 1): consecutive blocks share their boundary token.
    auto tokens = at::empty({blocks, T + 1}, at::kInt);
    for (int64_t b = 0; b < blocks; ++b) store->copyBlock(b, tokens[b].data_ptr<int32_t>());
    const int32_t max_id = tokens.max().item<int32_t>();
    for (size_t m = 0; m < models.size(); ++m)
      if (max_id >= job.checkpoints[m].model.vocab_size)
        throw UserError("dataset `" + ds.name + "` holds token id " + std::to_string(max_id) + " but checkpoint `" +
                        job.checkpoints[m].label + "` has a vocabulary of " +
                        std::to_string(job.checkpoints[m].model.vocab_size) + ": a different tokenizer");
    set.ids.resize(size_t(blocks * T + 1));
    const int32_t* tp = tokens.data_ptr<int32_t>();
    set.ids[0] = tp[0];
    for (int64_t b = 0; b < blocks; ++b)
      std::copy(tp + b * (T + 1) + 1, tp + (b + 1) * (T + 1), set.ids.begin() + b * T + 1);
    const auto x_all = tokens.to(at::kLong);
    for (auto& model : models) {
      std::vector<float> nll(size_t(blocks * T));
      for (int64_t b0 = 0; b0 < blocks; b0 += job.batch) {
        const int64_t n = std::min(job.batch, blocks - b0);
        const auto x = x_all.narrow(0, b0, n).to(device);
        const auto logits = model->forward(x.narrow(1, 0, T));  // (n, T, V)
        const auto V = logits.size(2);
        const auto l = train::perTokenLoss(logits.reshape({n * T, V}), x.narrow(1, 1, T).reshape({n * T}))
                           .to(at::kFloat).to(c10::kCPU).contiguous();
        std::memcpy(nll.data() + b0 * T, l.data_ptr<float>(), size_t(n * T) * sizeof(float));
      }
      set.nll.push_back(std::move(nll));
    }
    if (!quiet) {
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "eval %s: %lld blocks x %lld tokens, %zu checkpoint%s, %.1f s\n", ds.name.c_str(),
                   (long long)blocks, (long long)T, models.size(), models.size() == 1 ? "" : "s", dt);
    }
    out.sets.push_back(std::move(set));
  }
  try {
    analyze::writeNllFile(job.out, out);
  } catch (const std::runtime_error& e) {
    throw UserError(e.what());
  }
}

}  // namespace recipec::eval
