#!/usr/bin/env python3
"""Raw corpus, clean held-out set and next-sentence task for the curation-effect bench (bench/curation.sh).

Real text from Debian packages (apt-get install linux-doc-6.1 perl-doc python3.11-doc postgresql-doc-15), files as
in bench/english_text.py: every 25th file (sorted order) is held out, the others feed the raw corpus.

raw.jsonl (deliberately uncleaned, the way a crawl arrives; flowing paragraphs on one line, as text extracted from a
  web page has them, everything else as it is):
  - every training file cut into sections of at most ~8,000 characters at blank lines (markup, code blocks,
    tables, navigation text of the HTML manuals and short trailing fragments included);
  - the Python manual a second time as rendered HTML with the tags stripped (a near-duplicate of its sources,
    with navigation bars), for the pages whose source is not held out;
  - boilerplate from every installed package: /usr/share/doc/*/copyright, changelog.Debian.gz, changelog.gz,
    NEWS.Debian.gz, and /usr/share/common-licenses/* (many are exact or near duplicates of each other); the first
    two sections of each, as a crawl would keep one page of a long upstream changelog.
heldout.jsonl: passages of 60-250 words of prose from the held-out files only (paragraphs of sentences, no code,
  tables or markup lines; reStructuredText roles reduced to their text), in a seeded random order.
next_sentence.jsonl: hellaswag-form items from the held-out passages: ctx = the passage's first sentences,
  endings = its next sentence and three sentences of other held-out passages (seeded), label = the true one.

Usage: curation_corpus.py OUT_DIR [SEED]"""
import glob, gzip, json, os, random, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from english_text import files, read  # noqa: E402

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1234
os.makedirs(out, exist_ok=True)


def source_of(p):
    for key, name in (("linux-doc", "linux-doc"), ("/pod/", "perl-doc"), ("python3.11", "python-doc"),
                      ("postgresql", "postgresql-doc")):
        if key in p:
            return name
    return "other"


def unwrap(para):
    """One line per paragraph of flowing text, as a web page's text extraction gives it (C4's line rules assume that);
    indented blocks (code, quotes), lists, tables and headings keep their lines."""
    lines = para.split("\n")
    if len(lines) > 1 and all(l and not l[0].isspace() and not re.match(r"([-*+|#=]|\.\. |\d+[.)] |[^\w\s]+$)", l)
                              for l in lines):
        return " ".join(l.strip() for l in lines)
    return para


def sections(text, limit=8000):
    cur, n = [], 0
    for para in map(unwrap, re.split(r"\n\s*\n", text)):
        if cur and n + len(para) > limit:
            yield "\n\n".join(cur)
            cur, n = [], 0
        cur.append(para)
        n += len(para) + 2
    if cur:
        yield "\n\n".join(cur)


all_files = files()
held_files = [p for i, p in enumerate(all_files) if i % 25 == 24]
train_files = [p for i, p in enumerate(all_files) if i % 25 != 24]
held_python = {p.split("/_sources/")[1].rsplit(".", 2)[0] for p in held_files if "/_sources/" in p}

counts = {}
with open(os.path.join(out, "raw.jsonl"), "w", encoding="utf-8") as f:
    def emit(doc_id, text, source):
        text = text.strip()
        if text:
            f.write(json.dumps({"id": doc_id, "text": text, "source": source}, ensure_ascii=False) + "\n")
            counts[source] = counts.get(source, 0) + 1

    for p in train_files:
        for k, s in enumerate(sections(read(p))):
            emit(f"{p}#{k}", s, source_of(p))
    for p in sorted(glob.glob("/usr/share/doc/python3.11/html/**/*.html", recursive=True)):
        rel = p.split("/html/", 1)[1].rsplit(".", 1)[0]
        if rel in held_python or rel.startswith("_"):
            continue
        for k, s in enumerate(sections(read(p))):
            emit(f"{p}#{k}", s, "python-html")
    boiler = []
    for pat in ("/usr/share/doc/*/copyright", "/usr/share/doc/*/changelog.Debian.gz", "/usr/share/doc/*/changelog.gz",
                "/usr/share/doc/*/NEWS.Debian.gz", "/usr/share/common-licenses/*"):
        boiler += glob.glob(pat)
    for p in sorted(set(boiler)):
        if os.path.isfile(p):
            # the start of each file (as a crawl keeps one page of a long changelog): at most 2 sections
            for k, s in zip(range(2), sections(read(p))):
                emit(f"{p}#{k}", s, "boilerplate")


