#!/usr/bin/env python3
"""ref_nll.py — plain-PyTorch per-token NLL for tests/runtime/test_analyze.cpp.

Contract:  ref_nll.py WEIGHTS PLAN TSV BLOCKS
  WEIGHTS  the checkpoint's model.safetensors (Hugging Face names)
  PLAN     the run's plan.json: the model config is its `train.model`, the context its
           `train.seq_len` T, the end-of-text id its tokenizer's `eot_id`
  TSV      `recipec eval --per-token` output; the rows of its first dataset are the targets
           of the packed held-out stream, whose first token (context only) is end-of-text
  BLOCKS   how many blocks of T targets to recompute
Prints the largest |NLL here - NLL in the TSV| over those tokens; exit 0.
The forward is ref_models.py's (written independently of the C++); the NLL is
F.cross_entropy on its logits, block b seeing stream tokens bT .. bT+T-1 as recipec packs them.
"""
import csv
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_models import gpt2_forward, llama_forward, read_safetensors  # noqa: E402


def main(weights_path, plan_path, tsv_path, blocks):
    weights, _ = read_safetensors(weights_path)
    with open(plan_path) as f:
        plan = json.load(f)
    cfg = next(m for m in plan["models"] if m["name"] == plan["train"]["model"])
    T = plan["train"]["seq_len"]
    eot = plan["tokenizers"][0]["eot_id"]
    ids, nll, first = [], [], None
    with open(tsv_path, newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        col = {name: i for i, name in enumerate(header)}
        for r in rows:
            first = first or r[col["dataset"]]
            if r[col["dataset"]] != first:
                break
            ids.append(int(r[col["id"]]))
            nll.append(float(r[col["nll"]]))
    stream = torch.tensor([eot] + ids, dtype=torch.int64)
    forward = {"gpt2": gpt2_forward, "llama": llama_forward}[cfg["arch"]]
    worst = 0.0
    with torch.no_grad():
        for b in range(blocks):
            x = stream[b * T: b * T + T].view(1, T)
            y = stream[b * T + 1: b * T + T + 1]
            logits = forward(weights, cfg, x, None)[0]
            tok = F.cross_entropy(logits, y, reduction="none")
            mine = torch.tensor(nll[b * T: b * T + T])
            worst = max(worst, (tok - mine).abs().max().item())
    print(f"{worst:.3e}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: ref_nll.py WEIGHTS PLAN TSV BLOCKS")
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
