#!/usr/bin/env python3
"""bench_lfr — LFR with each `record` form against random sampling, at the same number of steps.

Contract: for one LFR recipe (default recipes/lfr-gpt2.recipe, which extends stdlib/lfr.recipe)
and each seed, trains these variants one after another, all generated here from the shipped
recipe text (nothing is hand-copied):
  random    the reference: the recipe's phases kept by name and by the step lengths its own
            LFR run resolves to, each with only the mixture in force (`mix data`): no
            record, focus, drop or review.
  paper     the recipe as shipped (`record ppl per block`: the loss of each block when seen).
  relative  every `record ppl per block` rule becomes `record relative ppl per block` (the
            block's loss minus the mean loss of the step it was trained in).
  rescored  every such rule becomes `record rescored ppl per block` (before a focus/drop
            ranks the table, every block is re-scored with the current model; the runtime
            logs that pass as `score` events in metrics.jsonl).
The record forms are made by copying recipes/ and stdlib/ into a scratch folder and
rewriting the `record ... per block` rules there (code only, not comments); RECIPEC_PATH
points at the copy, so the shipped recipe's `extends "stdlib/lfr.recipe"` finds the rewritten
template. Each variant is a small file that `extends` the (copied) shipped recipe and sets
`train { seed N }`. Before anything trains, every variant is compiled and its plan checked:
the record rules come from the copy and carry the form asked for, the random one has no rule
but `mix`.

Why this baseline: it is what LFR replaces. Same model, data, batch, seed (so the same
initial weights and the same sampler seed), the same total steps and so the same tokens,
the same cosine schedule over the same total, evaluations at the same steps. Keeping the
phases with their resolved lengths costs nothing in fairness: re-applying the mixture in
force does not restart the sampler's pass (runtime/data/Sampler.h), so it is exactly one
phase of the whole length, uniformly shuffled passes over all blocks; and the schedule and
evaluation steps stay those of the LFR run by construction. LFR's learn phase draws the same
batches, so up to the first focus the eval curves of all variants must agree; the table
prints the last step through which each one matches the reference's, as a check.

Printed per seed and variant: the steps and tokens trained, final val ppl (the last `eval`
record of the recipe's first evaluation) and its difference to the reference's, the tokens
needed to reach the reference's final val ppl (linear interpolation between the evaluations
around the first one at or below it; "not reached" when none is), the token-efficiency ratio
(reference tokens / method tokens to reach that ppl; the reference's is 1 by definition; "<="
tokens and ">=" efficiency when reached by the first evaluation), the cost of the scoring
passes (sum of the `score` events' tokens and seconds; `--` for forms that score nothing)
and the run's wall time. Then the mean over seeds. Ratios count training tokens only; the
scoring tokens are forward passes, printed beside them.
`--report DIR` prints the tables again from a `--keep` folder without training (each run's
wall time is kept in its bench.json).

`--until-step N` stops every run after N steps (a smoke run; the learning-rate schedule
stays that of the full run, so it is not a shorter experiment, only a prefix of it).
`--eval-every N` overrides the recipe's evaluation interval (a finer curve for the
interpolation; training is unchanged: an evaluation reads no training state). For a smoke
run make N divide the stop step: a run stopped by --until-step evaluates only at intervals.

Run (from the repository root, with the built binaries; one intra-op thread per run):
    .venv/bin/python bench/methods/bench_lfr.py --recipec build/bin/recipec --eval-every 50
    .venv/bin/python bench/methods/bench_lfr.py --seeds 1 --until-step 60 --eval-every 20   # smoke, ~1 min
Each full-length run of lfr-gpt2 takes 3 to 5 minutes on one thread: 2 seeds x 4 variants ~40 min.
"""
import argparse, json, os, re, shutil, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORMS = {"paper": "", "relative": "relative", "rescored": "rescored"}
VARIANTS = ["random"] + list(FORMS)
# `record ppl|loss per block`, with or without the default form written (`record visited ppl ...`).
RECORD = re.compile(r"\brecord\s+(?:visited\s+)?(ppl|loss)\s+per\s+block\b")


