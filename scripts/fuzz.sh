#!/usr/bin/env bash
# Fuzzes the front end with libFuzzer for a bounded time and prints the run count.
#   scripts/fuzz.sh [SECONDS]     (default 60)
#   FUZZ_RUNS=N scripts/fuzz.sh 0  runs exactly N executions instead (no time bound)
#   FUZZ_MAX_LEN (default 8192 bytes): past every nesting and chain limit (64); the 1 MiB
#   limits are tested with generated files (tests/compiler), not fuzzed: ASan at 64 KiB runs
#   ~40 inputs/s against ~600 at 8 KiB
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
# Seeds at and past the front end's limits: deep nesting of every kind, long `let` chains,
# many declarations (the mutator then crosses the limits from both sides).
python3 - "$corpus" <<'PY'
import sys, os
d = sys.argv[1]
def put(name, text): open(os.path.join(d, name), "w").write(text)
put("deep_parens.recipe", 'let a = ' + '(' * 80 + '1' + ')' * 80 + '\n')
put("deep_objects.recipe", 'mixture m = ' + '{a: ' * 80 + '1' + '}' * 80 + '\n')
put("deep_minus.recipe", 'let a = ' + '-' * 80 + '1\n')
put("deep_calls.recipe", 'tokenizer t = ' + 'f(' * 70 + ')' * 70 + '\n')
put("let_chain.recipe", 'let c0 = 1\n' + ''.join(f'let c{i} = c{i-1}\n' for i in range(1, 80)))
put("many_lets.recipe", ''.join(f'let c{i} = {i}\n' for i in range(4000)))
PY
log=$(mktemp)
set +e
"$BUILD"/bin/fuzz_frontend $([ -n "${FUZZ_RUNS:-}" ] && echo "-runs=$FUZZ_RUNS" || echo "-max_total_time=$SECONDS_TO_RUN") -max_len="${FUZZ_MAX_LEN:-8192}" -timeout=10 -rss_limit_mb=4096 \
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