# --- held-out prose
ROLE = re.compile(r":[\w:.+-]+:`(?:[^`<]*<)?([^`>]*)>?`")
SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def prose_paragraphs(text):
    for para in re.split(r"\n\s*\n", text):
        lines = [l.strip() for l in para.strip().split("\n")]
        if not lines or any(re.match(r"(\.\.|::|>>>|\$ |\||\+[-=]|[-=~^*#`]{3,}|[-*+] |\d+\. |#|\{|\})", l) for l in lines):
            continue
        if para.rstrip().endswith((":", "::")) or any(len(l) > 0 and l[0] in "`\\<" for l in lines):
            continue
        t = " ".join(lines)
        t = ROLE.sub(r"\1", t)
        t = re.sub(r"``([^`]+)``", r"\1", t)
        t = re.sub(r"`([^`<]+?)(?: <[^>]+>)?`_*", r"\1", t)
        t = re.sub(r"\s+", " ", t).strip()
        words = t.split()
        if len(words) < 25 or not t.endswith((".", "?", "!")):
            continue
        letters = sum(c.isalpha() or c.isspace() for c in t)
        if letters / len(t) < 0.9 or sum(w.lower() in ("the", "a", "is", "of", "to", "and") for w in words) < 3:
            continue
        if len(SENT.split(t)) < 2:
            continue
        yield t


passages = []
for p in held_files:
    cur = []
    for para in prose_paragraphs(read(p)):
        cur.append(para)
        n = sum(len(x.split()) for x in cur)
        if n >= 60:
            if n <= 250:
                passages.append({"id": f"{p}#{len(passages)}", "text": " ".join(cur), "source": source_of(p)})
            cur = []
# seeded shuffle, so that a task's `limit` (the first N records) samples every manual, not the first in path order
random.Random(seed).shuffle(passages)
with open(os.path.join(out, "heldout.jsonl"), "w", encoding="utf-8") as f:
    for d in passages:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")

# --- next-sentence choice
rng = random.Random(seed)
sents = [[s for s in SENT.split(d["text"]) if 4 <= len(s.split()) <= 60] for d in passages]
pool = [(i, s) for i, ss in enumerate(sents) for s in ss]
items = []
for i, ss in enumerate(sents):
    if len(ss) < 3:
        continue
    k = rng.randint(2, min(len(ss) - 1, 4))
    gold = ss[k]
    dist = []
    while len(dist) < 3:
        j, s = rng.choice(pool)
        if j != i and s not in dist and s != gold:
            dist.append(s)
    endings = dist[:]
    label = rng.randrange(4)
    endings.insert(label, gold)
    items.append({"id": passages[i]["id"], "ctx": " ".join(ss[:k]), "endings": endings, "label": label,
                  "source": passages[i]["source"]})
with open(os.path.join(out, "next_sentence.jsonl"), "w", encoding="utf-8") as f:
    for it in items:
        f.write(json.dumps(it, ensure_ascii=False) + "\n")

print(json.dumps({"raw_documents": sum(counts.values()), "raw_by_source": counts,
                  "raw_mb": round(os.path.getsize(os.path.join(out, "raw.jsonl")) / 1e6, 1),
                  "train_files": len(train_files), "heldout_files": len(held_files),
                  "heldout_passages": len(passages), "next_sentence_items": len(items)}))
