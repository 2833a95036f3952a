#!/usr/bin/env python3
"""Writes SpacyEnglishData.cs: the data of spaCy's blank("en") tokenizer and sentencizer as C# tables.

Usage: generate_spacy_english_data.py SPACY_SOURCE_DIR > SpacyEnglishData.cs
SPACY_SOURCE_DIR is a checkout of github.com/explosion/spaCy (the directory holding spacy/about.py).
Only spaCy's plain data modules are loaded (char_classes, punctuation, tokenizer_exceptions, the
sentencizer's punctuation list); spaCy itself need not be installed. Character classes are evaluated
code point by code point with Python's `re`, so the tables hold exactly what spaCy's regexes match.
Development tool: DataForge does not run Python.
"""
import ast
import importlib
import os
import re
import sys
import tempfile
import types


def load_spacy_data(src):
    # Stub the two modules the data files import (symbols, util) and load the rest from the checkout.
    stub = tempfile.mkdtemp()
    pkg = os.path.join(stub, "spacy")
    os.makedirs(os.path.join(pkg, "lang", "en"))
    for d in ["", "lang", os.path.join("lang", "en")]:
        open(os.path.join(pkg, d, "__init__.py"), "w").close()
    with open(os.path.join(pkg, "symbols.py"), "w") as f:
        f.write('ORTH = "ORTH"\nNORM = "NORM"\n')
    with open(os.path.join(pkg, "util.py"), "w") as f:
        # spacy.util.update_exc / expand_exc, as far as the exceptions need them.
        f.write(
            "def update_exc(base, *additions):\n"
            "    exc = dict(base)\n"
            "    for add in additions:\n"
            "        for orth, toks in add.items():\n"
            "            assert orth == ''.join(t['ORTH'] for t in toks), orth\n"
            "        exc.update(add)\n"
            "    return expand_exc(exc, \"'\", '\\u2019')\n"
            "def expand_exc(excs, search, replace):\n"
            "    new = dict(excs)\n"
            "    for s, toks in excs.items():\n"
            "        if search in s:\n"
            "            new[s.replace(search, replace)] = [dict(t, ORTH=t['ORTH'].replace(search, replace)) for t in toks]\n"
            "    return new\n")
    for rel in ["char_classes.py", "punctuation.py", "tokenizer_exceptions.py",
                os.path.join("en", "tokenizer_exceptions.py"), os.path.join("en", "punctuation.py")]:
        with open(os.path.join(src, "spacy", "lang", rel), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(pkg, "lang", rel), "w", encoding="utf-8") as f:
            f.write(text)
    sys.path.insert(0, stub)
    cc = importlib.import_module("spacy.lang.char_classes")
    punct = importlib.import_module("spacy.lang.punctuation")
    en_punct = importlib.import_module("spacy.lang.en.punctuation")
    exc = importlib.import_module("spacy.lang.en.tokenizer_exceptions")
    about = {}
    with open(os.path.join(src, "spacy", "about.py"), encoding="utf-8") as f:
        exec(f.read(), about)
    with open(os.path.join(src, "spacy", "pipeline", "sentencizer.pyx"), encoding="utf-8") as f:
        pyx = f.read()
    m = re.search(r"default_punct_chars = (\[.*?\])", pyx, re.S)
    sentencizer_punct = ast.literal_eval(m.group(1))
    return cc, punct, en_punct, exc, about["__version__"], sentencizer_punct


def ranges(pred):
    out, start = [], None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            hit = False
        else:
            hit = pred(cp)
        if hit and start is None:
            start = cp
        elif not hit and start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def class_ranges(cls):
    rx = re.compile("[" + cls + "]")
    return ranges(lambda cp: rx.fullmatch(chr(cp)) is not None)


def cs_string(s):
    out = []
    for ch in s:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif cp == 0:
            out.append("\\0")
        elif 32 <= cp < 127:
            out.append(ch)
        elif cp <= 0xFFFF:
            out.append("\\u%04X" % cp)
        else:
            out.append("\\U%08X" % cp)
    return '"' + "".join(out) + '"'


def cs_ranges(name, rs, doc):
    body = ", ".join("0x%X, 0x%X" % r for r in rs)
    return f"    /// <summary>{doc}</summary>\n    internal static readonly int[] {name} = [{body}];\n"


