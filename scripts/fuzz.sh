#!/usr/bin/env bash
# Fuzzes the front end with libFuzzer for a bounded time and prints the run count.
#   scripts/fuzz.sh [SECONDS]     (default 60)
# Seeds: every recipe in recipes/, stdlib/ and the malformed ones in tests/compiler/errors/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
BUILD=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRECIPEC_FUZZ=ON -DRECIPEC_RUNTIME=OFF -DRECIPEC_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target fuzz_frontend -j"$(nproc)" >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp recipes/*.recipe stdlib/*.recipe tests/compiler/errors/*.recipe "$corpus"/ 2>/dev/null || true
log=$(mktemp)
set +e
"$BUILD"/bin/fuzz_frontend -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$BUILD/" "$corpus" >"$log" 2>&1
rc=$?
set -e
runs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" || echo 0)
if [ $rc -ne 0 ]; then
  tail -60 "$log"
  echo "fuzz: FAILED after $runs runs (exit $rc)"
  exit 1
fi
echo "fuzz: clean, $runs runs in ${SECONDS_TO_RUN}s"
