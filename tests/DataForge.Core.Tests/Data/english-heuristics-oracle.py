# Independent Python port of gopher_quality, gopher_repetition, c4_quality and fineweb_quality as docs/reference.md
# defines them (Python string semantics), used to check the expectations in english-heuristics.jsonl:
#   python3 english-heuristics-oracle.py   (prints any document whose expectation differs)
# Independent Python port of the four datatrove filters (the semantics of docs/reference.md), for checking expectations.
import json, re, string
from collections import Counter
import unicodedata
def is_punct(c): 
    cat = unicodedata.category(c)
    return cat[0] in "PS" or cat == "Cc"
PREFIX = set('([{"\'“‘«‹„‚`$£€¥#¿¡*<§%=—–…&~+@')
SUFFIX = set('.,;:!?)]}"\'”’»›%…*>—–`‰°')
CONTR = ["n't","N'T","n’t","'s","'S","’s","'re","'RE","’re","'ve","'VE","’ve","'ll","'LL","’ll","'d","'D","’d","'m","'M","’m"]
ABBR = {"e.g.","i.e.","etc.","vs.","Mr.","Mrs.","Ms.","Dr.","U.S.","U.K.","a.m.","p.m.","No.","St."}
def tok(text):
    out=[]
    for ch in text.split():
        pre=[];suf=[]
        while len(ch)>1 and ch not in ABBR:
            if ch.startswith("..."): pre.append("..."); ch=ch[3:]; continue
            if ch[0] in PREFIX: pre.append(ch[0]); ch=ch[1:]; continue
            break
        while len(ch)>1 and ch not in ABBR:
            if ch.endswith("...") and len(ch)>3: suf.append("..."); ch=ch[:-3]; continue
            c=next((c for c in CONTR if len(ch)>len(c) and ch.endswith(c)),None)
            if c: suf.append(c); ch=ch[:-len(c)]; continue
            if ch[-1] in SUFFIX:
                if ch[-1]=='.' and re.fullmatch(r"(?:[^\W\d_]\.)+", ch): break
                suf.append(ch[-1]); ch=ch[:-1]; continue
            break
        mid = re.split(r"(?<=[^\W\d_])([-–—])(?=[^\W\d_])", ch) if ch not in ABBR else [ch]
        out += pre + [m for m in mid if m] + suf[::-1]
    return out
STOP={"the","be","to","of","and","that","have","with"}
def gopher_q(text):
    w=tok(text); n=len(w); ns=[x for x in w if any(not is_punct(c) for c in x)]
    if len(ns)<50: return "min_doc_words"
    if len(ns)>100000: return "max_doc_words"
    avg=sum(len(x) for x in ns)/len(ns)
    if avg<3: return "min_avg_word_length"
    if avg>10: return "max_avg_word_length"
    if text.count("#")/n>0.1: return "hash_ratio"
    if (text.count("...")+text.count("…"))/n>0.1: return "ellipsis_ratio"
    lines=text.splitlines()
    if sum(l.lstrip().startswith("•") or l.lstrip().startswith("-") for l in lines)/len(lines)>0.9: return "bullet_lines"
    if sum(l.rstrip().endswith("...") or l.rstrip().endswith("…") for l in lines)/len(lines)>0.3: return "ellipsis_lines"
    if sum(any(c.isalpha() for c in x) for x in w)/n<0.8: return "non_alpha_words"
    if len(STOP & set(w))<2: return "stop_words"
def dups(xs):
    s=set();d=0;c=0
    for x in xs:
        if x in s: d+=1;c+=len(x)
        else: s.add(x)
    return d,c
def gopher_r(text):
    L=len(text)
    p=re.split(r"\n{2,}",text.strip()); d,c=dups(p)
    if d/len(p)>0.3: return "dup_para_frac"
    if c/L>0.2: return "dup_para_char_frac"
    l=re.split("\n+",text); d,c=dups(l)
    if d/len(l)>0.3: return "dup_line_frac"
    if c/L>0.2: return "dup_line_char_frac"
    w=tok(text)
    for n,f in ((2,.2),(3,.18),(4,.16)):
        g=[" ".join(w[i:i+n]) for i in range(len(w)-n+1)]
        if not g: continue
        t=Counter(g).most_common(1)[0]
        if len(t[0])*t[1]/L>f: return f"top_{n}_gram"
    for n,f in ((5,.15),(6,.14),(7,.13),(8,.12),(9,.11),(10,.1)):
        s=set();r=0;i=0
        while i<len(w)-n+1:
            g="".join(w[i:i+n])
            if g in s: r+=len(g); i+=n
            else: s.add(g); i+=1
        if r/L>f: return f"duplicated_{n}_n_grams"
TERM=set(".!?。！？")
def sents(line):
    # spaCy's sentencizer: after a single-character terminal token, the next non-punctuation token starts a sentence.
    w=tok(line)
    if not w: return 0
    n=1; seen=False
    for t in w:
        term = len(t)==1 and t in TERM
        if seen and not term and not all(is_punct(c) for c in t): n+=1; seen=False
        elif term: seen=True
    return n
def c4(text):
    ns=0
    for line in text.splitlines():
        line=line.strip(); words=line.split()
        if any(len(x)>1000 for x in words): continue
        line=re.sub(r"\[\d*]|\[edit]|\[citation needed]","",line)
        if not line.endswith((".","?","!",'"',"'")) or line.endswith("..."): continue
        if len(words)<3: continue
        ll=line.lower()
        if "lorem ipsum" in ll: return "lorem_ipsum"
        if "javascript" in ll: continue
        if "{" in line: return "curly_bracket"
        if any(p in ll for p in ["terms of use","privacy policy","cookie policy","uses cookies","use of cookies","use cookies"]): continue
        ns+=sents(line)
    if ns<5: return "too_few_sentences"
def fw(text):
    lines=[l for l in text.split("\n") if l.strip()!=""]
    if not lines: return "empty"
    r=sum(1 for l in lines if l[-1] in TERM)/len(lines)
    if r<0.12: return "line_punct_ratio"
    if sum(1 for l in lines if len(l)<=30)/len(lines)>0.67: return "short_line_ratio"
    if dups(lines)[1]/len(text.replace("\n",""))>0.01: return "char_dup_ratio"
    if text.count("\n")/len(tok(text))>0.3: return "list_ratio"
out=[]
for line in open(__import__("os").path.join(__import__("os").path.dirname(__file__), "english-heuristics.jsonl")):
    d=json.loads(line); t=d["text"]
    res={"gopher_quality":gopher_q(t),"gopher_repetition":gopher_r(t),"c4_quality":c4(t),"fineweb_quality":fw(t)}
    for k,v in res.items():
        pref=k if k!="gopher_quality" else "gopher_quality"
        full=None if v is None else f"{k}.{v}"
        if full!=d["expect"][k]: print(d["id"],k,"expected",d["expect"][k],"oracle",full)
    d["oracle"]={k:(None if v is None else f"{k}.{v}") for k,v in res.items()}
    out.append(d)

