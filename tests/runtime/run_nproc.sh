#!/usr/bin/env bash
# run_nproc.sh — `recipec run F --nproc 2` end to end: the CLI compiles a tiny recipe, its
# launcher starts two ranks, they train what one process trains; `--resume DIR --nproc 2`
# (no recipe) continues a stopped run with the optimizer state sharded; a bad --nproc is a
# user error. Usage: run_nproc.sh RECIPEC WORKDIR
set -euo pipefail
RECIPEC=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK/corpus"
cd "$WORK"
export RECIPEC_CACHE_DIR="$WORK/cache"
for i in $(seq 1 30); do
  for k in $(seq 1 $((5 + i % 7))); do printf 'the cat sat on the mat %d times. ' "$((i * k))"; done > "corpus/doc$i.txt"
done
cat > tiny.recipe <<'R'
recipe "tiny-ddp"
tokenizer tok = bytes()
dataset web = text("corpus/*.txt", tokenizer = tok) split val 10%
model net = gpt2 { layers: 2, d_model: 32, heads: 2, ctx: 32, vocab: 257 }
train {
  model net
  seq_len 32
  batch 8
  micro_batch 4
  optimizer adamw(lr = 3e-3, betas = (0.9, 0.95), weight_decay = 0.1)
  schedule cosine(warmup = 2 steps, min_lr = 10%)
  grad_clip 1.0
  seed 7
}
phase main for 12 steps { mix web; record ppl per block }
evaluate ppl on web.val every 6 steps
R
fail() { echo "FAIL: $*" >&2; exit 1; }
summary_loss() { grep '"type":"summary"' "$1/metrics.jsonl" | sed 's/.*"loss":\([-0-9.e]*\).*/\1/'; }

"$RECIPEC" run tiny.recipe --run-dir runs/one --threads 1 --quiet || fail "one process"
"$RECIPEC" run tiny.recipe --nproc 2 --run-dir runs/two --threads 1 --quiet || fail "--nproc 2"
grep -q '"world_size": 2' runs/two/run.json || fail "run.json does not record world_size 2"
[ "$(summary_loss runs/one)" = "$(summary_loss runs/two)" ] || fail "final loss $(summary_loss runs/one) (1 process) != $(summary_loss runs/two) (2)"

"$RECIPEC" run tiny.recipe --nproc 2 --run-dir runs/split --threads 1 --quiet --until-step 5 --shard-optimizer || fail "stopped run"
"$RECIPEC" run --resume runs/split --nproc 2 --threads 1 --quiet --shard-optimizer || fail "--resume --nproc 2"
[ "$(summary_loss runs/split | tail -1)" = "$(summary_loss runs/two)" ] || fail "resumed sharded run ends at $(summary_loss runs/split | tail -1), not $(summary_loss runs/two)"

set +e
"$RECIPEC" run tiny.recipe --nproc 0 --run-dir runs/zero 2> err.txt
code=$?
set -e
[ "$code" = 1 ] || fail "--nproc 0 exited $code, not 1: $(cat err.txt)"
grep -q -- "--nproc" err.txt || fail "--nproc 0: the message does not name --nproc: $(cat err.txt)"
echo "ok: 1 process and 2 processes end at loss $(summary_loss runs/two); resumed sharded run too"
