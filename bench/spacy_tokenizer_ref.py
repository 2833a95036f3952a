#!/usr/bin/env python3
"""Reference for DataForge's English word tokenizer: spaCy's Tokenizer.__call__ (spacy/tokenizer.pyx) for
blank("en") ported line by line to Python, running spaCy's own regular expressions and exception tables
loaded from a spaCy checkout (spaCy itself need not be installed), plus datatrove's whitespace stripping and
the sentencizer. Compares it with `dataforge-bench words` on JSON Lines texts.

Usage: spacy_tokenizer_ref.py SPACY_SOURCE_DIR DATAFORGE_BENCH_DLL FILE.jsonl [FILE.jsonl ...]
Each line of a file is a JSON string or an object with a "text" field. Exits 1 when any text differs.
"""
import json
import os
import re
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "DataForge.Core", "Text"))
from generate_spacy_english_data import load_spacy_data  # noqa: E402

_, PUNCT, EN_PUNCT, EXC, VERSION, SENT_PUNCT = load_spacy_data(sys.argv[1])
import spacy.lang.tokenizer_exceptions as BASE  # noqa: E402  (loaded by load_spacy_data)

PREFIX = re.compile("|".join("^" + p for p in PUNCT.TOKENIZER_PREFIXES if p.strip()))
SUFFIX = re.compile("|".join(p + "$" for p in PUNCT.TOKENIZER_SUFFIXES if p.strip()))
INFIX = re.compile("|".join(p for p in EN_PUNCT.TOKENIZER_INFIXES if p.strip()))
URL_MATCH = BASE.URL_MATCH
RULES = {k: [t["ORTH"] for t in v] for k, v in EXC.TOKENIZER_EXCEPTIONS.items()}
SENT_PUNCT = set(SENT_PUNCT)


def find_prefix(s):
    m = PREFIX.search(s)
    return m.end() - m.start() if m else 0


def find_suffix(s):
    m = SUFFIX.search(s)
    return m.end() - m.start() if m else 0


def split_affixes(string, prefixes, suffixes, specials):
    last = 0
    while string and len(string) != last:
        if specials and string in RULES:
            break
        last = len(string)
        pre_len = find_prefix(string)
        if pre_len:
            prefix, minus_pre = string[:pre_len], string[pre_len:]
            if minus_pre and specials and minus_pre in RULES:
                prefixes.append(prefix)
                return minus_pre
        suf_len = find_suffix(string[pre_len:])
        if suf_len:
            suffix, minus_suf = string[-suf_len:], string[:-suf_len]
            if minus_suf and specials and minus_suf in RULES:
                suffixes.append(suffix)
                return minus_suf
        if pre_len and suf_len and pre_len + suf_len <= len(string):
            string = string[pre_len:-suf_len]
            prefixes.append(prefix)
            suffixes.append(suffix)
        elif pre_len:
            string = minus_pre
            prefixes.append(prefix)
        elif suf_len:
            string = minus_suf
            suffixes.append(suffix)
    return string


def tokenize_chunk(span, specials):
    if specials and span in RULES:
        return list(RULES[span])
    prefixes, suffixes = [], []
    core = split_affixes(span, prefixes, suffixes, specials)
    out = list(prefixes)
    if core:
        if specials and core in RULES:
            out.extend(RULES[core])
        elif URL_MATCH(core):
            out.append(core)
        else:
            start = 0
            for m in INFIX.finditer(core):
                if m.start() == 0:
                    continue
                if m.start() != start:
                    out.append(core[start:m.start()])
                if m.start() != m.end():
                    out.append(core[m.start():m.end()])
                start = m.end()
            if core[start:]:
                out.append(core[start:])
    out.extend(reversed(suffixes))
    return out


def tokenize_affixes(text, specials):
    """(token, start offset) pairs, whitespace tokens included, as Tokenizer._tokenize_affixes makes them."""
    toks = []
    if not text:
        return toks
    start, in_ws = 0, text[0].isspace()

    def emit(span, at):
        for t in tokenize_chunk(span, specials):
            toks.append((t, at))
            at += len(t)

    for i, uc in enumerate(text):
        if uc.isspace() != in_ws:
            if start < i:
                emit(text[start:i], start)
            start = i + 1 if uc == " " else i
            in_ws = not in_ws
    if start < len(text):
        emit(text[start:], start)
    return toks


# The special-case matcher's patterns (faster_heuristics): special cases that an affix rule applies to.
PATTERNS = {}
for key in sorted(RULES):
    if find_prefix(key) or list(INFIX.finditer(key)) or find_suffix(key) or " " in key:
        PATTERNS.setdefault(tuple(t for t, _ in tokenize_affixes(key, False)), []).append(key)
MAX_PATTERN = max(len(p) for p in PATTERNS)


def tokenize(text):
    toks = tokenize_affixes(text, True)
    n = len(toks)
    matches = []
    for a in range(n):
        for b in range(a + 1, min(n, a + MAX_PATTERN) + 1):
            for _ in PATTERNS.get(tuple(t for t, _ in toks[a:b]), []):
                matches.append((a, b))
    # _filter_special_spans: sorted by length then start descending, walked from the end.
    matches.sort(key=lambda m: (m[1] - m[0], -m[0]))
    seen, kept = set(), {}
    for a, b in reversed(matches):
        if a not in seen and (b - 1) not in seen:
            kept[a] = b
        seen.update(range(a, b))
    out, i = [], 0
    while i < n:
        if i in kept:
            b = kept[i]
            span_text = text[toks[i][1]:toks[b - 1][1] + len(toks[b - 1][0])]
            out.extend(RULES[span_text] if span_text in RULES else [t for t, _ in toks[i:b]])
            i = b
        else:
            out.append(toks[i][0])
            i += 1
    return out


def words(text):
    """datatrove's SpaCyTokenizer.word_tokenize: token texts, stripped, empty ones dropped."""
    return [t.strip() for t in tokenize(text) if t.strip()]


def count_sentences(text):
    """len(datatrove's split_into_sentences(text)): the sentencizer's sentences, at least one."""
    n, seen = 1, False
    for t in tokenize(text):
        terminal = t in SENT_PUNCT
        if seen and not all(unicodedata.category(c).startswith("P") for c in t) and not terminal:
            n, seen = n + 1, False
        elif terminal:
            seen = True
    return n


def main():
    bench_dll, files = sys.argv[2], sys.argv[3:]
    texts = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                v = json.loads(line)
                texts.append(v if isinstance(v, str) else v["text"])
    payload = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts).encode("utf-8")
    failed = 0
    for mode, reference in (("words", words), ("sentences", count_sentences)):
        args = ["dotnet", bench_dll, "words"] + (["--sentences"] if mode == "sentences" else [])
        got = subprocess.run(args, input=payload, capture_output=True, check=True).stdout.decode("utf-8").splitlines()
        differ = 0
        for text, line in zip(texts, got):
            expected, actual = reference(text), json.loads(line)
            if expected != actual:
                differ += 1
                if differ <= 5:
                    print(f"{mode} differ on {text[:200]!r}:\n  spaCy rules {expected}\n  DataForge   {actual}")
        print(f"{mode}: {len(texts)} texts, {sum(len(t) for t in texts)} characters, {differ} differ (spaCy {VERSION})")
        failed += differ
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
