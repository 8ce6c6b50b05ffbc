#!/usr/bin/env python3
"""ref_models.py — plain-PyTorch reference for runtime/models (GPT-2 and Llama), used by
tests/runtime/test_parity.cpp.

Contract:  ref_models.py WEIGHTS BATCH OUT
  WEIGHTS  safetensors with Hugging Face parameter names; "__metadata__"."config" holds the
           plan::Model JSON (arch, n_layer, n_head, n_kv_head, d_model, ...).
  BATCH    safetensors: "idx" (B, T) I64, "targets" (B, T) I64 (-1 = ignored) and, for the
           EST case, "sub.run" (L) I64 and "sub.heads.<i>" / "sub.units.<i>" I64 (the kept
           heads and MLP units the C++ side resolved from its seed).
  OUT      safetensors of F32: for each case c in {"full", "sub"}: "c.loss" (1),
           "c.per_sample" (B), "c.logits" (B, T, V) and "c.grad.<HF name>" per parameter.
Exit 0 on success.

Written independently of the C++: HF layouts read directly (GPT-2 Conv1D x @ W + b, Llama
nn.Linear x @ W^T), an explicit tril mask + softmax, the "gelu_new" formula written out,
HF's repeat_kv / rotate_half / float32 RMSNorm. The EST subnet is applied by MASKING
(head outputs and MLP units zeroed and rescaled) where the C++ slices weights, so the two
agree only if the slicing is right. There is no `safetensors` package here: the reader and
writer below use json + numpy, which also proves C++-written files are readable.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

_NP = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64,
       "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        raw = data[begin:end]
        if e["dtype"] == "BF16":  # numpy has no bfloat16: widen the 16 bits to float32
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_NP[e["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.copy()).reshape(e["shape"])
    return out, meta


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = {np.float32: "F32", np.int64: "I64"}[a.dtype.type]
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def head_mask(n, kept):
    """(n,) float: n/len(kept) on kept entries, 0 elsewhere (EST rescaling)."""
    m = torch.zeros(n)
    m[kept] = n / len(kept)
    return m


def causal_softmax_attention(q, k, v):
    """q, k, v (B, H, T, D) -> (B, H, T, D)."""
    T, D = q.shape[-2], q.shape[-1]
    att = (q @ k.transpose(-2, -1)) / math.sqrt(D)
    keep = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = att.masked_fill(~keep, float("-inf"))
    return torch.softmax(att, dim=-1) @ v


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def gpt2_forward(P, cfg, idx, sub):
    B, T = idx.shape
    C, H, L = cfg["d_model"], cfg["n_head"], cfg["n_layer"]
    D, eps = C // H, cfg["norm_eps"]
    x = P["wte.weight"][idx] + P["wpe.weight"][:T]
    for i in range(L):
        if sub is not None and not sub["run"][i]:
            continue
        p = lambda n: P[f"h.{i}.{n}"]
        h = F.layer_norm(x, (C,), p("ln_1.weight"), p("ln_1.bias"), eps)
        qkv = h @ p("attn.c_attn.weight") + p("attn.c_attn.bias")  # Conv1D
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v))
        y = causal_softmax_attention(q, k, v)  # (B, H, T, D)
        if sub is not None:
            y = y * head_mask(H, sub["heads"][i]).view(1, H, 1, 1)
        y = y.transpose(1, 2).reshape(B, T, C)
        x = x + y @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        h = F.layer_norm(x, (C,), p("ln_2.weight"), p("ln_2.bias"), eps)
        u = gelu_new(h @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias"))
        if sub is not None:
            u = u * head_mask(cfg["d_ff"], sub["units"][i])
        x = x + u @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    x = F.layer_norm(x, (C,), P["ln_f.weight"], P["ln_f.bias"], eps)
    head = P["wte.weight"] if cfg["tie_embeddings"] else P["lm_head.weight"]
    return x @ head.t()


def rms_norm(x, w, eps):
    xf = x.to(torch.float32)
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return w * xf.to(x.dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_forward(P, cfg, idx, sub):
    B, T = idx.shape
    C, H, L = cfg["d_model"], cfg["n_head"], cfg["n_layer"]
    KV = cfg["n_kv_head"] or H
    D, eps = C // H, cfg["norm_eps"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    freqs = torch.outer(torch.arange(T, dtype=torch.int64).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()  # (T, D)
    x = P["model.embed_tokens.weight"][idx]
    for i in range(L):
        if sub is not None and not sub["run"][i]:
            continue
        p = lambda n: P[f"model.layers.{i}.{n}"]
        h = rms_norm(x, p("input_layernorm.weight"), eps)
        q = (h @ p("self_attn.q_proj.weight").t()).view(B, T, H, D).transpose(1, 2)
        k = (h @ p("self_attn.k_proj.weight").t()).view(B, T, KV, D).transpose(1, 2)
        v = (h @ p("self_attn.v_proj.weight").t()).view(B, T, KV, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KV  # HF repeat_kv: each kv head serves `rep` consecutive query heads
        k = k[:, :, None].expand(B, KV, rep, T, D).reshape(B, H, T, D)
        v = v[:, :, None].expand(B, KV, rep, T, D).reshape(B, H, T, D)
        y = causal_softmax_attention(q, k, v)
        if sub is not None:
            y = y * head_mask(H, sub["heads"][i]).view(1, H, 1, 1)
        y = y.transpose(1, 2).reshape(B, T, C)
        x = x + y @ p("self_attn.o_proj.weight").t()
        h = rms_norm(x, p("post_attention_layernorm.weight"), eps)
        u = F.silu(h @ p("mlp.gate_proj.weight").t()) * (h @ p("mlp.up_proj.weight").t())
        if sub is not None:
            u = u * head_mask(cfg["d_ff"], sub["units"][i])
        x = x + u @ p("mlp.down_proj.weight").t()
    x = rms_norm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if cfg["tie_embeddings"] else P["lm_head.weight"]
    return x @ head.t()


def per_sample_loss(logits, targets):
    B, T, V = logits.shape
    tok = F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T),
                          ignore_index=-1, reduction="none").view(B, T)
    count = (targets != -1).sum(1).clamp(min=1).to(torch.float32)
    return tok.sum(1) / count


def main(weights_path, batch_path, out_path):
    torch.manual_seed(0)
    weights, meta = read_safetensors(weights_path)
    cfg = json.loads(meta["config"])
    batch, _ = read_safetensors(batch_path)
    forward = {"gpt2": gpt2_forward, "llama": llama_forward}[cfg["arch"]]
    cases = {"full": None}
    if "sub.run" in batch:
        L = cfg["n_layer"]
        cases["sub"] = {"run": [bool(r) for r in batch["sub.run"].tolist()],
                        "heads": [batch[f"sub.heads.{i}"] for i in range(L)],
                        "units": [batch[f"sub.units.{i}"] for i in range(L)]}
    out = {}
    for case, sub in cases.items():
        P = {n: t.clone().requires_grad_(True) for n, t in weights.items()}
        logits = forward(P, cfg, batch["idx"], sub)
        per = per_sample_loss(logits, batch["targets"])
        loss = per.mean()
        loss.backward()
        out[f"{case}.loss"] = loss.detach().reshape(1)
        out[f"{case}.per_sample"] = per.detach()
        out[f"{case}.logits"] = logits.detach()
        for n, t in P.items():
            out[f"{case}.grad.{n}"] = t.grad if t.grad is not None else torch.zeros_like(t)
    write_safetensors(out_path, out)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: ref_models.py WEIGHTS BATCH OUT")
    main(*sys.argv[1:])
