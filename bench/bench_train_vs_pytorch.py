#!/usr/bin/env python3
"""bench_train_vs_pytorch — recipec-runtime against torch 2.x, eager and torch.compile, same model.

Contract: trains the same GPT-2 (default 4 layers, d 128, 4 heads, seq 128, batch 16, GPT-2
vocabulary 50257, tied head, fp32) for the same number of steps with the same AdamW (betas
0.9/0.95, eps 1e-8, weight decay 0.1 on 2-D weights; torch's fused kernel on every side),
global-norm clip 1.0 and cosine schedule, on the same tokens (the runtime's own cached shard of
data/corpus/english), with the same threads (LibTorch's defaults on all sides: the same
intra-op count). Three sides, alternating `--repeats` times in one run:
  - recipec-runtime (the plan below);
  - torch 2.x eager, nanoGPT's loop (model(x) -> F.cross_entropy -> backward -> clip -> step
    -> zero_grad(set_to_none)), with the faster of SDPA and the masked-softmax attention
    (probed first), so the reference is the best plain-eager loop, not a strawman;
  - torch.compile (inductor, CPU, default mode) of the same model and loss as one graph,
    compiled afresh in every run (as every start of a job pays it); its first step's seconds
    are printed as the compile warm-up.
Prints each side's tokens/s over the steps after warm-up (best, median, every run) and the
ratios `recipec / torch.compile` and `recipec / pytorch eager`, of the bests and of the
medians, so load from other processes penalises no side more than another.

Run (from the repository root, after building recipec-runtime):
    .venv/bin/python bench/bench_train_vs_pytorch.py --runtime build/bin/recipec-runtime
"""
import argparse, glob, json, math, os, shutil, subprocess, sys, tempfile, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_plan(a, base_dir):
    return {
        "plan_version": 1, "recipe_name": "bench", "recipe_path": "", "base_dir": base_dir,
        "tokenizers": [{"name": "gpt2", "kind": "gpt2_bpe", "path": "data/gpt2", "vocab_size": 50257, "eot_id": 50256}],
        "datasets": [{"name": "english", "kind": "text", "paths": ["data/corpus/english/train/*"],
                      "tokenizer": "gpt2", "val_fraction": 0.0}],
        "models": [{"name": "net", "arch": "gpt2", "n_layer": a.layers, "n_head": a.heads, "d_model": a.d_model,
                    "d_ff": 4 * a.d_model, "vocab_size": 50257, "max_seq_len": a.seq, "tie_embeddings": True}],
        "train": {"model": "net", "seq_len": a.seq, "batch_seqs": a.batch, "micro_batch": a.batch,
                  "optimizer": {"kind": "adamw", "lr": 6e-4, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8,
                                "weight_decay": 0.1, "grad_clip": 1.0},
                  "schedule": {"kind": "cosine", "warmup_steps": 2, "min_lr": 6e-5},
                  "precision": "fp32", "seed": 1},
        "phases": [{"name": "main", "duration": {"value": a.steps, "unit": "steps", "steps": -1}, "rules": []}],
        "evaluations": [], "checkpoint": {"every": None, "keep": 1}, "events": [],
    }


def run_runtime(a, work, rep):
    plan_path = os.path.join(work, "plan.json")
    with open(plan_path, "w") as f:
        json.dump(make_plan(a, ROOT), f)
    run_dir = os.path.join(work, f"run{rep}")
    env = dict(os.environ, RECIPEC_CACHE_DIR=os.path.join(work, "cache"))
    cmd = [a.runtime, "run", plan_path, "--run-dir", run_dir, "--log-every", "1", "--quiet"] + a.runtime_args.split()
    subprocess.run(cmd, check=True, env=env)
    steps = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl"))]
    steps = [s for s in steps if s.get("type") == "train"]
    timed = steps[a.warmup:]
    seconds = sum(a.batch * a.seq / s["tokens_per_s"] for s in timed)
    shard = sorted(glob.glob(os.path.join(work, "cache", "tokens", "english-*", "*.bin")))[0]
    info = json.load(open(os.path.join(run_dir, "run.json")))
    return len(timed) * a.batch * a.seq / seconds, [s["loss"] for s in steps], shard, info


def read_shard(path):
    header = np.fromfile(path, dtype=np.int32, count=256)
    dtype = np.uint16 if header[1] == 1 else np.uint32
    return np.fromfile(path, dtype=dtype, offset=256 * 4)[: header[2]].astype(np.int64)


