// cmd_prepare.cpp — `recipec prepare`: raw text -> token shards (llm.c .bin format), or
// `--train-tokenizer`: a new SentencePiece model from the same inputs. Uses recipec_data
// only (no LibTorch), multi-threaded, progress on a terminal.
#include <iostream>

#include "cli/Commands.h"
#include "runtime/data/DataError.h"
#include "runtime/data/Prepare.h"
#include "runtime/data/SentencePiece.h"
#include "runtime/data/Tokenizer.h"

namespace recipec::cli {

namespace {

// "gpt2_bpe:data/gpt2", "sentencepiece:data/llama/tokenizer.model", "bytes". A kind that is
// not one is a usage error of `-t`, said in its own words (exit 1).
plan::Tokenizer parseTokenizerSpec(const std::string& spec) {
  plan::Tokenizer t;
  auto colon = spec.find(':');
  t.name = "-t " + spec;
  t.kind = spec.substr(0, colon);
  if (colon != std::string::npos) t.path = spec.substr(colon + 1);
  if (t.kind != "gpt2_bpe" && t.kind != "hf" && t.kind != "sentencepiece" && t.kind != "bytes") {
    std::cerr << "error: `-t " << spec << "`: `" << t.kind << "` is not a tokenizer kind\n"
              << "  = help: write KIND:PATH with KIND gpt2_bpe, hf, sentencepiece or bytes: `-t gpt2_bpe:data/gpt2`, "
                 "`-t hf:data/llama3/tokenizer.json`, "
                 "`-t sentencepiece:data/llama/tokenizer.model`, `-t bytes`\n";
    throw Exit{kUserError};
  }
  return t;
}

}  // namespace

void addPrepare(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "Tokenize text into shards, or train a SentencePiece tokenizer");
  struct Args {
    std::vector<std::string> inputs;
    std::string tokenizer = "gpt2_bpe:data/gpt2", out, field, prefix = "shard", model_type = "bpe";
    int64_t shard_tokens = 100'000'000, vocab = 8000;
    int threads = 0;
    bool train = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("inputs", a->inputs, "Text files, folders or globs (quote globs; ** allowed)")->required();
  cmd->add_option("-o,--out", a->out, "Output folder (shards), or the .model file with --train-tokenizer")->required();
  cmd->add_option("-t,--tokenizer", a->tokenizer,
                  "KIND:PATH: gpt2_bpe:data/gpt2, hf:tokenizer.json, sentencepiece:FILE.model or bytes")->capture_default_str();
  cmd->add_option("--field", a->field, "JSON-lines field holding the text (default: `text` for .jsonl)");
  cmd->add_option("--shard-tokens", a->shard_tokens, "Tokens per shard")->capture_default_str();
  cmd->add_option("--prefix", a->prefix, "Shard file name prefix")->capture_default_str();
  cmd->add_option("-j,--threads", a->threads, "Threads (0 = all cores)");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bar");
  cmd->add_flag("--train-tokenizer", a->train, "Train a SentencePiece model on the inputs instead");
  cmd->add_option("--vocab-size", a->vocab, "With --train-tokenizer: vocabulary size")->capture_default_str();
  cmd->add_option("--model-type", a->model_type, "With --train-tokenizer: bpe, unigram, char or word")
      ->check(CLI::IsMember({"bpe", "unigram", "char", "word"}))->capture_default_str();
  cmd->callback([a] {
    try {
      if (a->train) {
        data::TrainTokenizerOptions o;
        o.inputs = a->inputs;
        o.json_field = a->field;
        o.out_model = a->out;
        o.vocab_size = a->vocab;
        o.model_type = a->model_type;
        o.threads = a->threads;
        auto r = data::trainSentencePiece(o);
        std::cerr << "trained " << r.model_path << ": " << r.vocab_size << " pieces from " << r.sentences
                  << " sentences (end-of-text id " << r.eot_id << ")\n";
        throw Exit{kOk};
      }
      data::PrepareOptions o;
      o.inputs = a->inputs;
      o.json_field = a->field;
      o.out_dir = a->out;
      o.shard_prefix = a->prefix;
      o.shard_tokens = a->shard_tokens;
      o.threads = a->threads;
      if (a->quiet) o.progress = data::Progress::kOff;
      auto r = data::prepare(o, parseTokenizerSpec(a->tokenizer));
      double mb = r.text_bytes / 1e6;
      std::cerr << "prepared " << r.docs << " documents, " << r.tokens << " tokens (" << mb << " MB of text) into "
                << r.shards.size() << " shard" << (r.shards.size() == 1 ? "" : "s") << " in " << a->out << " ("
                << (r.seconds > 0 ? mb / r.seconds : 0) << " MB/s)\n";
    } catch (const data::DataError& e) {
      std::cerr << "error: " << e.what() << "\n";
      throw Exit{kUserError};
    }
    throw Exit{kOk};
  });
}

}  // namespace recipec::cli
