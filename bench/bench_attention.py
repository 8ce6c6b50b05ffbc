#!/usr/bin/env python3
"""bench_attention — causal attention on the CPU, forward + backward: torch's fused
scaled_dot_product_attention (what recipec-runtime calls) against the composite
baddbmm(mask) + softmax + bmm (the path recipec kept for LibTorch 1.13), and against
torch's masked-softmax eager form. Same ATen kernels as LibTorch (the .venv torch).

Prints ms per forward+backward for each shape (best of --repeats, alternating) and the
ratio composite / SDPA (> 1: SDPA faster).
    .venv/bin/python bench/bench_attention.py
"""
import argparse, math, time

import torch
import torch.nn.functional as F


def sdpa(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def composite(q, k, v, mask):
    B, H, T, D = q.shape
    att = torch.baddbmm(mask, q.reshape(B * H, T, D), k.reshape(B * H, T, D).transpose(1, 2),
                        beta=1.0, alpha=1.0 / math.sqrt(D))
    return torch.bmm(att.softmax(-1), v.reshape(B * H, T, D)).view(B, H, T, D)


def masked(q, k, v, mask):
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
    return att.masked_fill(mask[0] == float("-inf"), float("-inf")).softmax(-1) @ v


def time_one(fn, q, k, v, mask, iters):
    best = 1e30
    for _ in range(iters):
        for t in (q, k, v):
            t.grad = None
        t0 = time.perf_counter()
        fn(q, k, v, mask).sum().backward()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--iters", type=int, default=5)
    a = ap.parse_args()
    shapes = [(16, 4, 128, 32), (8, 6, 256, 64), (8, 4, 64, 16), (4, 12, 512, 64)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per forward+backward, best of "
          f"{a.repeats} x {a.iters}")
    print(f"{'B H T D':<18}{'sdpa':>9}{'composite':>11}{'masked':>9}{'composite/sdpa':>16}")
    for B, H, T, D in shapes:
        torch.manual_seed(0)
        q, k, v = (torch.randn(B, H, T, D, requires_grad=True) for _ in range(3))
        mask = torch.full((T, T), float("-inf")).triu_(1).expand(B * H, T, T)
        res = {n: 1e30 for n in ("sdpa", "composite", "masked")}
        for _ in range(a.repeats):
            for n, fn in (("sdpa", sdpa), ("composite", composite), ("masked", masked)):
                res[n] = min(res[n], time_one(fn, q, k, v, mask, a.iters))
        print(f"{f'{B} {H} {T} {D}':<18}{res['sdpa']:>9.2f}{res['composite']:>11.2f}{res['masked']:>9.2f}"
              f"{res['composite'] / res['sdpa']:>15.2f}x")


if __name__ == "__main__":
    main()
