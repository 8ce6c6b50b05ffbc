#!/usr/bin/env python3
"""Cold-process latency of `recipec check` on every recipe in recipes/.

Printed next to references measured in the same run: `recipec --version` (the cost of
starting the binary and loading its libraries) and `cat` of the same file (the floor of
starting any process). Target: a check under 50 ms. `recipec` never loads LibTorch.
  bench/bench_check.py [--runs N] [--bin build/bin/recipec]
"""
import argparse, glob, os, statistics, subprocess, time

def median_ms(cmd, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--bin", default="build/bin/recipec")
    a = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; median of {a.runs} runs")
    print(f"{'recipe':<40}{'check ms':>10}{'--version ms':>14}{'cat ms':>9}")
    version = median_ms([a.bin, "--version"], a.runs)
    for f in sorted(glob.glob("recipes/*.recipe")):
        print(f"{f:<40}{median_ms([a.bin, 'check', f], a.runs):>10.1f}{version:>14.1f}{median_ms(['cat', f], a.runs):>9.1f}")
    libs = subprocess.run(["ldd", a.bin], capture_output=True, text=True).stdout
    print(f"shared libraries: {libs.count('=>')}, LibTorch among them: {'torch' in libs}")

if __name__ == "__main__":
    main()
