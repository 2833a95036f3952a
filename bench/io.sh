#!/usr/bin/env bash
# Benchmark: run throughput of the dataflow core on a generated >= 1 GB web-like JSONL
# corpus, for jsonl->jsonl, jsonl->parquet and parquet->parquet with `normalize`, at 1 and 2
# workers, next to the raw read speed of the same file. Prints a Markdown table.
# Usage: bench/io.sh [MB]   (default 1100)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-1100}
source bench/common.sh
CORPUS="$DATA/web-${MB}m.jsonl"
[ -f "$CORPUS" ] || $GEN gen-web --out "$CORPUS" --mb "$MB"
BYTES=$(stat -c %s "$CORPUS")
DOCS=$(wc -l < "$CORPUS")

pipeline() { # input-type input-glob sink-type out
  cat > "$OUT/bench-$3-$1.json" <<JSON
{ "name": "bench", "input": [{"type": "$1", "paths": ["$2"]}], "stages": [{"type": "normalize"}], "output": {"type": "$3", "path": "$4"} }
JSON
  echo "$OUT/bench-$3-$1.json"
}

measure() { # label pipeline workers
  local t
  t=$( { /usr/bin/time -f "%e %M %U %S" $DF run "$2" --overwrite --workers "$3" >/dev/null; } 2>&1 | tail -1)
  read -r wall rss user sys <<<"$t"
  awk -v l="$1" -v w="$3" -v wall="$wall" -v rss="$rss" -v b="$BYTES" -v d="$DOCS" -v u="$user" -v s="$sys" 'BEGIN {
    printf "| %s | %d | %.2f | %.0f | %.0f | %.0f | %.0f |\n", l, w, wall, b/1e6/wall, d/wall, b/1e6/(u+s), rss/1024 }'
}

echo "corpus: $CORPUS, $((BYTES / 1000000)) MB, $DOCS documents"
t0=$(date +%s.%N); cat "$CORPUS" > /dev/null; t1=$(date +%s.%N)
t2=$(date +%s.%N); dd if="$CORPUS" of=/dev/null bs=1M status=none; t3=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v e="$t3" -v n="$BYTES" 'BEGIN {
  printf "raw read: cat > /dev/null %.0f MB/s; dd bs=1M of=/dev/null %.0f MB/s (page cache)\n", n/1e6/(b-a), n/1e6/(e-c) }'
echo
echo "| run | workers | wall s | MB/s | docs/s | MB per CPU-second | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
JJ=$(pipeline jsonl "$CORPUS" jsonl "$OUT/jj")
JP=$(pipeline jsonl "$CORPUS" parquet "$OUT/jp")
for w in 1 2; do measure "jsonl -> jsonl" "$JJ" "$w"; done
# The machine's own ceiling for two streams: two independent 1-worker processes at once.
JJ2="$OUT/bench-jsonl-jsonl-2.json"; sed "s#\"$OUT/jj\"#\"$OUT/jj2\"#" "$JJ" > "$JJ2"
t0=$(date +%s.%N)
$DF run "$JJ" --overwrite --workers 1 >/dev/null & $DF run "$JJ2" --overwrite --workers 1 >/dev/null; wait
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v n="$BYTES" -v d="$DOCS" 'BEGIN { printf "| jsonl -> jsonl, two independent 1-worker processes at once (machine ceiling) | 1+1 | %.2f | %.0f | %.0f | | |\n", b-a, 2*n/1e6/(b-a), 2*d/(b-a) }'
for w in 1 2; do measure "jsonl -> parquet" "$JP" "$w"; done
rm -rf "$DATA/parquet-in" && cp -r "$OUT/jp" "$DATA/parquet-in"
PP=$(pipeline parquet "$DATA/parquet-in/part-*.parquet" parquet "$OUT/pp")
for w in 1 2; do measure "parquet -> parquet" "$PP" "$w"; done
echo
echo "MB/s and MB per CPU-second are in bytes of the JSONL corpus (the same documents in every row)."
