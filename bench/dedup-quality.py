#!/usr/bin/env python3
"""Recall/precision of a minhash_dedup run on a gen-dups corpus, against the true word 5-gram Jaccard.
For a sample of planted copies (dup_of set) the Jaccard to their original is computed; a copy counts
as found when the run dropped it. Also: of a sample of dropped documents that are not planted copies,
how many are true near-duplicates of some earlier document (only planted copies can be, by construction).
Usage: bench/dedup-quality.py CORPUS.jsonl OUTPUT_DIR [SAMPLE]"""
import glob, json, random, re, sys, unicodedata

corpus, out = sys.argv[1], sys.argv[2]
sample = int(sys.argv[3]) if len(sys.argv) > 3 else 5000

def words(t):
    t = unicodedata.normalize("NFD", t.lower())
    t = "".join(c for c in t if unicodedata.category(c) != "Mn")
    t = re.sub(r"\d", "0", t)
    return re.sub(r"[^\w\s]|_", " ", t).split()

def shingles(t):
    w = words(t)
    return {" ".join(w[i:i + 5]) for i in range(max(1, len(w) - 4))}

kept = set()
for f in glob.glob(out + "/part-*"):
    for line in open(f):
        kept.add(json.loads(line)["id"])
docs = {}
copies = []
for line in open(corpus):
    d = json.loads(line)
    docs[d["id"]] = d["text"]
    if "dup_of" in d:
        copies.append((d["id"], d["dup_of"]))
random.seed(1)
bands = {}
for cid, oid in random.sample(copies, min(sample, len(copies))):
    a, b = shingles(docs[cid]), shingles(docs[oid])
    j = len(a & b) / len(a | b)
    k = min(9, int(j * 10))
    n, found = bands.get(k, (0, 0))
    bands[k] = (n + 1, found + (cid not in kept))
print("| Jaccard | planted copies | removed | S-curve 1-(1-s^8)^14 at band middle |")
print("|---|---|---|---|")
tot = [0, 0]
for k in sorted(bands):
    n, f = bands[k]
    s = (k + 0.5) / 10
    print(f"| [{k/10:.1f}, {(k+1)/10:.1f}) | {n} | {f/n:.3f} | {1-(1-s**8)**14:.3f} |")
    if k >= 8: tot[0] += n; tot[1] += f
print(f"\nrecall for Jaccard >= 0.8: {tot[1]}/{tot[0]} = {tot[1]/max(tot[0],1):.4f}")
planted = {c for c, _ in copies}
false = [i for i in docs if i not in kept and i not in planted]
print(f"dropped documents that are not planted copies: {len(false)} of {len(docs) - len(kept)} dropped")