def main():
    src = sys.argv[1]
    cc, punct, en_punct, exc, version, sent_punct = load_spacy_data(src)
    prefix_re = re.compile("|".join("^" + p for p in punct.TOKENIZER_PREFIXES if p.strip()))
    suffix_re = re.compile("|".join(p + "$" for p in punct.TOKENIZER_SUFFIXES if p.strip()))

    def prefix_len(s):
        m = prefix_re.search(s)
        return m.end() - m.start() if m else 0

    def suffix_len(s):
        m = suffix_re.search(s)
        return m.end() - m.start() if m else 0

    # A code point that is a prefix on its own ("+" only when no digit follows: the tokenizer checks that).
    prefix1 = ranges(lambda cp: prefix_len(chr(cp) + "\x01") == 1)
    # A code point that is a suffix after a character no lookbehind accepts.
    suffix1 = ranges(lambda cp: suffix_len("\x01" + chr(cp)) == 1)
    # Characters after which a final "." is a suffix (the lookbehind class of the "." rule).
    dot_prev = ranges(lambda cp: cp != ord(".") and suffix_len("\x01" + chr(cp) + ".") == 1)
    units = [u for u in cc.LIST_UNITS]
    currency = [c.replace("\\", "") for c in cc.LIST_CURRENCY]
    rules = exc.TOKENIZER_EXCEPTIONS
    keys = sorted(rules)

    w = sys.stdout.write
    w("// <auto-generated>\n")
    w(f"// Written by generate_spacy_english_data.py from spaCy {version} (spacy/lang/char_classes.py,\n")
    w("// punctuation.py, tokenizer_exceptions.py, en/tokenizer_exceptions.py, en/punctuation.py,\n")
    w("// pipeline/sentencizer.pyx). Do not edit by hand: run the script on a spaCy checkout instead.\n")
    w("// spaCy and its data are MIT-licensed, copyright Explosion AI GmbH.\n")
    w("// </auto-generated>\n")
    w("namespace DataForge.Text;\n\n")
    w("/// <summary>spaCy's English tokenizer data as code point ranges (inclusive pairs) and string tables.</summary>\n")
    w("internal static class SpacyEnglishData\n{\n")
    w(f"    internal const string SpacyVersion = {cs_string(version)};\n\n")
    w(cs_ranges("Alpha", class_ranges(cc.ALPHA), "ALPHA."))
    w(cs_ranges("AlphaLower", class_ranges(cc.ALPHA_LOWER), "ALPHA_LOWER."))
    w(cs_ranges("AlphaUpper", class_ranges(cc.ALPHA_UPPER), "ALPHA_UPPER."))
    w(cs_ranges("Quotes", class_ranges(cc.CONCAT_QUOTES), "CONCAT_QUOTES."))
    w(cs_ranges("Icons", class_ranges(cc.ICONS), "ICONS (LIST_ICONS): symbols that are prefixes, suffixes and infixes."))
    w(cs_ranges("Prefix1", prefix1, "Single code points matched by the prefix regex."))
    w(cs_ranges("Suffix1", suffix1, "Single code points matched by the suffix regex without a lookbehind."))
    w(cs_ranges("DotSuffixAfter", dot_prev, "Code points after which a final '.' is a suffix."))
    w("    /// <summary>UNITS: suffixes after a digit.</summary>\n")
    w("    internal static readonly string[] Units = [" + ", ".join(cs_string(u) for u in units) + "];\n")
    w("    /// <summary>CURRENCY: prefixes, and suffixes after a digit.</summary>\n")
    w("    internal static readonly string[] Currency = [" + ", ".join(cs_string(c) for c in currency) + "];\n")
    w("    /// <summary>The sentencizer's default punct_chars.</summary>\n")
    w("    internal static readonly string[] SentencePunct = [" + ", ".join(cs_string(c) for c in sent_punct) + "];\n\n")
    # One string constant instead of an array initialiser: loading it costs nothing at start-up.
    w("    /// <summary>\n")
    w("    /// Special cases (TOKENIZER_EXCEPTIONS of blank(\"en\")): entries separated by U+0000, each the string\n")
    w("    /// then the ORTH of its tokens, separated by U+0001.\n")
    w("    /// </summary>\n")
    w("    internal const string SpecialCases =\n")
    for i, k in enumerate(keys):
        toks = [t["ORTH"] for t in rules[k]]
        assert not any(c in "\x00\x01" for c in k + "".join(toks))
        entry = "\x01".join([k] + toks) + ("\x00" if i < len(keys) - 1 else "")
        w(f"        {cs_string(entry)}{' +' if i < len(keys) - 1 else ';'}\n")
    w("}\n")

    # Self-checks of the structure the C# tokenizer assumes of the prefix and suffix rules.
    assert prefix_len("US$") == 3 and prefix_len("C$") == 2 and prefix_len("A$") == 2
    assert prefix_len("..x") == 2 and prefix_len("+5") == 0 and prefix_len("+x") == 1
    assert suffix_len("\x01\u2026\u2026") == 2 and suffix_len("\x01...") == 3 and suffix_len("\x01's") == 2
    assert suffix_len("\x01.") == 0 and suffix_len("\xb0C.") == 1 and suffix_len("AB.") == 1


if __name__ == "__main__":
    main()
