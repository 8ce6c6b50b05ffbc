#!/usr/bin/env bash
# CI: the CUDA configuration of recipec-runtime compiles and links on the CPU machine, exactly
# as a GPU machine builds it (scripts/build_runtime.sh --cuda), and says what it was built with.
#   tests/build/cuda_runtime_builds.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(scripts/build_runtime.sh --cuda "${1:?usage: cuda_runtime_builds.sh BUILD_DIR}" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
  echo "$out" | grep -E "error|Error|FAILED" | head -40
  echo "$out" | tail -20
  echo "the CUDA build failed (exit $rc)"
  exit 1
fi
echo "$out" | tail -4
for want in "LibTorch 2\." "CUDA: compiled in" "NCCL: compiled in"; do
  grep -q "$want" <<<"$out" || { echo "recipec-runtime --version of the CUDA build lacks \`$want\`"; exit 1; }
done
