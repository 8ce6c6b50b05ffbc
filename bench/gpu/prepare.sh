#!/usr/bin/env bash
# bench/gpu/prepare.sh — here, on the CPU machine, before a GPU check: everything the GPU
# machine cannot make (it has torch, nvcc, CMake and ninja, but no MLIR, ANTLR, Debian -dev
# packages or network) goes into .gpu/ (git-ignored) to be carried along with the checkout
# (`carry: [".gpu", ".deps"]`, 64 MiB in all):
#   .gpu/shards/{gpt2,llama}/   the default corpus tokenized for GPT-2 and the TinyLlama tokenizer
#   .gpu/*.plan.json            the plans of bench/gpu/*.recipe and of the quickstart
#   .deps/include               nlohmann-json, CLI11 and gloo's headers (scripts/stage_headers.sh)
# Then, on the GPU machine: bench/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${BUILD_DIR:-build}
scripts/stage_headers.sh
mkdir -p .gpu
"$B/bin/recipec" prepare data/corpus -o .gpu/shards/gpt2 -t gpt2_bpe:data/gpt2 -q
"$B/bin/recipec" prepare data/corpus -o .gpu/shards/llama -t sentencepiece:data/llama/tokenizer.model -q
for r in bench/gpu/gpt2-124m.recipe bench/gpu/tinyllama.recipe recipes/quickstart.recipe; do
  "$B/bin/recipec" compile "$r" --emit=plan -o ".gpu/$(basename "$r" .recipe).plan.json"
done
du -sh .gpu .deps/include
