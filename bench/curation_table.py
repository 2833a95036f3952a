#!/usr/bin/env python3
"""Table of the curation bench (bench/curation.sh): per arm and metric, the mean over seeds, min-max and std,
from RUN/eval/eval.json of every run in OUT/runs/ARM-sSEED, plus training tokens/s and final training loss.
Usage: curation_table.py OUT ARM..."""
import glob, json, os, statistics, sys

out, arms = sys.argv[1], sys.argv[2:]
rows = {}
for arm in arms:
    for run in sorted(glob.glob(os.path.join(out, "runs", f"{arm}-s*"))):
        e = os.path.join(run, "eval", "eval.json")
        if not os.path.exists(e):
            continue
        ev = json.load(open(e))
        vals = {f"{t['name']}/{t['metric']}": t["value"] for t in ev["tasks"]}
        lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"))]
        steps = [l for l in lines if "tokens_per_s" in l]
        vals["train/final_loss"] = steps[-1]["loss"]
        vals["train/tokens_per_s"] = statistics.median(l["tokens_per_s"] for l in steps)
        rows.setdefault(arm, []).append((os.path.basename(run), vals))

keys = []
for arm in rows:
    for _, v in rows[arm]:
        keys += [k for k in v if k not in keys]
print("| metric | " + " | ".join(f"{a} mean (min-max, std; n)" for a in rows) + " |")
print("|---|" + "---|" * len(rows))
for k in keys:
    cells = []
    for arm in rows:
        xs = [v[k] for _, v in rows[arm] if k in v]
        if not xs:
            cells.append("")
            continue
        nd = 1 if k.endswith("tokens_per_s") else 4
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        cells.append(f"{statistics.mean(xs):.{nd}f} ({min(xs):.{nd}f}-{max(xs):.{nd}f}, {sd:.{nd}f}; {len(xs)})")
    print(f"| {k} | " + " | ".join(cells) + " |")
print()
for arm in rows:
    for name, v in rows[arm]:
        print(name, json.dumps({k: round(x, 4) for k, x in v.items()}))
