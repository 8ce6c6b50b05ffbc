#!/usr/bin/env python3
"""mutate.py: `check` is the whole truth, tested by mutation.

Every recipe under recipes/, stdlib/ and the good goldens (tests/compiler/mlir/inputs) is
rewritten many times: each number literal in turn becomes each of a set of extreme values, and
each unit in turn becomes each of the other units. Each variant then runs through
`recipec check` and `recipec compile --emit=plan`, and these must hold:

  1. neither exits 2 or dies by a signal (an internal error);
  2. neither prints E0500 (a check missing from the front end, docs/errors.md);
  3. check exits 0 exactly when compile exits 0;
  4. where compile refuses, check refuses at the same file:line;
  5. a plan that compiles holds no NaN, no infinity and no wrapped int64.

The variants are listed in a fixed order. `--sample N` tries N of them, chosen by a fixed
seed, so every CI run tries the same ones; `--all` tries every variant.
Exit 0 when every variant holds; otherwise each failure is printed (with its variant, so it
can be reproduced by hand) and the exit is 1.
"""
import argparse
import concurrent.futures as futures
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

EXTREMES = ["1e999", "1e-400", "-0", "9223372036854775808", "1e20", "0", "-5", "1e308", "1e-7", "--1"]
UNITS = ["steps", "tokens", "epochs", "%", "sigma"]

# The lexer's NUMBER (grammar/Recipe.g4), not inside a word (`p90`, `gpt2_nano`).
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d(?:[\d_]*\d)?(?:\.\d(?:[\d_]*\d)?)?(?:[eE][+-]?\d+)?[kMBT]?(?![A-Za-z0-9_])")
UNIT = re.compile(r"(?<=[\d\s])(%|\bsteps?\b|\btokens?\b|\bepochs?\b|\bsigma\b)")
ERROR_AT = re.compile(r"^error\[(E\d{4})\][^\n]*\n\s*--> ([^\n]+):(\d+):\d+", re.M)


def code_spans(text):
    """(start, end) of the parts of `text` that are code: outside comments and strings."""
    spans, i, start, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            spans.append((start, i))
            while i < n and text[i] != "\n":
                i += 1
            start = i
        elif c == '"':
            spans.append((start, i))
            i += 1
            while i < n and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            i += 1
            start = i
        else:
            i += 1
    spans.append((start, n))
    return spans


def variants(text):
    """Each (description, mutated text) of one recipe, in a fixed order."""
    out = []
    for a, b in code_spans(text):
        for m in NUMBER.finditer(text, a, b):
            line = text.count("\n", 0, m.start()) + 1
            for v in EXTREMES:
                if v != m.group(0):
                    out.append((f"line {line}: {m.group(0)} -> {v}", text[: m.start()] + v + text[m.end():]))
        for m in UNIT.finditer(text, a, b):
            line = text.count("\n", 0, m.start()) + 1
            here = m.group(0).rstrip("s") if m.group(0) != "%" else "%"
            for u in UNITS:
                if u.rstrip("s") != here and u != here:
                    out.append((f"line {line}: {m.group(0)} -> {u}", text[: m.start()] + u + text[m.end():]))
    return out


def recipes(root):
    found = []
    for folder in ("recipes", "stdlib", "tests/compiler/mlir/inputs"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            found += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".recipe")]
    return sorted(found)


def errors_at(stderr, path):
    """{(code, line)} of the errors printed for the mutated file."""
    name = os.path.basename(path)
    return {(code, int(line)) for code, file, line in ERROR_AT.findall(stderr) if os.path.basename(file) == name}


def run(cmd, cwd):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, NO_COLOR="1"))
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", "timed out after 60 s"


PLAN_POISON = re.compile(r"\b(NaN|-?Infinity)\b|-?9223372036854775808|9223372036854775807")


def try_variant(recipec, root, tmp, job, libraries):
    index, source, what, text = job
    # The mutant sits beside a copy of its folder, so `use "lib/x.recipe"` still resolves;
    # the working directory is the checkout, as for a user's run.
    folder = os.path.join(tmp, str(index))
    shutil.copytree(os.path.dirname(source), folder)
    path = os.path.join(folder, os.path.basename(source))
    with open(path, "w") as f:
        f.write(text)
    rc_check, _, err_check = run([recipec, "check", path], root)
    rc_comp, plan, err_comp = run([recipec, "compile", "--emit=plan", path], root)
    shutil.rmtree(folder)
    problems = []
    for name, rc, err in (("check", rc_check, err_check), ("compile", rc_comp, err_comp)):
        if rc not in (0, 1):
            problems.append(f"{name} exited {rc}")
        if "E0500" in err:
            problems.append(f"{name} printed E0500")
    # A library for `use` (no train block) has no plan: compile refuses every variant of it,
    # so only rules 1 and 2 apply there.
    if source in libraries:
        pass
    elif rc_check == 0 and rc_comp != 0:
        problems.append("check accepted what compile refused")
    elif rc_check != 0 and rc_comp == 0:
        problems.append("check refused what compile accepted")
    if rc_comp == 1 and source not in libraries:
        compile_lines = {line for _, line in errors_at(err_comp, path)}
        check_lines = {line for _, line in errors_at(err_check, path)}
        if compile_lines and not compile_lines & check_lines:
            problems.append(f"compile refused at lines {sorted(compile_lines)}, check at {sorted(check_lines)}")
    if rc_comp == 0 and PLAN_POISON.search(plan):
        problems.append(f"the plan holds `{PLAN_POISON.search(plan).group(0)}`")
    if not problems:
        return None
    shown = err_comp if rc_comp not in (0, 1) or "E0500" in err_comp or rc_check == 0 else err_check
    said = [l for l in shown.splitlines() if l.startswith("error")][:3] or shown.strip().splitlines()[-3:]
    return f"{os.path.relpath(source, root)} {what}: " + "; ".join(problems) + "\n    " + "\n    ".join(said)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipec", required=True)
    ap.add_argument("--root", required=True, help="the checkout")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--all", action="store_true")
    group.add_argument("--sample", type=int)
    ap.add_argument("--seed", type=int, default=20261208)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    # The recipes whose unmutated text has no plan (libraries for `use`).
    libraries = {source for source in recipes(root)
                 if run([args.recipec, "compile", "--emit=plan", source], root)[0] != 0}
    jobs = []
    for source in recipes(root):
        with open(source) as f:
            for what, text in variants(f.read()):
                jobs.append((len(jobs), source, what, text))
    total = len(jobs)
    if args.sample is not None and args.sample < total:
        jobs = sorted(random.Random(args.seed).sample(jobs, args.sample), key=lambda j: j[0])
    print(f"mutation: {len(jobs)} of {total} variants of {len(recipes(root))} recipes "
          f"({len(libraries)} of them libraries without a plan)", flush=True)

    failures = []
    with tempfile.TemporaryDirectory(prefix="recipec-mutation-") as tmp:
        with futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for result in pool.map(lambda j: try_variant(args.recipec, root, tmp, j, libraries), jobs):
                if result:
                    failures.append(result)
    for f in failures:
        print("FAIL " + f)
    print(f"mutation: {len(jobs) - len(failures)} of {len(jobs)} variants hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
