#!/usr/bin/env python3
"""Data for the scoring bench (bench/eval.sh), from the English text of bench/english_text.py (Debian documentation).
  eval_items.py docs TRAIN.txt OUT.jsonl        the training text as JSON Lines documents ({"text"}, ~4,000 characters
                                                each: consecutive blank-line-separated blocks), for `dataforge mix`
  eval_items.py items HELDOUT.txt OUT_DIR [N]   N (500) multiple-choice items from held-out passages: the context is a
                                                run of prose sentences (at least 350 characters, about 100 tokens),
                                                the choices are the sentence that follows and 3 sentences from other
                                                passages, in seeded random order; writes OUT_DIR/next-sentence.jsonl and
                                                OUT_DIR/TASKS.json (custom fields)."""
import json, os, random, re, sys

SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def blocks(path):
    with open(path, encoding="utf-8") as f:
        return [b for b in (x.strip() for x in f.read().split("\n\n")) if b]


def docs(src, out):
    n, buf = 0, []
    with open(out, "w", encoding="utf-8") as f:
        for b in blocks(src) + [None]:
            if b is not None:
                buf.append(b)
            if buf and (b is None or sum(len(x) for x in buf) >= 4000):
                f.write(json.dumps({"text": "\n\n".join(buf)}) + "\n")
                n, buf = n + 1, []
    print(f"{out}: {n} documents", file=sys.stderr)


def prose(s):
    # a sentence of words: mostly letters and punctuation, not markup, code or a table row
    return 15 <= len(s) <= 300 and sum(c.isalpha() or c in " ,.;:'()-" for c in s) >= 0.9 * len(s) and not re.search(r"[|=*{}<>\\]|::", s)


def items(src, out_dir, n):
    # runs of consecutive prose sentences (across paragraph breaks), cut into passages: sentences up to at least
    # 350 characters of context, then the sentence that follows
    runs = [[]]
    for b in blocks(src):
        for s in SENT.split(" ".join(b.split())):
            if prose(s):
                runs[-1].append(s)
            elif runs[-1]:
                runs.append([])
    passages = []
    for r in runs:
        ctx, used = "", []
        for s in r:
            if len(ctx) >= 350:
                passages.append((ctx, s, used + [s]))
                ctx, used = "", []
                continue
            ctx, used = (ctx + " " + s).strip(), used + [s]
    rng = random.Random(1234)
    rng.shuffle(passages)
    passages = passages[:n]
    if len(passages) < n:
        sys.exit(f"only {len(passages)} passages qualify, {n} wanted")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "next-sentence.jsonl"), "w", encoding="utf-8") as f:
        for i, (ctx, true, sents) in enumerate(passages):
            others = []
            while len(others) < 3:
                j = rng.randrange(len(passages))
                s = rng.choice(passages[j][2])
                if j != i and s not in others and s != true:
                    others.append(s)
            gold = rng.randrange(4)
            choices = others[:gold] + [true] + others[gold:]
            f.write(json.dumps({"id": i, "context": ctx, "choices": choices, "label": gold}) + "\n")
    tasks = {"$schema": "../../../schemas/tasks.schema.json", "name": "scoring-bench", "batch_size": 16,
             "tasks": [{"name": "next-sentence", "kind": "multiple_choice", "data": ["next-sentence.jsonl"],
                        "context_field": "context", "choices_field": "choices", "gold_field": "label"}]}
    with open(os.path.join(out_dir, "TASKS.json"), "w") as f:
        json.dump(tasks, f, indent=2)
    print(f"{out_dir}: {len(passages)} items", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "docs":
        docs(sys.argv[2], sys.argv[3])
    else:
        items(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 500)
