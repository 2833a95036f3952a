#!/usr/bin/env bash
# Benchmark: the Slurm executor against the local executor on the same pipeline and machine.
# Pipeline: normalize, length_filter, minhash_dedup (so 4 Slurm steps: map+observe, resolve, apply+write,
# finish) over a generated corpus with planted near-duplicates (bench/DataForge.Bench gen-dups), split
# into partitions of PARTITION_MB. Local: one process, --workers 2. Slurm: the single-node cluster of
# scripts/slurm-local.sh (2 CPUs), cpus_per_task 1 (so two tasks at a time use the same 2 cores) and
# TASKS array tasks per step; wall time is from `run --wait` to its return (submission, scheduling,
# dependency waits, process starts, the work, the last job's publish). The outputs are compared byte for byte.
# A tiny input (8 small partitions) shows the fixed cost per step alone.
# Usage: bench/slurm.sh [DOCS]   (default 100000)   Env: TASKS (default "1 2 4 8 16"), PARTITION_MB (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
N=${1:-100000}
TASKS=${TASKS:-1 2 4 8 16}
PARTITION_MB=${PARTITION_MB:-8}
sinfo -h -o %T | grep -Eq 'idle|mixed|allocated' || { echo "no Slurm cluster answers: scripts/slurm-local.sh up" >&2; exit 1; }

CORPUS="$DATA/dups-$N.jsonl"
[ -f "$CORPUS" ] || $GEN gen-dups --out "$CORPUS" --docs "$N" --seed 5
TINY="$DATA/slurm-tiny"
if [ ! -d "$TINY" ]; then
  mkdir -p "$TINY"
  for f in 0 1 2 3 4 5 6 7; do head -n 200 "$CORPUS" | tail -n $((200 - f * 10)) > "$TINY/t$f.jsonl"; done
fi

pipeline() { # name input partition_bytes
  cat > "$OUT/slurm-$1.json" <<JSON
{ "name": "bench-slurm", "partition_bytes": $3,
  "input": [{"type": "jsonl", "paths": ["$2"]}],
  "stages": [{"type": "normalize"}, {"type": "length_filter", "min_words": 20}, {"type": "minhash_dedup"}],
  "output": {"type": "jsonl", "path": "$OUT/slurm-unused"},
  "executor": {"type": "slurm", "cpus_per_task": 1, "time": "30"} }
JSON
}
pipeline big "$CORPUS" $((PARTITION_MB << 20))
pipeline tiny "$TINY/*.jsonl" 67108864

compare() { # a b
  (cd "$1" && find . -name 'part-*' -o -name manifest.json | sort | xargs md5sum) > "$OUT/slurm-a.md5"
  (cd "$2" && find . -name 'part-*' -o -name manifest.json | sort | xargs md5sum) > "$OUT/slurm-b.md5"
  cmp -s "$OUT/slurm-a.md5" "$OUT/slurm-b.md5" && echo identical || echo DIFFERENT
}

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$@"; }

for which in tiny big; do
  P="$OUT/slurm-$which.json"
  t0=$(date +%s.%N)
  $DF run "$P" --executor local --workers 2 --output "$OUT/slurm-$which-local" --overwrite >/dev/null
  t1=$(date +%s.%N)
  local_s=$(secs "$t0" "$t1")
  parts=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['partitions'])" "$OUT/slurm-$which-local/stats.json")
  echo "### $which input: $parts partitions, local --workers 2: ${local_s} s"
  echo
  echo "| tasks | submit s | wall s | overhead vs local s | ratio | output |"
  echo "|---|---|---|---|---|---|"
  for T in $TASKS; do
    o="$OUT/slurm-$which-t$T"
    rm -rf "$o"
    sed "s/\"cpus_per_task\": 1/\"cpus_per_task\": 1, \"tasks\": $T/" "$P" > "$OUT/slurm-$which-t.json"
    t0=$(date +%s.%N)
    $DF run "$OUT/slurm-$which-t.json" --output "$o" > "$OUT/slurm-submit.log"
    t1=$(date +%s.%N)
    # Follow the submitted jobs as run --wait does (--resume of a live submission would be refused).
    while [ ! -f "$o/_SUCCESS" ]; do
      if ! squeue -h -j "$(python3 -c "import json,sys; print(','.join(s['job_id'] for s in json.load(open(sys.argv[1]))['steps'] if s['job_id']))" "$o/_slurm/submission.json")" 2>/dev/null | grep -q .; then
        [ -f "$o/_SUCCESS" ] || { echo "run failed: $DF status $o" >&2; $DF status "$o" >&2; exit 1; }
      fi
      sleep 0.1
    done
    t2=$(date +%s.%N)
    wall=$(secs "$t0" "$t2")
    echo "| $T | $(secs "$t0" "$t1") | $wall | $(secs "$local_s" "$wall") | $(python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$wall" "$local_s") | $(compare "$OUT/slurm-$which-local" "$o") |"
  done
  echo
done
