"""One markdown table from eval.json files: size, quality, peak RSS and speed of each evaluated model."""
import json, os, sys

rows = []
for d in sys.argv[1:]:
    r = json.load(open(os.path.join(d, "eval.json")))
    t = {(x["name"], x["metric"]): x["value"] for x in r["tasks"]}
    e = r["edge"]
    name = os.path.basename(d.rstrip("/")).split("-", 2)[-1]
    rows.append((name, e["bytes"] / 1e6, t.get(("heldout-prose", "perplexity")), t.get(("heldout-prose", "bits_per_byte")),
                 t.get(("idiom-cloze", "acc")), t.get(("math", "exact_match")), e["peak_rss_mb"], e["prefill_tokens_per_s"], e["decode_tokens_per_s"]))
base = rows[0]
print("| model | file MB | held-out perplexity | vs first | bits/byte | idiom-cloze acc | math EM | peak RSS MB | prefill tok/s | decode tok/s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n, mb, ppl, bpb, acc, em, rss, pre, dec in rows:
    print(f"| {n} | {mb:.2f} | {ppl:.3f} | {ppl / base[2]:.4f} | {bpb:.4f} | {acc:.2f} | {em:.2f} | {rss:.0f} | {pre:,.0f} | {dec:,.0f} |")
