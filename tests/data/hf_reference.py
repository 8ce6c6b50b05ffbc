"""hf_reference.py: Hugging Face's `tokenizers` (PyPI) as the reference of the `hf` tokenizer.

Contract: `python hf_reference.py TOKENIZER_JSON OUT_FILE FILE.jsonl...` encodes the "text"
field of every non-empty JSON line of every file, in order, with
Tokenizer.from_file(TOKENIZER_JSON).encode(text, add_special_tokens=False), and writes
OUT_FILE as little-endian int32: for each document its token count, then its ids. The C++
parity test (test_hf_tokenizer.cpp) encodes the same documents and compares id by id.
"""
import json
import struct
import sys

from tokenizers import Tokenizer


def main():
    tokenizer_json, out_file, *files = sys.argv[1:]
    tok = Tokenizer.from_file(tokenizer_json)
    texts = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    with open(out_file, "wb") as out:
        for enc in tok.encode_batch(texts, add_special_tokens=False):
            out.write(struct.pack("<i", len(enc.ids)))
            out.write(struct.pack("<%di" % len(enc.ids), *enc.ids))


if __name__ == "__main__":
    main()
