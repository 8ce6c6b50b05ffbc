#!/usr/bin/env python3
"""Keeps docs/tutorial.md true: every figure block in it is the output of a command.

A block is marked in the Markdown source with a comment just above its fence:

    <!-- output: recipec diff recipes/a.recipe recipes/b.recipe -->
    ```
    ...the lines the command prints...
    ```

    <!-- output: recipec run recipes/lfr-gpt2.recipe --until-step 0 | ^  phase -->

The command runs from the repository root with build/bin first on PATH; `{tmp}` in it is a
fresh temporary folder (for run directories). After `|`, a regular expression keeps only the
output lines that match (stdout and stderr together, in order). The block must equal those
lines exactly.

    scripts/tutorial.py --check    exit 1 naming each block that differs (what CI runs)
    scripts/tutorial.py --write    rewrite the blocks from the commands' output
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = re.compile(r"^<!-- output: (.*?) -->\s*$")


def run(command, bin_dir):
    cmd, _, pattern = command.partition(" | ")
    with tempfile.TemporaryDirectory(prefix="recipec-tutorial-") as tmp:
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1",
                   RECIPEC_PROGRESS="0")
        p = subprocess.run(cmd.replace("{tmp}", tmp), shell=True, cwd=ROOT, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = [l.rstrip() for l in p.stdout.splitlines()]
    if pattern:
        lines = [l for l in lines if re.search(pattern.strip(), l)]
    return lines, p.returncode, p.stdout


def main():
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "tutorial.md"))
    args = ap.parse_args()

    text = open(args.doc, encoding="utf-8").read().split("\n")
    out, i, failures, blocks = [], 0, 0, 0
    while i < len(text):
        m = MARK.match(text[i])
        out.append(text[i])
        i += 1
        if not m:
            continue
        if i >= len(text) or not text[i].startswith("```"):
            sys.exit(f"tutorial: line {i}: the marker must be followed by a ``` block")
        out.append(text[i])
        i += 1
        start = i
        while i < len(text) and not text[i].startswith("```"):
            i += 1
        written = [l.rstrip() for l in text[start:i]]
        blocks += 1
        got, rc, raw = run(m.group(1), args.bin)
        if not got:
            print(f"tutorial: `{m.group(1)}` printed nothing that matches (exit {rc}):\n{raw[-2000:]}")
            failures += 1
            out.extend(written)
        elif got != written:
            failures += args.check
            if args.check:
                print(f"tutorial: the block at {os.path.relpath(args.doc, ROOT)}:{start} differs from `{m.group(1)}`")
                for w, g in zip(written + [""] * len(got), got + [""] * len(written)):
                    if w != g:
                        print(f"  text:   {w}\n  output: {g}")
                        break
            out.extend(got if args.write else written)
        else:
            out.extend(written)
    if args.write:
        open(args.doc, "w", encoding="utf-8").write("\n".join(out))
    print(f"tutorial: {blocks} blocks, {failures} differ" + ("" if args.check else " (rewritten)"))
    if args.check and failures:
        print("help: if the change is intended, run `scripts/tutorial.py --write` and review the diff")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
