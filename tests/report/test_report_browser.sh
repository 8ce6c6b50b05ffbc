#!/usr/bin/env bash
# test_report_browser.sh — `recipec report` checked in a real browser (ctest report_browser).
#
#   test_report_browser.sh BIN_DIR SOURCE_DIR ARTEFACT_DIR
#
# Trains tests/report/tiny.recipe twice (the second with --set lr=1e-2, so the recipe
# difference has something to show), adds the checked-in fixtures (fixtures/spiky-run: a
# metrics.jsonl with a spike skip, a NaN rollback that replays steps and a cut last line, no
# plan; copied under a name that is HTML; fixtures/analyze.json, and analyze-sparse.json
# with no classes and no similarity, which draws tables but no chart), writes the report and has
# check_report.mjs open it from disk in Debian's headless Chromium. The page and its
# screenshot are kept in ARTEFACT_DIR (report.html, report.png). Exit 77 (ctest: skipped)
# with a message when chromium, node or playwright-core is missing: scripts/setup.sh
# installs all three, so CI runs it.
set -euo pipefail
BIN=$1 SRC=$2 OUT=$3
CHROMIUM=${RECIPEC_CHROMIUM:-/usr/bin/chromium}
PW=$SRC/.deps/node_modules/playwright-core
skip() { echo "SKIP: $* (scripts/setup.sh installs it)"; exit 77; }
[ -x "$CHROMIUM" ] || skip "no chromium at $CHROMIUM"
command -v node >/dev/null || skip "node is not installed"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || skip "node $NODE_MAJOR is too old for playwright-core 1.65 (needs 20)"
[ -f "$PW/package.json" ] || skip "playwright-core is not in $SRC/.deps/node_modules (scripts/fetch_web.sh)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/recipec-report-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export RECIPEC_CACHE_DIR=$WORK/cache
mkdir -p "$WORK/corpus/prose" "$WORK/corpus/code" "$OUT"
# Two small datasets of patterned text, the same on every machine.
awk -v dir="$WORK/corpus" 'BEGIN {
  srand(3); n = split("the cat sat on a mat while the whale swam under grey water and sailors sang", w, " ")
  for (d = 0; d < 30; d++) {
    f = dir "/prose/doc" d ".txt"; line = ""
    for (i = 0; i < 120; i++) line = line w[1 + int(rand() * n)] " "
    print line > f; close(f)
    f = dir "/code/doc" d ".py"
    for (i = 0; i < 12; i++) printf "def f%d(x):\n    return x * %d + %d\n", int(rand() * 100), int(rand() * 10), int(rand() * 10) > f
    close(f)
  }
}'
cp "$SRC/tests/report/tiny.recipe" "$WORK/"
cd "$WORK"
"$BIN/recipec" run tiny.recipe --run-dir runs/base --quiet --log-every 2
"$BIN/recipec" run tiny.recipe --run-dir runs/hi-lr --quiet --log-every 2 --set lr=1e-2
SPIKY='<img src=x onerror=alert(1)>'
cp -r "$SRC/tests/report/fixtures/spiky-run" "$WORK/$SPIKY"
INPUTS=(runs/base runs/hi-lr "$SPIKY" "$SRC/tests/report/fixtures/analyze.json" "$SRC/tests/report/fixtures/analyze-sparse.json")
"$BIN/recipec" report "${INPUTS[@]}" -o "$OUT/report.html"
node "$SRC/tests/report/check_report.mjs" "$OUT/report.html" "$OUT/report.png" "$PW" "$CHROMIUM" "${INPUTS[@]}"
