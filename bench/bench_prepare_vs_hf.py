#!/usr/bin/env python3
"""bench_prepare_vs_hf.py: `recipec prepare` against Hugging Face `tokenizers` on the same text.

Tokenizes the default corpus (every data/corpus/*/train/*.jsonl document) with a
tokenizer.json, both ways, one thread and all threads, and prints tokens/s side by side:
  - recipec: `recipec prepare -t hf:TOKENIZER -j N` (reading JSON lines, tokenizing, writing
    shards: the whole job), wall time of the command;
  - Hugging Face: Tokenizer.from_file(...).encode_batch(texts) with RAYON_NUM_THREADS=N, wall
    time of the call alone (the texts already in memory: the tokenizer's own speed).
Tokenizers: Llama-3's tokenizer.json (data/llama3) and GPT-2's, which `tokenizers` builds
here from data/gpt2's encoder.json and vocab.bpe, so both sides read the same file.
The ids are not compared here: tests/data (HfTokenizer.*) holds the parity.

    .venv/bin/python bench/bench_prepare_vs_hf.py [--recipec build/bin/recipec] [--runs 3]
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hf_seconds(tokenizer_json, texts, threads, runs):
    code = (
        "import json, sys, time\n"
        "from tokenizers import Tokenizer\n"
        "t = Tokenizer.from_file(sys.argv[1]); texts = json.load(open(sys.argv[2]))\n"
        "t.encode_batch(texts[:50], add_special_tokens=False)\n"
        "s = time.perf_counter(); enc = t.encode_batch(texts, add_special_tokens=False)\n"
        "print(time.perf_counter() - s, sum(len(e.ids) for e in enc))\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(texts, f)
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true")
    times, tokens = [], 0
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code, tokenizer_json, f.name], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        times.append(float(out[0]))
        tokens = int(out[1])
    os.unlink(f.name)
    return statistics.median(times), tokens


def recipec_seconds(recipec, tokenizer_json, files, threads, runs):
    times, tokens = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            s = time.perf_counter()
            p = subprocess.run([recipec, "prepare", *files, "-o", out + "/shards", "-t", "hf:" + tokenizer_json, "-j", str(threads),
                                "--quiet"], check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - s)
            tokens = sum(json.load(open(m))["tokens"] for m in glob.glob(out + "/shards/*.bin.json"))
    return statistics.median(times), tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipec", default=os.path.join(ROOT, "build/bin/recipec"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(ROOT, "data/corpus/*/train/*.jsonl")))
    texts = [json.loads(l)["text"] for f in files for l in open(f, encoding="utf-8") if l.strip()]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    with tempfile.TemporaryDirectory() as tmp:
        gpt2 = Tokenizer(models.BPE.from_file(os.path.join(ROOT, "data/gpt2/encoder.json"),
                                              os.path.join(ROOT, "data/gpt2/vocab.bpe")))
        gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        gpt2.decoder = decoders.ByteLevel()
        gpt2_json = os.path.join(tmp, "gpt2", "tokenizer.json")
        os.makedirs(os.path.dirname(gpt2_json))
        gpt2.save(gpt2_json)
        with open(os.path.join(tmp, "gpt2", "tokenizer_config.json"), "w") as f:
            json.dump({"eos_token": "<|endoftext|>"}, f)
        cores = os.cpu_count() or 1
        print(f"corpus: {len(texts)} documents, {mb:.2f} MB; {cores} cores; median of {args.runs}")
        print(f"{'tokenizer':<10} {'threads':>7} {'recipec tok/s':>14} {'HF tok/s':>12} {'ratio':>6}")
        for name, tok in (("gpt2", gpt2_json), ("llama3", os.path.join(ROOT, "data/llama3/tokenizer.json"))):
            for threads in sorted({1, cores}):
                rs, rt = recipec_seconds(args.recipec, tok, files, threads, args.runs)
                hs, ht = hf_seconds(tok, texts, threads, args.runs)
                # recipec's count includes one end-of-text per document; compare rates of the text's ids.
                ours = (rt - len(texts)) / rs
                print(f"{name:<10} {threads:>7} {ours:>14,.0f} {ht / hs:>12,.0f} {ours / (ht / hs):>5.2f}x")


if __name__ == "__main__":
    main()
