#!/usr/bin/env bash
# Benchmark: the English heuristic chain normalize -> gopher_quality -> gopher_repetition
# -> c4_quality -> fineweb_quality on a generated web-like corpus of mixed quality (prose,
# boilerplate, lists; Zipf-distributed vocabulary of 40k words). Prints a Markdown table.
# Usage: bench/filters.sh [MB] [--low-vocabulary]   (default 220 MB; the flag draws content
# words from only 100 words, the corpus of the first measurements)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-220}
VOCAB=${2:-}
source bench/common.sh
CORPUS="$DATA/web-${MB}m-seed7${VOCAB:+-low}.jsonl"
[ -f "$CORPUS" ] || $GEN gen-web --out "$CORPUS" --mb "$MB" --seed 7 $VOCAB
BYTES=$(stat -c %s "$CORPUS")
DOCS=$(wc -l < "$CORPUS")
cat > "$OUT/bench-filters.json" <<JSON
{ "name": "bench-filters", "input": [{"type": "jsonl", "paths": ["$CORPUS"]}],
  "stages": [{"type": "normalize"}, {"type": "gopher_quality"}, {"type": "gopher_repetition"}, {"type": "c4_quality"}, {"type": "fineweb_quality"}],
  "output": {"type": "jsonl", "path": "$OUT/filters"} }
JSON
echo "corpus: $CORPUS, $((BYTES / 1000000)) MB, $DOCS documents"
echo
echo "| workers | wall s | MB/s | docs/s | MB per CPU-second | peak RSS MB | kept |"
echo "|---|---|---|---|---|---|---|"
for w in 1 2; do
  t=$( { /usr/bin/time -f "%e %M %U %S" $DF run "$OUT/bench-filters.json" --overwrite --workers "$w" >/dev/null; } 2>&1 | tail -1)
  read -r wall rss user sys <<<"$t"
  kept=$(python3 -c "import json;s=json.load(open('$OUT/filters/stats.json'));print(s['documents_out'])" 2>/dev/null || echo "?")
  awk -v w="$w" -v wall="$wall" -v rss="$rss" -v b="$BYTES" -v d="$DOCS" -v u="$user" -v s="$sys" -v k="$kept" 'BEGIN {
    printf "| %d | %.2f | %.1f | %.0f | %.1f | %.0f | %s |\n", w, wall, b/1e6/wall, d/wall, b/1e6/(u+s), rss/1024, k }'
done
echo
echo "Per-stage seconds (last run, summed over workers):"
python3 - "$OUT/filters/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for st in s["stages"][1:]:
    d = sum(st["dropped"].values())
    print(f"- {st['name']}: {st['seconds']:.1f} s, {st['in']} in, {d} dropped, {st['in_bytes']/1e6/max(st['seconds'],1e-9):.0f} MB/s")
PY
