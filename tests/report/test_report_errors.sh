#!/usr/bin/env bash
# test_report_errors.sh — `recipec report` on bad input says what is wrong and exits 1, and
# the page it writes keeps user text out of its markup (ctest report_errors; no browser).
#
#   test_report_errors.sh BIN_DIR SOURCE_DIR
#
# Prints one line per check and "N passed, M failed".
set -uo pipefail
BIN=$1 SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/recipec-report-errors.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# expect_error WHAT TEXT ARGS...: recipec ARGS exits 1 and says TEXT on stderr.
expect_error() {
  local what=$1 text=$2; shift 2
  local err rc
  err=$("$BIN/recipec" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 1 ]; then bad "$what" "exit $rc, want 1 (stderr: $err)"
  elif [[ "$err" != *"$text"* ]]; then bad "$what" "stderr lacks '$text': $err"
  else ok "$what"; fi
}

FIX=$SRC/tests/report/fixtures
mkdir -p empty-dir no-train && echo '{"type":"event","event":"phase","step":0,"phase":"a","start":0,"end":5}' > no-train/metrics.jsonl
printf '{"type": "analyze", "a": ' > cut.json
echo '{"type": "eval"}' > other.json
expect_error "missing run directory" 'run directory `nope` does not exist' report nope -o out.html
expect_error "directory without metrics.jsonl" '`empty-dir` has no metrics.jsonl' report empty-dir -o out.html
expect_error "run without train lines" 'run `no-train` has no metrics yet' report no-train -o out.html
expect_error "unreadable analyze JSON" '`cut.json` is not valid JSON' report cut.json -o out.html
expect_error "JSON that is not from analyze" '`other.json` is not from `recipec analyze --json`' report other.json -o out.html
expect_error "missing analyze file" 'analyze file `gone.json` does not exist' report gone.json -o out.html
RECIPEC_UPLOT_DIR=$WORK/no-uplot expect_error "chart library not installed" \
  "the chart library uPlot is not installed: no \`$WORK/no-uplot/uPlot.iife.min.js\`" report "$FIX/spiky-run" -o out.html
expect_error "no output given" "--output is required" report "$FIX/spiky-run"

if [ ! -f "$BIN/../share/recipec/uplot/uPlot.iife.min.js" ]; then
  echo "SKIP the page checks: the chart library is not beside recipec (scripts/fetch_web.sh, then build)"
else
  NAME='<b>bold&'
  cp -r "$FIX/spiky-run" "$NAME"
  expect_error "unwritable output" 'cannot write `no-such-dir/out.html`' report "$NAME" -o no-such-dir/out.html
  if "$BIN/recipec" report "$NAME" "$FIX/analyze.json" --title '</title><i>t</i> /*@PAGE_JS@*/' -o page.html 2>/dev/null; then
    ok "report written"
    grep -q '<b>bold' page.html && bad "run name escaped" "raw <b>bold in the page" || ok "run name escaped"
    grep -qF '\u003cb\u003ebold\u0026' page.html && ok "run name kept as JSON text" || bad "run name kept as JSON text" "not found"
    grep -qF '<script>alert(1)' page.html && bad "token text escaped" "raw <script>alert(1) in the page" || ok "token text escaped"
    grep -qF '<title>&lt;/title&gt;&lt;i&gt;t&lt;/i&gt; /*@PAGE_JS@*/</title>' page.html && ok "title escaped" || bad "title escaped" "$(grep -o '<title>.*</title>' page.html)"
    [ "$(grep -c '// page.js — draws' page.html)" = 1 ] && ok "a marker in the title is not expanded" || bad "a marker in the title is not expanded" "the page script appears $(grep -c '// page.js — draws' page.html) times"
    grep -qE '(src|href)="(https?:)?//' page.html && bad "nothing fetched" "a remote src/href" || ok "nothing fetched"
  else
    bad "report written" "recipec report failed"
  fi
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
