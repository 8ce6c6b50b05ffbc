#!/usr/bin/env bash
# bench/gpu/run.sh — one command on a GPU machine, from a checkout carrying .gpu/ and .deps/
# (bench/gpu/prepare.sh made them): builds recipec-runtime for CUDA exactly as CI compiles it
# (scripts/build_runtime.sh --cuda, against the machine's torch), then times recipec against
# its peers on the same shapes and tokens and prints one table:
#   GPT-2 124M bf16 B32 T1024: recipec vs torch.compile vs eager (bench/gpu/peers.py)
#   TinyLlama shape bf16 B8 T2048: recipec vs Hugging Face LlamaForCausalLM eager
# Everything is written under $OUT (default /tmp/out). PEAK (default 989e12, H100/H200 bf16
# dense) is the MFU denominator on every side. RUNTIME=path skips the build.
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${OUT:-/tmp/out}; mkdir -p "$O"; S=$O/summary.txt; : > "$S"
PEAK=${PEAK:-989e12}
say() { echo "$*" | tee -a "$S"; }
command -v nvidia-smi >/dev/null && say "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
say "$(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)')"
R=${RUNTIME:-}
if [ -z "$R" ]; then
  SECONDS=0
  scripts/build_runtime.sh --cuda /tmp/recipec-cuda > "$O/build.log" 2>&1 || { tail -40 "$O/build.log" | tee -a "$S"; exit 1; }
  say "build: ${SECONDS}s; $(tail -3 "$O/build.log" | tr '\n' ' ')"
  R=/tmp/recipec-cuda/bin/recipec-runtime
fi
SECONDS=0; python3 bench/gpu/peers.py --peak-flops=$PEAK > "$O/peers.jsonl" 2> "$O/peers.err"; say "peers: ${SECONDS}s"
DEVICE=${DEVICE:-cuda}
for p in gpt2-124m tinyllama; do
  python3 -c 'import json, os, sys; p = json.load(open(sys.argv[1])); p["base_dir"] = os.getcwd(); json.dump(p, open(sys.argv[2], "w"))' \
    ".gpu/$p.plan.json" "$O/$p.plan.json"
  rm -rf "$O/runs/$p"
  SECONDS=0
  "$R" run "$O/$p.plan.json" --device "$DEVICE" --run-dir "$O/runs/$p" --peak-flops "$PEAK" --log-every 1 \
    --until-step "${STEPS:-30}" > "$O/$p.log" 2>&1
  say "recipec $p: exit $? in ${SECONDS}s"
done
python3 - "$O" <<'PY' | tee -a "$S"
import json, os, sys
O = sys.argv[1]
peers = {j["peer"]: j for j in map(json.loads, open(os.path.join(O, "peers.jsonl"))) if "tokens_per_s" in j}
def recipec(name, warm=5):
    try:
        tr = [j for j in map(json.loads, open(os.path.join(O, "runs", name, "metrics.jsonl"))) if j.get("type") == "train"]
    except FileNotFoundError:
        return None
    t = sorted(tr[warm:] or tr, key=lambda j: j["tokens_per_s"])
    return t[len(t) // 2] if t else None
print(f"{'workload':<34}{'side':<26}{'tokens/s':>11}{'MFU':>8}{'recipec / side':>16}")
for work, mine, others in (("GPT-2 124M bf16 B32 T1024", "gpt2-124m", ["gpt2-compile", "gpt2-eager"]),
                           ("TinyLlama shape bf16 B8 T2048", "tinyllama", ["llama-hf-eager"])):
    r = recipec(mine)
    rt = r["tokens_per_s"] if r else float("nan")
    print(f"{work:<34}{'recipec':<26}{rt:>11,.0f}{(r or {}).get('mfu', float('nan')):>8.3f}")
    for o in others:
        p = peers.get(o)
        if p:
            print(f"{'':<34}{o:<26}{p['tokens_per_s']:>11,}{p['mfu']:>8.3f}{rt / p['tokens_per_s']:>15.2f}x")
        else:
            print(f"{'':<34}{o:<26}{'failed (see peers.jsonl)':>27}")
PY
