#!/usr/bin/env python3
"""bench_ddp — data-parallel throughput on CPU: 2 workers x 1 thread against 1 worker x 1 thread,
with the gradient all-reduce during the backward (--overlap on) and after it (--overlap off, the
CPU default).

Contract: trains recipes/quickstart.recipe's model and batch (GPT-2, 4 layers, d 128, 4 heads,
seq 128, batch 16, byte vocabulary 257, fp32, AdamW, clip 1.0, cosine) on the default corpus
(data/corpus/english) for `--steps` steps, each side with one intra-op thread per process
and the same global batch:
  - one process;
  - the same process in a c10d group of one (`--process-group`: every collective real), what
    the group's machinery costs by itself (the CPU counterpart of "NCCL with one rank");
  - two unrelated single-process runs at once, no communication: what two processes get
    from this machine's cores, the ceiling a data-parallel pair can reach here;
  - two processes of one run (c10d/Gloo over localhost, started with the variables torchrun
    sets), the gradient buckets launched during the backward (`--overlap on`);
  - the same, all-reduced after the backward (`--overlap off`, what `auto` does on CPU).
Prints their tokens/s (steps after `--warmup`, from rank 0's metrics.jsonl) side by side and
each one's ratio to one process, and for the runs in a group the seconds per step the
trainer waited for the all-reduce after the backward (`allreduce_wait_s`: what the backward
did not hide). The sides alternate `--repeats` times and the best and median of each are
printed, so load from other processes penalises none more than the others. The largest loss
differences are printed too (1 vs 2 workers; during vs after, which must be 0; no group vs a
group of one, which must be 0), and the CPU seconds each side used (getrusage of the
children: independent of other load on the machine).
`--batch`, `--seq-len`, `--d-model` and `--n-layer` change the shape (d 256 and 8 layers:
6.4M parameters, 26 MB of gradients a step), and `--bucket-mb` the bucket.

Run (from the repository root, after building recipec-runtime):
    .venv/bin/python bench/bench_ddp.py --runtime build/bin/recipec-runtime
"""
import argparse, json, os, resource, shutil, socket, statistics, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_plan(a):
    return {
        "plan_version": 1, "recipe_name": "bench-ddp", "recipe_path": "", "base_dir": ROOT,
        "tokenizers": [{"name": "tok", "kind": "bytes", "path": "", "vocab_size": 257, "eot_id": 256}],
        "datasets": [{"name": "english", "kind": "text", "paths": ["data/corpus/english/train/*.jsonl"],
                      "tokenizer": "tok", "json_field": "text", "val_fraction": 0.0}],
        "models": [{"name": "net", "arch": "gpt2", "n_layer": a.n_layer, "n_head": 4, "d_model": a.d_model,
                    "d_ff": 4 * a.d_model, "vocab_size": 257, "max_seq_len": 256, "tie_embeddings": True}],
        "train": {"model": "net", "seq_len": a.seq_len, "batch_seqs": a.batch, "micro_batch": a.micro_batch or a.batch,
                  "optimizer": {"kind": "adamw", "lr": 3e-3, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8,
                                "weight_decay": 0.1, "grad_clip": 1.0},
                  "schedule": {"kind": "cosine", "warmup_steps": 5, "min_lr": 3e-4},
                  "precision": "fp32", "seed": 1337},
        "phases": [{"name": "main", "duration": {"value": a.steps, "unit": "steps", "steps": -1}, "rules": []}],
        "evaluations": [], "checkpoint": {"every": None, "keep": 1}, "events": [],
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(a, work, plan_path, nproc, tag, extra=(), independent=False):
    """nproc ranks of one run, or (independent) nproc separate 1-process runs started together."""
    dirs = [os.path.join(work, f"{tag}-{r}" if independent else tag) for r in range(nproc)]
    base = dict(os.environ)  # the shared token cache: the corpus is tokenized once
    port = str(free_port())
    procs = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for r in range(nproc):
        cmd = [a.runtime, "run", plan_path, "--run-dir", dirs[r], "--log-every", "1", "--quiet",
               "--threads", "1", "--peak-flops", "1e11", "--bucket-mb", str(a.bucket_mb), *extra]
        env = dict(base)
        if nproc > 1 and not independent:
            env.update(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(nproc),
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        procs.append(subprocess.Popen(cmd, env=env))
    codes = [p.wait() for p in procs]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if any(codes):
        raise SystemExit(f"bench_ddp: {tag} failed: exit codes {codes}")
    tokens = a.batch * a.seq_len
    rate, wait, losses = 0.0, None, []
    for d in dirs[:nproc if independent else 1]:  # rank 0 alone writes metrics
        steps = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl"))]
        steps = [s for s in steps if s.get("type") == "train"]
        timed = steps[a.warmup:]
        seconds = sum(tokens / s["tokens_per_s"] for s in timed)
        rate += len(timed) * tokens / seconds
        if "allreduce_wait_s" in timed[0]:  # in a process group
            wait = statistics.mean(s["allreduce_wait_s"] for s in timed)
        losses = [s["loss"] for s in steps]
    return rate, losses, cpu, wait


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runtime", default=os.path.join(ROOT, "build/bin/recipec-runtime"))
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16, help="global batch in sequences")
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--micro-batch", type=int, default=0, help="default: the batch (no accumulation: each rank takes half the rows)")
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--bucket-mb", type=float, default=25.0)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-ddp-")
    try:
        plan_path = os.path.join(work, "plan.json")
        with open(plan_path, "w") as f:
            json.dump(make_plan(a), f)
        # "apart": two unrelated 1-thread runs at once, no communication: what two processes
        # get from this machine's cores, the ceiling a data-parallel pair can reach here.
        # "group": the same single worker in a c10d group of one (every collective real): what
        # the group's machinery costs by itself.
        sides = {"one": ("1 worker  x 1 thread", 1, (), False),
                 "group": ("1 worker, c10d group of 1", 1, ("--process-group", "--overlap", "on"), False),
                 "apart": ("2 separate runs (ceiling)", 2, (), True),
                 "during": ("2 workers, during backward", 2, ("--overlap", "on"), False),
                 "after": ("2 workers, after backward", 2, ("--overlap", "off"), False)}
        tps = {k: [] for k in sides}
        cpu = {k: [] for k in sides}
        wait = {k: [] for k in sides}
        loss = {}
        loss_diff, overlap_diff = 0.0, 0.0
        for rep in range(a.repeats):
            line = []
            for key, (label, nproc, extra, apart) in sides.items():
                t, l, c, w = run(a, work, plan_path, nproc, f"{key}{rep}", extra, apart)
                tps[key].append(t)
                cpu[key].append(c)
                wait[key].append(w)
                loss[key] = l
                line.append(f"{label} {t:8.0f}")
            loss_diff = max(loss_diff, max(abs(x - y) for x, y in zip(loss["one"], loss["during"])))
            overlap_diff = max(overlap_diff, max(abs(x - y) for x, y in zip(loss["during"], loss["after"])))
            print(f"run {rep + 1}: " + " | ".join(line) + " tokens/s")
        print()
        print(f"{'':30}{'best':>10}{'median':>10}{'':10}{'all-reduce wait, ms/step':>26}")
        for key, (label, nproc, _, apart) in sides.items():
            w = f"{1e3 * statistics.median(wait[key]):26.1f}" if wait[key][0] is not None else ""
            print(f"{label:30}{max(tps[key]):10.0f}{statistics.median(tps[key]):10.0f}  tokens/s{w}")
        for key in ("group", "apart", "during", "after"):
            print(f"{'ratio ' + key + ' / 1 worker':30}{max(tps[key]) / max(tps['one']):10.2f}"
                  f"{statistics.median(tps[key]) / statistics.median(tps['one']):10.2f}"
                  f"  (ideal {1 if key == 'group' else 2}.00)")
        print(f"{'during / after':30}{max(tps['during']) / max(tps['after']):10.2f}"
              f"{statistics.median(tps['during']) / statistics.median(tps['after']):10.2f}")
        print(f"max |loss difference| over {a.steps} steps: 1 vs 2 workers {loss_diff:.3g}; "
              f"during vs after the backward {overlap_diff:.3g}")
        # CPU seconds do not depend on what else the machine runs: what the second worker
        # costs in work (setup of both processes included), apart from waiting.
        print("CPU seconds per run (incl. setup), median: " + ", ".join(
            f"{sides[k][0].strip()} {statistics.median(cpu[k]):.1f}" for k in sides))
        group_diff = max(abs(x - y) for x, y in zip(loss["one"], loss["group"]))
        print(f"max |loss difference| 1 worker vs the same in a group of 1: {group_diff:.3g}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
