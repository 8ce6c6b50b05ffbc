#!/usr/bin/env bash
# Cold-process latency of `recipec check` on every recipe in recipes/, next to the cost of
# starting a trivial process (`cat` of the same file) measured in the same run.
# Target: under 50 ms a check. `recipec` never loads LibTorch, which alone costs ~350 ms.
#   bench/bench_check.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
BIN=${RECIPEC:-build/bin/recipec}
median_ms() {  # median wall time in ms of running "$@" RUNS times
  local times=()
  for _ in $(seq "$RUNS"); do
    local t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    local t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
printf '%-36s %12s %14s\n' "recipe" "check (ms)" "cat ref (ms)"
for f in recipes/*.recipe; do
  printf '%-36s %12s %14s\n' "$f" "$(median_ms "$BIN" check "$f")" "$(median_ms cat "$f")"
done
echo "libraries loaded by recipec: $(ldd "$BIN" | grep -c '=>')  (torch: $(ldd "$BIN" | grep -c torch || true))"
