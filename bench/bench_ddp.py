#!/usr/bin/python3
"""bench_ddp — data-parallel throughput on CPU: 2 workers x 1 thread against 1 worker x 1 thread.

Contract: trains recipes/quickstart.recipe's model and batch (GPT-2, 4 layers, d 128, 4 heads,
seq 128, batch 16, byte vocabulary 257, fp32, AdamW, clip 1.0, cosine) on the default corpus
(data/corpus/english) for `--steps` steps, once as one process with one intra-op thread and
once as two processes (c10d/Gloo over localhost, started with the variables torchrun sets)
with one thread each, at the same global batch. Prints the tokens/s of both (steps after
`--warmup`, from rank 0's metrics.jsonl) side by side and their ratio; the two alternate
`--repeats` times and the best and median of each are printed, so load from other processes
on a shared machine penalises neither side more than the other. The ideal ratio is 2.0 on two
idle cores; the gap is the all-reduce of the 0.86M gradients (3.4 MB) per step and the step
boundary the two wait on together. The loss of both is printed too, and the CPU seconds
each side used (getrusage of the children: independent of other load on the machine).

Run (from the repository root, after building recipec-runtime):
    /usr/bin/python3 bench/bench_ddp.py --runtime build/bin/recipec-runtime
"""
import argparse, json, os, resource, shutil, socket, statistics, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_plan(a):
    return {
        "plan_version": 1, "recipe_name": "bench-ddp", "recipe_path": "", "base_dir": ROOT,
        "tokenizers": [{"name": "tok", "kind": "bytes", "path": "", "vocab_size": 257, "eot_id": 256}],
        "datasets": [{"name": "english", "kind": "text", "paths": ["data/corpus/english/train/*.jsonl"],
                      "tokenizer": "tok", "json_field": "text", "val_fraction": 0.0}],
        "models": [{"name": "net", "arch": "gpt2", "n_layer": 4, "n_head": 4, "d_model": 128,
                    "d_ff": 512, "vocab_size": 257, "max_seq_len": 256, "tie_embeddings": True}],
        "train": {"model": "net", "seq_len": 128, "batch_seqs": 16, "micro_batch": a.micro_batch,
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


def run(a, work, plan_path, nproc, tag):
    run_dir = os.path.join(work, tag)
    cmd = [a.runtime, "run", plan_path, "--run-dir", run_dir, "--log-every", "1", "--quiet",
           "--threads", "1", "--peak-flops", "1e11"]
    base = dict(os.environ)  # the shared token cache: the corpus is tokenized once
    port = str(free_port())
    procs = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for r in range(nproc):
        env = dict(base)
        if nproc > 1:
            env.update(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(nproc),
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        procs.append(subprocess.Popen(cmd, env=env))
    codes = [p.wait() for p in procs]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if any(codes):
        raise SystemExit(f"bench_ddp: {tag} failed: exit codes {codes}")
    steps = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl"))]
    steps = [s for s in steps if s.get("type") == "train"]
    timed = steps[a.warmup:]
    tokens = 16 * 128
    seconds = sum(tokens / s["tokens_per_s"] for s in timed)
    return len(timed) * tokens / seconds, [s["loss"] for s in steps], cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runtime", default=os.path.join(ROOT, "build/bin/recipec-runtime"))
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--micro-batch", type=int, default=16, help="16: no accumulation (each rank takes 8 rows)")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-ddp-")
    try:
        plan_path = os.path.join(work, "plan.json")
        with open(plan_path, "w") as f:
            json.dump(make_plan(a), f)
        one, two, loss_diff, cpu1, cpu2 = [], [], 0.0, [], []
        for rep in range(a.repeats):
            t1, l1, c1 = run(a, work, plan_path, 1, f"one{rep}")
            t2, l2, c2 = run(a, work, plan_path, 2, f"two{rep}")
            cpu1.append(c1)
            cpu2.append(c2)
            one.append(t1)
            two.append(t2)
            loss_diff = max(loss_diff, max(abs(x - y) for x, y in zip(l1, l2)))
            print(f"run {rep + 1}: 1 worker x 1 thread {t1:8.0f} tokens/s | 2 workers x 1 thread {t2:8.0f} tokens/s")
        print()
        print(f"{'':28}{'best':>10}{'median':>10}")
        print(f"{'1 worker  x 1 thread':28}{max(one):10.0f}{statistics.median(one):10.0f}  tokens/s")
        print(f"{'2 workers x 1 thread (gloo)':28}{max(two):10.0f}{statistics.median(two):10.0f}  tokens/s")
        print(f"{'ratio':28}{max(two) / max(one):10.2f}{statistics.median(two) / statistics.median(one):10.2f}  (ideal 2.00)")
        print(f"max |loss difference| over {a.steps} steps: {loss_diff:.3g}")
        # CPU seconds do not depend on what else the machine runs: what the second worker
        # costs in work (setup of both processes included), apart from waiting.
        print(f"CPU seconds per run (incl. setup), median: 1 worker {statistics.median(cpu1):.1f}, "
              f"2 workers {statistics.median(cpu2):.1f} ({statistics.median(cpu2) / statistics.median(cpu1):.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
