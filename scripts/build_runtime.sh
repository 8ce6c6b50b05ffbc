#!/usr/bin/env bash
# Builds recipec-runtime alone (no compiler, no tests): the configuration a GPU machine runs
# and the one CI compiles on the CPU machine (tests/build: `cuda_runtime_builds`).
#   scripts/build_runtime.sh [--cuda] [BUILD_DIR]      (default build-runtime, or build-cuda with --cuda)
# LibTorch: .venv's torch (scripts/setup.sh), else RECIPEC_PYTHON's, else the `python3` on PATH
# (the GPU machine's own torch). The CUDA toolkit: CUDA_HOME or /usr/local/cuda where one is
# installed, else the wheels' (cmake/RecipecTorch.cmake). nlohmann-json, CLI11 and gloo's
# headers: Debian's, or staged into .deps/include by scripts/stage_headers.sh and carried along.
set -euo pipefail
cd "$(dirname "$0")/.."
CUDA=OFF
if [ "${1:-}" = "--cuda" ]; then CUDA=ON; shift; fi
B=${1:-$([ $CUDA = ON ] && echo build-cuda || echo build-runtime)}
PY=${RECIPEC_PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=$PWD/.venv/bin/python; else PY=$(command -v python3); fi
fi
extra=()
[ -f /usr/include/nlohmann/json.hpp ] || extra+=(-DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON)
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DRECIPEC_COMPILER=OFF -DRECIPEC_TESTS=OFF \
  -DRECIPEC_CUDA=$CUDA -DRECIPEC_PYTHON="$PY" "${extra[@]}" "$@" >/dev/null
cmake --build "$B" --target recipec-runtime -j"$(nproc)"
"$B/bin/recipec-runtime" --version
