#!/usr/bin/env python3
"""bench/gpu/peers.py — the peers a user would pick instead of recipec on a GPU, on the same
shapes and tokens as bench/gpu/*.recipe: a nanoGPT-style GPT-2 124M (flash SDPA, bf16 autocast,
fused AdamW, clip 1.0) eager and under torch.compile, and Hugging Face's LlamaForCausalLM at
the TinyLlama shape (SDPA, bf16 autocast, fused AdamW). One JSON line per peer: tokens/s after
warm-up, MFU on --peak-flops, the first step's seconds (torch.compile's warm-up).
    python3 bench/gpu/peers.py [gpt2-eager gpt2-compile llama-hf-eager]
Without a GPU it runs tiny shapes on the CPU (a check of the script, no figure)."""
import json, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEV = "cuda" if torch.cuda.is_available() else "cpu"
SMALL = DEV == "cpu"
PEAK = float(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--peak-flops=")), 989e12))


def sync():
    if DEV == "cuda":
        torch.cuda.synchronize()


def shard(path):
    h = np.fromfile(path, dtype=np.int32, count=256)
    return torch.from_numpy(np.fromfile(path, dtype=np.uint16 if h[1] == 1 else np.uint32, offset=1024)[: h[2]].astype(np.int64))


class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.h = h
        s.ln_1, s.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.c_attn, s.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.c_fc, s.m_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x):
        B, T, C = x.shape
        q, k, v = (t.view(B, T, s.h, C // s.h).transpose(1, 2) for t in s.c_attn(s.ln_1(x)).split(C, 2))
        x = x + s.c_proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C))
        return x + s.m_proj(F.gelu(s.c_fc(s.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(s, L, d, h, V, T):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(V, d), nn.Embedding(T, d)
        s.h = nn.ModuleList(Block(d, h) for _ in range(L))
        s.ln_f = nn.LayerNorm(d)
        for p in s.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(s, idx):
        x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1], device=idx.device))
        for b in s.h:
            x = b(x)
        return s.ln_f(x) @ s.wte.weight.t()


def adamw(m, lr):
    dec = [p for p in m.parameters() if p.dim() >= 2]
    nod = [p for p in m.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": dec, "weight_decay": 0.1}, {"params": nod, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), fused=True)


def run(name):
    torch.manual_seed(1)
    if name.startswith("gpt2"):
        B, T, L, d, V = (2, 64, 2, 128, 50257) if SMALL else (32, 1024, 12, 768, 50257)
        toks = shard(".gpu/shards/gpt2/shard_000000.bin")
        model = GPT(L, d, d // 64, V, T).to(DEV)
        n_mat = sum(p.numel() for p in model.parameters()) - model.wpe.weight.numel()
        fwd = torch.compile(model) if "compile" in name else model
    else:
        from transformers import LlamaConfig, LlamaForCausalLM
        B, T, L, d, V = (2, 64, 2, 128, 32000) if SMALL else (8, 2048, 22, 2048, 32000)
        toks = shard(".gpu/shards/llama/shard_000000.bin")
        cfg = LlamaConfig(vocab_size=V, hidden_size=d, intermediate_size=256 if SMALL else 5632, num_hidden_layers=L,
                          num_attention_heads=4 if SMALL else 32, num_key_value_heads=2 if SMALL else 4,
                          max_position_embeddings=T, tie_word_embeddings=False, attn_implementation="sdpa")
        model = LlamaForCausalLM(cfg).float().to(DEV)
        n_mat = sum(p.numel() for p in model.parameters()) - model.model.embed_tokens.weight.numel()
        fwd = lambda x: model(input_ids=x).logits
    fpt = 6 * n_mat + 12 * L * T * d
    opt = adamw(model, 6e-4)
    per = B * T + 1
    chunks = [toks[i * B * T: i * B * T + per] for i in range(len(toks) // (B * T) - 1)]
    times, loss = [], None
    warm, n = (8 if "compile" in name else 5), (2 if SMALL else 20)
    for i in range(warm + n):
        c = chunks[i % len(chunks)]
        x, y = c[:-1].view(B, T).to(DEV), c[1:].view(B, T).to(DEV)
        sync()
        t0 = time.perf_counter()
        with torch.autocast(DEV, dtype=torch.bfloat16):
            logits = fwd(x)
        loss = F.cross_entropy(logits.float().view(-1, V), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        times.append(time.perf_counter() - t0)
    tps = n * B * T / sum(times[warm:])
    print(json.dumps({"peer": name, "B": B, "T": T, "tokens_per_s": round(tps), "mfu": round(tps * fpt / PEAK, 4),
                      "first_step_s": round(times[0], 2), "loss": round(float(loss), 3),
                      "max_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1) if DEV == "cuda" else 0}),
          flush=True)


for name in [a for a in sys.argv[1:] if not a.startswith("--")] or ["gpt2-eager", "gpt2-compile", "llama-hf-eager"]:
    try:
        run(name)
    except Exception as e:  # one peer failing (no transformers, out of memory) leaves the others
        print(json.dumps({"peer": name, "error": repr(e)[:300]}), flush=True)
    if DEV == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
