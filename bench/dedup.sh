#!/usr/bin/env bash
# Benchmark: minhash_dedup (14x8, word 5-grams) on generated corpora with planted
# near-duplicates (bench/DataForge.Bench gen-dups: ~1.1 KB documents, 25% are copies of an earlier
# document with 0-10% of words edited). For each size: wall time, peak RSS, and per phase
# (signatures / matching / union-find / write / filter) the time and throughput, from stats.json.
# Usage: bench/dedup.sh [DOCS...]   (default: 100000 300000 1000000)
# Env: WORKERS (default 2); STAGE (default minhash_dedup; exact_dedup, url_dedup, line_dedup or
# sentence_dedup print their own phase counters in the last column instead).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
WORKERS=${WORKERS:-2}
STAGE=${STAGE:-minhash_dedup}
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 300000 1000000)
echo "| docs | MB | workers | wall s | docs/s | MB/s | peak RSS MB | removed | planted copies | signatures s | matching s | union-find s | write s | filter s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for N in "${SIZES[@]}"; do
  CORPUS="$DATA/dups-$N.jsonl"
  [ -f "$CORPUS" ] || $GEN gen-dups --out "$CORPUS" --docs "$N" --seed 5
  BYTES=$(stat -c %s "$CORPUS")
  cat > "$OUT/bench-dedup.json" <<JSON
{ "name": "bench-dedup", "input": [{"type": "jsonl", "paths": ["$CORPUS"]}],
  "stages": [{"type": "$STAGE"}],
  "output": {"type": "jsonl", "path": "$OUT/dedup"} }
JSON
  t=$( { /usr/bin/time -f "%e %M" $DF run "$OUT/bench-dedup.json" --overwrite --workers "$WORKERS" >/dev/null; } 2>&1 | tail -1)
  read -r wall rss <<<"$t"
  planted=$(grep -c '"dup_of"' "$CORPUS" || true)
  python3 - "$OUT/dedup/stats.json" "$N" "$BYTES" "$WORKERS" "$wall" "$rss" "$planted" "$STAGE" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n, b, w, wall, rss, planted, stage = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8]
st = next(x for x in s["stages"] if x["type"] == stage)
c = st["counters"]
removed = sum(st["dropped"].values())
if stage != "minhash_dedup":
    phases = ", ".join(f"{k.split('phase_ms.')[1]} {v/1000:.2f} s" for k, v in c.items() if "phase_ms." in k)
    print(f"| {n} | {b/1e6:.0f} | {w} | {wall:.1f} | {n/wall:.0f} | {b/1e6/wall:.1f} | {rss/1024:.0f} | {removed} | {planted} | {stage}: {phases} | | | | {st['seconds']:.1f} |")
    sys.exit(0)
ph = lambda k: c.get("minhash_dedup.phase_ms." + k, 0) / 1000
# signatures: summed over worker threads (CPU-seconds); the others are wall seconds.
print(f"| {n} | {b/1e6:.0f} | {w} | {wall:.1f} | {n/wall:.0f} | {b/1e6/wall:.1f} | {rss/1024:.0f} | {removed} | {planted} "
      f"| {ph('signatures'):.1f} ({n/max(ph('signatures'),1e-9):.0f} docs/s, {b/1e6/max(ph('signatures'),1e-9):.1f} MB/s per thread) "
      f"| {ph('matching'):.2f} | {ph('union_find'):.2f} | {ph('write'):.2f} | {st['seconds']:.1f} |")
PY
done
