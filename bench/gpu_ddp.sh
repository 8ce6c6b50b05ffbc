#!/usr/bin/env bash
# bench/gpu_ddp.sh — what the c10d group costs by itself on a GPU: the same plan trained by
# one process without a group and in an NCCL group of one (`--process-group`: every
# collective real, the gradient buckets launched during the backward), alternating twice.
# Prints the tokens/s of both (median of the steps after the first 5) side by side, their
# ratio (target: within 3%), and the largest loss difference (must be 0: a sum over one rank).
#
# On the GPU machine, from the repository root, with .deps/include staged here beforehand
# (scripts/stage_headers.sh) and carried along:
#   bench/gpu_ddp.sh PLAN.json [STEPS]     e.g. the GPU kit's GPT-2 124M plan, 30 steps
# It builds recipec-runtime against the machine's pip LibTorch, with nccl.h from the wheel's
# nvidia/nccl package. RUNTIME=path skips the build; DEVICE=cpu makes the same comparison
# with Gloo (how the script itself is checked on a machine without a GPU).
set -euo pipefail
PLAN=${1:?usage: bench/gpu_ddp.sh PLAN.json [STEPS]}
STEPS=${2:-30}
DEVICE=${DEVICE:-cuda}
O=${OUT:-/tmp/out}/gpu_ddp
mkdir -p "$O"
R=${RUNTIME:-}
if [ -z "$R" ]; then
  TP=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  NCCL=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "include"))' 2>/dev/null || true)
  cmake -S . -B /tmp/bddp -G Ninja -DCMAKE_BUILD_TYPE=Release -DRECIPEC_COMPILER=OFF -DRECIPEC_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$TP" -DRECIPEC_NCCL_INCLUDE="$NCCL" -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON \
    -DRECIPEC_WITH_PCRE2=OFF -DRECIPEC_WITH_SENTENCEPIECE=OFF > "$O/build.log" 2>&1
  ninja -C /tmp/bddp recipec-runtime >> "$O/build.log" 2>&1 || { tail -30 "$O/build.log"; exit 1; }
  grep -q "NCCL for CUDA data parallel" "$O/build.log" || echo "warning: recipec-runtime was built without NCCL (nccl.h: '$NCCL')"
  R=/tmp/bddp/bin/recipec-runtime
fi
rm -rf "$O/runs"
# The plan with its base_dir set to this checkout (it was compiled on another machine).
python3 -c 'import json, os, sys; p = json.load(open(sys.argv[1])); p["base_dir"] = os.getcwd(); json.dump(p, open(sys.argv[2], "w"))' \
  "$PLAN" "$O/plan.json"
for rep in 1 2; do
  for side in alone group; do
    extra=()
    [ "$side" = group ] && extra=(--process-group)
    "$R" run "$O/plan.json" --device "$DEVICE" --run-dir "$O/runs/$side$rep" --until-step "$STEPS" --log-every 1 --quiet \
      "${extra[@]}" || { echo "run $side$rep failed"; exit 1; }
  done
done
python3 - "$O/runs" <<'PY'
import json, os, statistics, sys
root = sys.argv[1]
def lines(d):
    return [json.loads(l) for l in open(os.path.join(root, d, "metrics.jsonl")) if '"train"' in l]
tps, loss = {}, {}
for side in ("alone", "group"):
    rates = []
    for rep in (1, 2):
        ls = lines(f"{side}{rep}")
        rates += [l["tokens_per_s"] for l in ls[5:]]
        loss[side] = [l["loss"] for l in ls]
    tps[side] = statistics.median(rates)
print(f"{'no process group':28}{tps['alone']:12.0f} tokens/s")
print(f"{'process group of one':28}{tps['group']:12.0f} tokens/s")
print(f"{'ratio group / none':28}{tps['group'] / tps['alone']:12.3f}  (target >= 0.97)")
print(f"max |loss difference|: {max(abs(a - b) for a, b in zip(loss['alone'], loss['group'])):.3g}")
PY
