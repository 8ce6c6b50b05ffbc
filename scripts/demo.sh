#!/usr/bin/env bash
# Sets up this machine (packages, tokenizers, the default corpus, the build) and runs the
# demo: recipes/quickstart.recipe trains a small GPT-2 on the default corpus on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Into runs/quickstart, where the recipes that continue it (irdro-cpt, adaptation-analysis)
# find its weights; a second demo continues that run (it ends at once when it is finished).
if [ -d runs/quickstart ]; then
  exec build/bin/recipec run --resume runs/quickstart "$@"
fi
exec build/bin/recipec run recipes/quickstart.recipe --run-dir runs/quickstart "$@"
