#!/usr/bin/env python3
"""bench_runtime_ab — recipec-runtime against itself with other options, alternating, on the
plan of bench_train_vs_pytorch.py (GPT-2 4 layers, d 128, vocabulary 50257, B16 T128, fp32).
Prints each side's tokens/s over the steps after warm-up (best, median, every run) and the
ratio B / A. How docs/runtime.md's "which path where" figures were measured, e.g.
    .venv/bin/python bench/bench_runtime_ab.py --a '--fused-adamw off' --b '--fused-adamw on'
"""
import argparse, os, shutil, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_train_vs_pytorch as tv  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", default="", help="recipec-runtime run options of side A")
    ap.add_argument("--b", default="", help="recipec-runtime run options of side B")
    tv.add_workload_args(ap, repeats=5)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="recipec-ab-")
    try:
        res = {"A": [], "B": []}
        for rep in range(a.repeats):
            for side, extra in (("A", a.a), ("B", a.b)):
                a.runtime_args = extra
                res[side].append(tv.run_runtime(a, work, f"{side}{rep}")[0])
        print(f"recipec-runtime, GPT-2 {a.layers} layers d {a.d_model} B{a.batch} T{a.seq}, {a.steps} steps "
              f"(first {a.warmup} untimed), {a.repeats} alternating runs")
        for side, opts in (("A", a.a), ("B", a.b)):
            xs = res[side]
            print(f"{side} [{opts or 'defaults'}]: best {max(xs):,.0f}, median {tv.median(xs):,.0f} tokens/s "
                  f"(runs: {', '.join(f'{x:.0f}' for x in xs)})")
        print(tv.ratio_line("B / A", res["B"], res["A"], digits=3))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
