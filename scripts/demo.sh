#!/usr/bin/env bash
# Sets up this machine (packages, tokenizers, the default corpus, the build) and runs the
# demo: recipes/quickstart.recipe trains a small GPT-2 on the default corpus on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/bin/recipec run recipes/quickstart.recipe "$@"
