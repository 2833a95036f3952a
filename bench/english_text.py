#!/usr/bin/env python3
"""Builds an English text corpus from Debian documentation packages (bench/tokenizer.sh).

Sources (installed with apt): linux-doc-6.1 (kernel documentation, reStructuredText; translations
skipped), perl-doc (POD manuals), python3.11-doc (the reStructuredText sources of the Python
documentation), postgresql-doc-15 (HTML manual, tags stripped). Files are taken in sorted order;
every 25th file goes to the held-out set. Output: TRAIN and HELDOUT text files, documents separated
by blank lines.
"""
import glob, gzip, html, os, re, sys

def read(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        t = f.read().decode("utf-8", "replace")
    if ".htm" in path:
        t = re.sub(r"(?is)<(script|style).*?</\1>", " ", t)
        t = re.sub(r"(?s)<[^>]+>", " ", t)
        t = html.unescape(t)
        t = re.sub(r"[ \t]+", " ", t)
        t = re.sub(r"\n\s*\n\s*(\n\s*)+", "\n\n", t)
    return t.strip()

def files():
    out = []
    out += [p for p in glob.glob("/usr/share/doc/linux-doc-6.1/Documentation/**/*", recursive=True)
            if re.search(r"\.(rst|txt)(\.gz)?$", p) and "/translations/" not in p]
    out += glob.glob("/usr/share/perl/*/pod/*.pod") + glob.glob("/usr/share/perl5/pod/*.pod")
    out += glob.glob("/usr/share/doc/python3.11/html/_sources/**/*.txt", recursive=True)
    out += glob.glob("/usr/share/doc/postgresql-doc-15/html/*.html")
    return sorted(set(p for p in out if os.path.isfile(p)))

def main(train_path, heldout_path):
    n = [0, 0]
    with open(train_path, "w", encoding="utf-8") as tr, open(heldout_path, "w", encoding="utf-8") as ho:
        for i, p in enumerate(files()):
            t = read(p)
            if not t:
                continue
            k = 1 if i % 25 == 24 else 0
            (ho if k else tr).write(t + "\n\n")
            n[k] += 1
    print(f"{n[0]} training documents, {n[1]} held-out documents", file=sys.stderr)

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
