#!/bin/sh
# update_goldens.sh — rewrites tests/compiler/golden/{mlir,plan}/ from the current compiler.
# Review the diff (git diff tests/compiler/golden) before committing: each change in it is
# a change in what `recipec compile` prints for a recipe.
#   tests/compiler/mlir/update_goldens.sh [BUILD_DIR]     (default: build-mlir)
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build-mlir}
RECIPEC_UPDATE_GOLDENS=1 "$build/bin/recipec_mlir_tests" --gtest_filter='*MatchesGolden*'
git -C "$root" status --short tests/compiler/golden
