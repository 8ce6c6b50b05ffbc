#!/usr/bin/env bash
# run_doc_commands.sh DOC MARKER — runs the shell block of DOC between `<!-- MARKER:begin -->`
# and `<!-- MARKER:end -->` exactly as written, from the repository root, with $BYOD a fresh
# temporary folder (removed after a pass, kept after a failure). A test of documentation:
# what a reader copies must work.
set -euo pipefail
doc=$1 marker=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
script=$(awk -v b="<!-- $marker:begin -->" -v e="<!-- $marker:end -->" '
  $0 == b { inside = 1; next } $0 == e { inside = 0 } inside && !/^```/ { print }' "$doc")
[ -n "$script" ] || { echo "no $marker block in $doc" >&2; exit 1; }
export BYOD
BYOD=$(mktemp -d "${TMPDIR:-/tmp}/recipec-byod-XXXXXX")
if bash -euo pipefail -c "$script"; then
  rm -rf "$BYOD"
else
  echo "the commands of $doc ($marker) failed; their files are in $BYOD" >&2
  exit 1
fi