def code_end(line):
    """Index where the comment of a recipe line starts (len(line) when none): `#` outside a string."""
    quoted = escaped = False
    for i, c in enumerate(line):
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return i
    return len(line)


def rewrite_record(text, form):
    """Give every `record ... per block` rule in the code of a recipe the form `form`; (text, count)."""
    out, count = [], 0
    for line in text.splitlines(keepends=True):
        end = code_end(line)
        code, n = RECORD.subn(lambda m: f"record {form} {m.group(1)} per block", line[:end])
        out.append(code + line[end:])
        count += n
    return "".join(out), count


def mirror(dst, form):
    """Copy recipes/ and stdlib/ to dst, the record rules rewritten to `form`; rules rewritten."""
    count = 0
    for sub in ("recipes", "stdlib"):
        os.makedirs(os.path.join(dst, sub))
        for name in sorted(os.listdir(os.path.join(ROOT, sub))):
            if not name.endswith(".recipe"):
                continue
            with open(os.path.join(ROOT, sub, name)) as f:
                text = f.read()
            if form:
                text, n = rewrite_record(text, form)
                count += n
            with open(os.path.join(dst, sub, name), "w") as f:
                f.write(text)
    return count


def tool(a, args, env, **kw):
    try:
        return subprocess.run([a.recipec] + args, cwd=ROOT, env=env, **kw)
    except OSError as e:
        raise SystemExit(f"bench_lfr: cannot run {a.recipec}: {e.strerror}")


def env_for(a, path_root):
    env = dict(os.environ, RECIPEC_PATH=path_root)
    if a.runtime:
        env["RECIPEC_RUNTIME"] = a.runtime
    return env


