#!/usr/bin/env bash
# Runs every test on this machine: sets up (packages, data, build) if needed, fuzzes the
# front end briefly, then runs the whole ctest suite. This is what `.ci/run` calls.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if command -v clang++ >/dev/null; then
  scripts/fuzz.sh "${RECIPEC_FUZZ_SECONDS:-30}"
fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2
