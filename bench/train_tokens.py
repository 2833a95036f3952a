#!/usr/bin/env python3
"""Token directory for the training bench (nanoGPT form, SPEC.md): real English text from samples/ and
/usr/share/common-licenses, a word-level vocabulary of 8192 (8190 most frequent words and punctuation,
<unk> = 8190, end-of-text = 8191). Last 5% of documents -> val.bin. Usage: train_tokens.py OUT_DIR"""
import collections, glob, gzip, json, os, re, sys
import numpy as np

out = sys.argv[1]
docs = []
for path in sorted(glob.glob("samples/quality/*.jsonl")) + ["samples/en/web.jsonl.gz"]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            docs.append(json.loads(line)["text"])
for path in sorted(glob.glob("/usr/share/common-licenses/*")):
    if os.path.isfile(path):
        docs.append(open(path, encoding="utf-8", errors="replace").read())
import random
random.Random(0).shuffle(docs)
pat = re.compile(r"\w+|[^\w\s]|\n")
toks = [pat.findall(d) for d in docs]
counts = collections.Counter(t for d in toks for t in d)
vocab = [w for w, _ in counts.most_common(8190)]
ids = {w: i for i, w in enumerate(vocab)}
UNK, EOT = 8190, 8191
split = int(len(docs) * 0.95)
os.makedirs(out, exist_ok=True)
for name, part in (("train", toks[:split]), ("val", toks[split:])):
    arr = []
    for d in part:
        arr.extend(ids.get(t, UNK) for t in d)
        arr.append(EOT)
    np.array(arr, dtype="<u2").tofile(os.path.join(out, name + ".bin"))
    print(f"{name}: {len(part)} documents, {len(arr)} tokens")
json.dump({"tokenizer": None, "vocab_size": 8192, "eot_id": EOT, "dtype": "uint16", "kind": "bench word-level"},
          open(os.path.join(out, "tokens.json"), "w"))
