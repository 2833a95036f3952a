#!/usr/bin/env python3
"""Token directory for the training bench (nanoGPT form, docs/reference.md#token-shards): real English prose and manuals from Debian
documentation packages (bench/english_text.py, about 60 MB; the same corpus as bench/tokenizer.sh), a word-level
vocabulary of 8192 (8190 most frequent words and punctuation of the training part, <unk> = 8190, end-of-text = 8191).
The training part has ~14M tokens, so a 500-step run (2M tokens) never repeats a token; the held-out files are the
validation set. Usage: train_tokens.py OUT_DIR   (needs linux-doc-6.1 perl-doc python3.11-doc postgresql-doc-15)"""
import collections, os, re, subprocess, sys
import numpy as np

out = sys.argv[1]
data = os.path.dirname(os.path.abspath(out))
train_txt, held_txt = os.path.join(data, "english-docs-train.txt"), os.path.join(data, "english-docs-heldout.txt")
if not os.path.exists(train_txt):
    subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "english_text.py"), train_txt, held_txt], check=True)

pat = re.compile(r"\w+|[^\w\s]|\n")

def documents(path):
    # english_text.py separates documents by blank lines, which documents contain too: the file is one token stream
    # (its newlines are tokens) ending in one end-of-text
    with open(path, encoding="utf-8") as f:
        yield pat.findall(f.read())

train, val = list(documents(train_txt)), list(documents(held_txt))
counts = collections.Counter(t for d in train for t in d)
vocab = [w for w, _ in counts.most_common(8190)]
ids = {w: i for i, w in enumerate(vocab)}
UNK, EOT = 8190, 8191
os.makedirs(out, exist_ok=True)
for name, part in (("train", train), ("val", val)):
    arr = np.fromiter((i for d in part for i in [*(ids.get(t, UNK) for t in d), EOT]), dtype="<u2")
    arr.tofile(os.path.join(out, name + ".bin"))
    print(f"{name}: {len(part)} documents, {len(arr)} tokens, unk {np.mean(arr == UNK):.3f}")
import json
json.dump({"tokenizer": None, "vocab_size": 8192, "eot_id": EOT, "dtype": "uint16", "kind": "bench word-level"},
          open(os.path.join(out, "tokens.json"), "w"))