class Block(nn.Module):
    def __init__(s, d, h, fused):
        super().__init__()
        s.h, s.fused = h, fused
        s.ln_1, s.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.c_attn, s.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.c_fc, s.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x):
        B, T, C = x.shape
        q, k, v = s.c_attn(s.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, s.h, C // s.h).transpose(1, 2) for t in (q, k, v))
        if s.fused == "public":
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            mask = torch.ones(T, T, dtype=torch.bool).tril()
            y = att.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + s.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + s.mlp_proj(F.gelu(s.c_fc(s.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(s, a, fused):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(50257, a.d_model), nn.Embedding(a.seq, a.d_model)
        s.h = nn.ModuleList(Block(a.d_model, a.heads, fused) for _ in range(a.layers))
        s.ln_f = nn.LayerNorm(a.d_model)
        s.lm_head = nn.Linear(a.d_model, 50257, bias=False)
        s.lm_head.weight = s.wte.weight
        for n, p in s.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * a.layers) if n.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(s, idx):
        x = s.wte(idx) + s.wpe(torch.arange(idx.size(1)))
        for b in s.h:
            x = b(x)
        return s.lm_head(s.ln_f(x))


def make_adamw(model):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    # fused=True: torch 2.x's one-pass kernel, the fastest AdamW torch has on the CPU (what
    # recipec-runtime uses too, --fused-adamw auto).
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                             lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)


def run_pytorch(a, tokens, fused, steps, compiled=False):
    """One training run; returns (tokens/s over the steps after warm-up, seconds of the first step)."""
    torch.manual_seed(1)
    model = GPT(a, fused)
    opt = make_adamw(model)

    def loss_of(x, y):
        logits = model(x)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))

    if compiled:
        torch._dynamo.reset()  # compile from scratch every run: each start of a job pays it
        loss_of = torch.compile(loss_of)  # inductor, default mode, model and loss in one graph
    rng = np.random.default_rng(1)
    times = []
    for it in range(steps):
        lr = 6e-4 * (it + 1) / 2 if it < 2 else 6e-5 + 0.5 * (1 + math.cos(math.pi * (it - 2) / (steps - 2))) * (6e-4 - 6e-5)
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, len(tokens) - a.seq - 1, a.batch)
        xy = torch.from_numpy(np.stack([tokens[s: s + a.seq + 1] for s in starts]))
        t0 = time.perf_counter()
        loss = loss_of(xy[:, :-1], xy[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()
        times.append(time.perf_counter() - t0)
    timed = times[a.warmup:]
    return len(timed) * a.batch * a.seq / sum(timed), times[0]


def median(xs):
    return sorted(xs)[len(xs) // 2]


def ratio_line(label, xs, ys, digits=2):
    """`ratio LABEL: X.XXx (best of each); Y.YYx (medians)` of two sides' tokens/s runs."""
    return (f"ratio {label}: {max(xs) / max(ys):.{digits}f}x (best of each); "
            f"{median(xs) / median(ys):.{digits}f}x (medians)")


def add_workload_args(ap, repeats):
    """The runtime, the model and the timing: shared with bench_runtime_ab.py."""
    ap.add_argument("--runtime", default=os.path.join(ROOT, "build", "bin", "recipec-runtime"))
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3, help="steps left out of the timing")
    ap.add_argument("--repeats", type=int, default=repeats, help="alternating runs of each side")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_workload_args(ap, repeats=3)
    ap.add_argument("--runtime-args", default="", help="extra recipec-runtime run options, e.g. '--fused-adamw off'")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="recipec-bench-")
    try:
        rt_tps, rt_losses, shard, info = run_runtime(a, work, 0)
        tokens = read_shard(shard)
        variants = ["public", "masked"]
        # Pick the faster eager attention form on a short run, then time the full runs with it.
        probe = {v: run_pytorch(a, tokens, v, a.warmup + 3)[0] for v in variants}
        best = max(probe, key=probe.get)
        rt_all, eager_all, comp_all, comp_first, eager_first = [rt_tps], [], [], [], []
        for rep in range(a.repeats):
            if rep:
                rt_all.append(run_runtime(a, work, rep)[0])
            tps, first = run_pytorch(a, tokens, best, a.steps)
            eager_all.append(tps)
            eager_first.append(first)
            tps, first = run_pytorch(a, tokens, "public", a.steps, compiled=True)
            comp_all.append(tps)
            comp_first.append(first)
        med = median
        runs = lambda xs: ", ".join(f"{x:.0f}" for x in xs)
        print(f"model: GPT-2 {a.layers} layers, d {a.d_model}, {a.heads} heads, seq {a.seq}, batch {a.batch}, "
              f"vocab 50257, fp32; {a.steps} steps, first {a.warmup} not timed; {a.repeats} alternating runs each")
        print(f"threads: torch intra-op {torch.get_num_threads()} (python) / {info['threads']} (runtime); "
              f"torch {torch.__version__} (python) / LibTorch {info.get('torch_version', '?')} (runtime)")
        print(f"{'side':<34}{'best tok/s':>12}{'median':>10}   runs")
        print(f"{'recipec-runtime':<34}{max(rt_all):>12,.0f}{med(rt_all):>10,.0f}   {runs(rt_all)}")
        print(f"{'torch.compile (inductor, CPU)':<34}{max(comp_all):>12,.0f}{med(comp_all):>10,.0f}   {runs(comp_all)}")
        print(f"{'pytorch eager (' + best + ' attention)':<34}{max(eager_all):>12,.0f}{med(eager_all):>10,.0f}   "
              f"{runs(eager_all)}  (probe: {', '.join(f'{k} {v:.0f}' for k, v in probe.items())})")
        print(f"recipec loss {rt_losses[0]:.3f} -> {rt_losses[-1]:.3f}; MFU uses {info['peak_flops_source']}")
        print(f"torch.compile warm-up (its first step): {comp_first[0]:.1f} s in the first run (cold caches), "
              f"{', '.join(f'{x:.1f}' for x in comp_first[1:])} s in the next (inductor's on-disk cache warm); "
              f"eager's first step {med(eager_first):.2f} s; recipec-runtime compiles nothing at start")
        print(ratio_line("recipec / torch.compile", rt_all, comp_all))
        print(ratio_line("recipec / pytorch eager", rt_all, eager_all))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
