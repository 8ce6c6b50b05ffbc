#!/usr/bin/env bash
# fetch_web.sh — the web pieces of `recipec report`, from the npm registry, into .deps/.
#
# Contract: after a successful run
#   .deps/node_modules/uplot/dist/uPlot.iife.min.js, uPlot.min.css   the chart library that
#       `recipec report` copies into every page (the build copies it to build/share/recipec/uplot)
#   .deps/node_modules/playwright-core/                               drives Debian's chromium in
#       the browser test of the report (tests/report/)
# exist. Versions are pinned; nothing here is committed (.deps/ is gitignored). `npm pack`
# runs no install scripts, so playwright-core downloads no browser of its own: the test
# points it at /usr/bin/chromium. Idempotent: a package already unpacked is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=$PWD/.deps

die() { echo "fetch_web: error: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm is not installed (Debian package npm)"

# unpack NAME VERSION: .deps/node_modules/NAME holds the package's files.
unpack() {
  local name=$1 version=$2 dest=$DEPS/node_modules/$1
  if [ -f "$dest/package.json" ] && grep -q "\"version\": \"$version\"" "$dest/package.json"; then
    return 0
  fi
  mkdir -p "$DEPS/tarballs" "$DEPS/node_modules"
  local tgz log="$DEPS/tarballs/npm-pack-web.log"
  tgz=$(cd "$DEPS/tarballs" && npm pack --silent "$name@$version" 2>"$log" | tail -n 1) || true
  if [ -z "$tgz" ] || [ ! -f "$DEPS/tarballs/$tgz" ]; then
    grep -v "Unknown user config" "$log" >&2 || true
    die "npm pack $name@$version failed (is the npm registry reachable?)"
  fi
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xzf "$DEPS/tarballs/$tgz" -C "$dest.tmp" --strip-components=1
  rm -f "$DEPS/tarballs/$tgz"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  echo "fetch_web: unpacked $name@$version"
}

unpack uplot 1.6.32
unpack playwright-core 1.65.1
[ -f "$DEPS/node_modules/uplot/dist/uPlot.iife.min.js" ] || die "uplot unpacked without dist/uPlot.iife.min.js"