def resolved_plan(a, work, variant_file, env):
    """The plan with every length resolved: a run stopped before its first step (--until-step 0)."""
    run_dir = os.path.join(work, "probe")
    r = tool(a, ["run", variant_file, "--until-step", "0", "--run-dir", run_dir, "--quiet", "--threads", "1"],
             env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bench_lfr: probing the timeline failed:\n{r.stdout}{r.stderr}")
    with open(os.path.join(run_dir, "plan.json")) as f:
        plan = json.load(f)
    shutil.rmtree(run_dir)
    return plan


def evaluate_lines(plan, every):
    if not every:
        return []
    lines = []
    for e in plan["evaluations"]:
        limit = f" limit {e['max_blocks']} blocks" if e.get("max_blocks") else ""
        lines.append(f"evaluate {e['metric']} on {e['dataset']}.{e['split']} every {every} steps{limit}")
    return lines


def mixture_text(rule):
    if rule["action"].get("mixture_name"):
        return rule["action"]["mixture_name"]
    entries = ", ".join(f"{m['dataset']}: {m['weight']}" + (f" -> {m['weight_end']}" if m.get("weight_end") is not None
                                                             else "") for m in rule["action"]["mixture"])
    return "{ " + entries + " }"


def random_phases(plan):
    """Every phase by name with its resolved length, and only the mixture in force."""
    lines, mix = [], None
    for p in plan["phases"]:
        for r in p["rules"]:
            if r["action"]["kind"] == "mix" and r["when"] is None:
                mix = mixture_text(r)
        steps = p["end_step"] - p["start_step"]
        body = f"mix {mix}" if mix else ""
        lines.append(f"phase {p['name']} for {steps} steps {{ {body} }}")
    return lines


def write_variant(folder, recipe, name, seed, extra):
    path = os.path.join(folder, name + ".recipe")
    with open(path, "w") as f:
        f.write(f'# generated by bench/methods/bench_lfr.py\nrecipe "{name}" extends "{recipe}"\n\n')
        if seed is not None:
            f.write(f"train {{ seed {seed} }}\n")
        for line in extra:
            f.write(line + "\n")
    return path


def check_plan(a, variant, path, mirror_dir, env, work):
    """Compile; the record rules must come from the rewritten copy and carry the form (plan `form`)."""
    r = tool(a, ["check", path], env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bench_lfr: `recipec check {path}` failed:\n{r.stdout}{r.stderr}")
    out = os.path.join(work, "check-plan.json")
    r = tool(a, ["compile", path, "--emit", "plan", "-o", out], env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bench_lfr: compiling {path} failed:\n{r.stdout}{r.stderr}")
    with open(out) as f:
        plan = json.load(f)
    rules = [(p["name"], rule) for p in plan["phases"] for rule in p["rules"]]
    if variant == "random":
        other = [f"{ph}: {rule['action']['kind']}" for ph, rule in rules if rule["action"]["kind"] != "mix"]
        if other:
            raise SystemExit(f"bench_lfr: the random variant still has rules: {other}")
        return
    records = [rule for _, rule in rules if rule["action"]["kind"] == "record"]
    if not records:
        raise SystemExit(f"bench_lfr: {path} has no record rule")
    for rule in records:
        src = rule["source"].rsplit(":", 2)[0]
        if not os.path.realpath(src).startswith(os.path.realpath(mirror_dir) + os.sep):
            raise SystemExit(f"bench_lfr: {variant}: the record rule at {rule['source']} is not from the copy "
                             f"in {mirror_dir} (RECIPEC_PATH not honoured?)")
        form = rule["action"].get("form", "")
        if (form if form != "visited" else "") != FORMS[variant]:
            raise SystemExit(f"bench_lfr: {variant}: the plan's record rule at {rule['source']} has form "
                             f"`{form or 'visited'}`")


def train(a, path, run_dir, env):
    cmd = ["run", path, "--run-dir", run_dir, "--quiet", "--threads", str(a.threads)]
    if a.until_step is not None:
        cmd += ["--until-step", str(a.until_step)]
    t0 = time.perf_counter()
    r = tool(a, cmd, env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"bench_lfr: `recipec {' '.join(cmd)}` failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    with open(os.path.join(run_dir, "bench.json"), "w") as f:
        json.dump({"wall_s": wall}, f)  # for --report
    return read_run(run_dir, wall)


def read_run(run_dir, wall):
    with open(os.path.join(run_dir, "plan.json")) as f:
        plan = json.load(f)
    records = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl")) if l.strip()]
    first = plan["evaluations"][0]
    per_step = plan["train"]["batch_seqs"] * plan["train"]["seq_len"]
    curve = {}
    for r in records:
        if r.get("type") == "eval" and r["dataset"] == first["dataset"] and r["split"] == first["split"] \
                and r["metric"] == first["metric"]:
            curve[r["step"]] = r["ppl"]
    summary = [r for r in records if r.get("type") == "summary"][-1]
    scores = [r for r in records if r.get("type") == "event" and r.get("event") == "score"]
    return {
        "steps": summary["step"], "tokens": summary["tokens"], "per_step": per_step,
        "curve": sorted((step * per_step, step, ppl) for step, ppl in curve.items()),
        "score_n": len(scores), "score_tokens": sum(r.get("tokens", 0) for r in scores),
        "score_s": sum(r.get("seconds", 0.0) for r in scores), "wall": wall,
    }


def tokens_to_reach(curve, target):
    """(tokens, at_first_eval) where the eval curve first reaches target; None when it never does."""
    for i, (tok, _, ppl) in enumerate(curve):
        if ppl <= target:
            if i == 0:
                return tok, True
            t0, _, p0 = curve[i - 1]
            return t0 + (p0 - target) / (p0 - ppl) * (tok - t0), False
    return None


def agrees_until(curve, ref):
    """The last eval step through which curve equals the reference's (None: not even the first)."""
    ref = {step: ppl for _, step, ppl in ref}
    last = None
    for _, step, ppl in curve:
        if ref.get(step) != ppl:
            break
        last = step
    return last


def fmt_tokens(t):
    return f"{t / 1e6:.3f}M"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipec", default=os.path.join(ROOT, "build/bin/recipec"))
    ap.add_argument("--runtime", help="recipec-runtime to use (sets RECIPEC_RUNTIME; default: beside recipec)")
    ap.add_argument("--recipe", default="recipes/lfr-gpt2.recipe", help="an LFR recipe under recipes/")
    ap.add_argument("--seeds", help="comma-separated train seeds, or a count N: the recipe's seed and the "
                                    "N-1 after it (default 2)", default="2")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="from " + ",".join(VARIANTS) + "; random is the reference")
    ap.add_argument("--until-step", type=int, help="stop every run after this many steps (smoke run)")
    ap.add_argument("--eval-every", type=int, help="evaluate every N steps instead of the recipe's interval")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep", help="keep the variants and run directories in this (new) folder")
    ap.add_argument("--report", metavar="DIR", help="train nothing: print the tables again from a --keep folder")
    a = ap.parse_args()
    if a.report:
        return report_kept(a.report)
    a.recipec = os.path.abspath(a.recipec)
    variants = [v.strip() for v in a.variants.split(",") if v.strip()]
    if "random" not in variants or any(v not in VARIANTS for v in variants):
        raise SystemExit(f"bench_lfr: --variants must include random and name only {', '.join(VARIANTS)}")
    variants = [v for v in VARIANTS if v in variants]
    recipe = os.path.relpath(os.path.join(ROOT, a.recipe), ROOT)
    if not recipe.startswith("recipes" + os.sep):
        raise SystemExit("bench_lfr: --recipe must be a file under recipes/ (the copy mirrors recipes/ and stdlib/)")

    if a.keep:
        os.makedirs(a.keep)
        work = os.path.abspath(a.keep)
    else:
        work = tempfile.mkdtemp(prefix="bench-lfr-")
    try:
        # One copy of recipes/ + stdlib/ per record form; random extends the paper's copy.
        mirrors = {}
        for form in ["paper"] + [v for v in variants if v in FORMS and v != "paper"]:
            mirrors[form] = os.path.join(work, "src-" + form)
            if mirror(mirrors[form], FORMS[form]) == 0 and FORMS[form]:
                raise SystemExit("bench_lfr: no `record ... per block` rule found to rewrite")
        mirrors["random"] = mirrors["paper"]
        probe_file = write_variant(mirrors["paper"], recipe, "bench-probe", None, [])
        plan = resolved_plan(a, work, probe_file, env_for(a, mirrors["paper"]))
        os.remove(probe_file)
        if "," in a.seeds or not a.seeds.isdigit():
            seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
        else:
            seeds = [plan["train"]["seed"] + i for i in range(int(a.seeds))]
        evals = evaluate_lines(plan, a.eval_every)
        total = plan["train"]["schedule"]["total_steps"]
        print(f"recipe {recipe}: {total} steps x {plan['train']['batch_seqs'] * plan['train']['seq_len']} tokens; "
              f"phases " + ", ".join(f"{p['name']} {p['start_step']}..{p['end_step']}" for p in plan["phases"]))
        print(f"seeds {', '.join(map(str, seeds))}; variants {', '.join(variants)}; "
              f"{'until step ' + str(a.until_step) if a.until_step is not None else 'full length'}; "
              f"eval every {a.eval_every or 'as the recipe says'}; {a.threads} thread(s); "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

        files = {}
        for seed in seeds:
            for v in variants:
                extra = (random_phases(plan) if v == "random" else []) + evals
                path = write_variant(mirrors[v], recipe, f"bench-{v}-s{seed}", seed, extra)
                check_plan(a, v, path, mirrors[v], env_for(a, mirrors[v]), work)
                files[seed, v] = path

        results = {}
        for seed in seeds:
            for v in variants:
                run_dir = os.path.join(work, "runs", f"{v}-s{seed}")
                res = train(a, files[seed, v], run_dir, env_for(a, mirrors[v]))
                results[seed, v] = res
                final = res["curve"][-1][2] if res["curve"] else float("nan")
                print(f"  seed {seed} {v:9} {res['steps']} steps, final val ppl {final:.4f}, {res['wall']:.0f} s",
                      flush=True)
        print()
        report(results, seeds, variants)
        if a.keep:
            print(f"\nvariants and runs kept in {work} (compare with `recipec report {work}/runs/*`)")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def fmt_wall(w):
    return "--" if w is None else f"{w:.0f}"


def report(results, seeds, variants):
    head = (f"{'variant':10}{'seed':>6}{'steps':>7}{'tokens':>10}{'val ppl':>9}{'vs random':>11}{'to ref ppl':>13}"
            f"{'efficiency':>12}{'score tok':>11}{'score s':>9}{'wall s':>8}  same curve as random")
    print(head)
    print("-" * len(head))
    ratios, deltas = {v: [] for v in variants}, {v: [] for v in variants}
    for seed in seeds:
        ref = results[seed, "random"]
        if not ref["curve"]:
            raise SystemExit("bench_lfr: the reference has no evaluation; use --eval-every dividing --until-step")
        target = ref["curve"][-1][2]
        ref_reach = tokens_to_reach(ref["curve"], target)[0]
        for v in variants:
            r = results[seed, v]
            final = r["curve"][-1][2] if r["curve"] else float("nan")
            deltas[v].append(final - target)
            reach = tokens_to_reach(r["curve"], target) if r["curve"] else None
            if reach is None:
                to_ref, eff = "not reached", "--"
                ratios[v].append(None)
            else:
                to_ref = ("<=" if reach[1] else "") + fmt_tokens(reach[0])
                ratios[v].append(ref_reach / reach[0])
                eff = (">=" if reach[1] else "") + f"{ref_reach / reach[0]:.2f}"
            scored = r["score_n"] > 0
            same = agrees_until(r["curve"], ref["curve"])
            same = "" if v == "random" else "no" if same is None else f"through step {same}"
            print(f"{v:10}{seed:>6}{r['steps']:>7}{fmt_tokens(r['tokens']):>10}{final:>9.4f}{final - target:>+11.4f}"
                  f"{to_ref:>13}{eff:>12}{fmt_tokens(r['score_tokens']) if scored else '--':>11}"
                  f"{format(r['score_s'], '.1f') if scored else '--':>9}{fmt_wall(r['wall']):>8}  {same}")
    if len(seeds) > 1:
        print()
        print(f"mean over {len(seeds)} seeds:")
        print(f"{'variant':10}{'val ppl':>9}{'vs random':>11}{'efficiency':>22}{'score tok':>11}{'score s':>9}{'wall s':>8}")
        for v in variants:
            rs = [results[s, v] for s in seeds]
            ppl = statistics.mean(r["curve"][-1][2] for r in rs)
            got = [x for x in ratios[v] if x is not None]
            eff = (f"{statistics.mean(got):.2f}" if len(got) == len(seeds)
                   else f"{len(seeds) - len(got)} of {len(seeds)} not reached")
            scored = any(r["score_n"] for r in rs)
            walls = [r["wall"] for r in rs if r["wall"] is not None]
            print(f"{v:10}{ppl:>9.4f}{statistics.mean(deltas[v]):>+11.4f}{eff:>22}"
                  f"{fmt_tokens(statistics.mean(r['score_tokens'] for r in rs)) if scored else '--':>11}"
                  f"{format(statistics.mean(r['score_s'] for r in rs), '.1f') if scored else '--':>9}"
                  f"{fmt_wall(statistics.mean(walls) if walls else None):>8}")
    print("efficiency: tokens random needed to reach its final val ppl / tokens the variant needed "
          "(linear between evaluations); >1 is better than random")


def report_kept(folder):
    """The table again from a --keep folder's runs (runs/<variant>-s<seed>/)."""
    results = {}
    for name in os.listdir(os.path.join(folder, "runs")):
        m = re.fullmatch(r"(\w+)-s(-?\d+)", name)
        if not m or m.group(1) not in VARIANTS:
            continue
        run_dir = os.path.join(folder, "runs", name)
        if not any(r.get("type") == "summary" for r in map(json.loads, open(os.path.join(run_dir, "metrics.jsonl")))):
            continue  # a run that did not end
        wall = None
        if os.path.exists(os.path.join(run_dir, "bench.json")):
            with open(os.path.join(run_dir, "bench.json")) as f:
                wall = json.load(f).get("wall_s")
        results[m.group(1), int(m.group(2))] = read_run(run_dir, wall)
    seeds = sorted({s for v, s in results if v == "random"})
    variants = [v for v in VARIANTS if all((v, s) in results for s in seeds)]
    if not seeds:
        raise SystemExit(f"bench_lfr: no finished random run in {folder}/runs")
    print(f"{folder}: seeds {', '.join(map(str, seeds))}; variants {', '.join(variants)}")
    report({(s, v): results[v, s] for v in variants for s in seeds}, seeds, variants)

if __name__ == "__main__":
    main()
