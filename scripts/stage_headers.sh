#!/usr/bin/env bash
# Copies the header-only libraries the runtime needs (nlohmann-json, CLI11, and the gloo headers that torch's ProcessGroupGloo.hpp includes) from this
# machine's Debian packages into .deps/include (git-ignored), so the runtime can be built
# on a machine that has LibTorch but no Debian -dev packages (the GPU machine): carry
# .deps/include along and configure with -DRECIPEC_COMPILER=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .deps/include
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/gloo .deps/include/
echo "staged: $(du -sh .deps/include | cut -f1) in .deps/include"
