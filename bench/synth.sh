#!/usr/bin/env bash
# Benchmark: generator throughput (items/s) and idiom matching throughput (MB/s, Chinese).
# Usage: bench/synth.sh [ITEMS] [ZH_MB]   (default 1000000 items per pipeline run, 100 MB of Chinese text)
# Parts: (1) in-process items/s per generator and kind; (2) `run` of math_generate and
# list_dict_generate to JSON Lines at 1 and 2 workers; (3) Aho-Corasick matching and full cloze
# generation in-process, with pyahocorasick (C extension, Debian python3-ahocorasick) and Python `re`
# on the same texts and lexicon as peers; (4) `run` of idiom_cloze at 1 and 2 workers.
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${1:-1000000}
ZHMB=${2:-100}
source bench/common.sh
PY=/usr/bin/python3   # Debian's Python, where python3-ahocorasick is installed

ZH="$DATA/zh-${ZHMB}m.jsonl"
# The Chinese sample repeated (new ids, shuffled order) up to ZH_MB.
[ -f "$ZH" ] || $PY - "$ZH" "$ZHMB" <<'PY'
import gzip, json, random, sys
docs = [json.loads(l) for l in gzip.open("samples/zh/web.jsonl.gz", "rt", encoding="utf-8")]
rng = random.Random(6); target = int(sys.argv[2]) * 1_000_000; n = 0; size = 0
with open(sys.argv[1], "w", encoding="utf-8") as f:
    while size < target:
        rng.shuffle(docs)
        for d in docs:
            line = json.dumps({"id": f"z{n}", "text": d["text"]}, ensure_ascii=False) + "\n"
            f.write(line); size += len(line.encode()); n += 1
PY

echo "## (1) in-process generation, one thread, no I/O"
$GEN synth-gen --count 200000
echo

run() { # name pipeline-json workers -> wall seconds and docs out
  local t
  t=$( { /usr/bin/time -f "%e %M" $DF run "$2" --overwrite --workers "$3" >/dev/null; } 2>&1 | tail -1)
  read -r wall rss <<<"$t"
  local out
  out=$(python3 -c "import json;s=json.load(open('$OUT/$1/stats.json'));print(s['documents_out'], s['bytes_in'] if 'bytes_in' in s else 0)")
  echo "$wall $rss $out"
}

echo "## (2) dataforge run, generator -> jsonl"
echo "| generator | workers | items | wall s | items/s | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for g in math_generate list_dict_generate; do
  cat > "$OUT/bench-$g.json" <<JSON
{ "name": "bench-$g", "input": [{"type": "$g", "count": $ITEMS, "seed": 1}], "output": {"type": "jsonl", "path": "$OUT/$g"} }
JSON
  for w in 1 2; do
    read -r wall rss docs _ <<<"$(run "$g" "$OUT/bench-$g.json" "$w")"
    awk -v g="$g" -v w="$w" -v n="$docs" -v wall="$wall" -v rss="$rss" 'BEGIN { printf "| %s | %d | %d | %.2f | %.0f | %.0f |\n", g, w, n, wall, n/wall, rss/1024 }'
  done
done
echo

echo "## (3) idiom matching on $ZH (in-process; strings decoded before timing)"
echo "| lexicon words | MB (UTF-8) | matches | match s | match MB/s | questions | cloze s | cloze MB/s |"
echo "|---|---|---|---|---|---|---|---|"
$GEN idiom-match --input "$ZH" --lexicon samples/zh/idioms.txt
$GEN idiom-match --input "$ZH" --lexicon samples/zh/idioms.txt --synthetic 30000
echo
echo "Peers on the same texts and lexicon (count of matches; time excludes JSON parsing):"
$PY - "$ZH" <<'PY'
import ahocorasick, json, random, re, sys, time
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
mb = sum(len(t.encode()) for t in texts) / 1e6
words = [l.strip() for l in open("samples/zh/idioms.txt", encoding="utf-8") if l.strip()]
def aho(ws):
    A = ahocorasick.Automaton()
    for i, w in enumerate(ws): A.add_word(w, i)
    A.make_automaton()
    t0 = time.perf_counter(); n = 0
    for t in texts:
        for _ in A.iter(t): n += 1
    return n, time.perf_counter() - t0
rng = random.Random(3); big = list(words)
while len(big) < 30000: big.append("".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(4)))
for label, ws in (("pyahocorasick", words), ("pyahocorasick", big)):
    n, s = aho(ws)
    print(f"- {label}, {len(ws)} words: {n} matches, {s:.2f} s, {mb/s:.0f} MB/s")
rx = re.compile("|".join(map(re.escape, words)))
t0 = time.perf_counter(); n = sum(1 for t in texts for _ in rx.finditer(t)); s = time.perf_counter() - t0
print(f"- Python re alternation, {len(words)} words (non-overlapping matches only): {n} matches, {s:.2f} s, {mb/s:.0f} MB/s")
PY
echo

echo "## (4) dataforge run, idiom_cloze on $ZH -> jsonl"
cat > "$OUT/bench-cloze.json" <<JSON
{ "name": "bench-cloze", "input": [{"type": "jsonl", "paths": ["$ZH"]}],
  "stages": [{"type": "idiom_cloze", "lexicon": "samples/zh/idioms.txt", "max_per_document": 3}],
  "output": {"type": "jsonl", "path": "$OUT/cloze"} }
JSON
BYTES=$(stat -c %s "$ZH")
echo "| workers | wall s | input MB/s | questions | stage s (sum over workers) | stage MB/s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for w in 1 2; do
  read -r wall rss docs _ <<<"$(run cloze "$OUT/bench-cloze.json" "$w")"
  st=$(python3 -c "import json;s=json.load(open('$OUT/cloze/stats.json'));st=[x for x in s['stages'] if x['name']=='idiom_cloze'][0];print(st['seconds'], st['in_bytes'])")
  read -r ss sb <<<"$st"
  awk -v w="$w" -v wall="$wall" -v b="$BYTES" -v q="$docs" -v ss="$ss" -v sb="$sb" -v rss="$rss" 'BEGIN { printf "| %d | %.2f | %.0f | %d | %.2f | %.0f | %.0f |\n", w, wall, b/1e6/wall, q, ss, sb/1e6/ss, rss/1024 }'
done
