#!/usr/bin/env bash
# Benchmark: `tokenizer train` on the Slurm executor against the local command, same inputs and machine.
# Input: a generated corpus (bench/DataForge.Bench gen-dups, DOCS documents) dealt line by line into FILES
# JSONL files. Local: one process, --threads 2. Slurm: the single-node cluster of scripts/slurm-local.sh
# (2 CPUs), cpus_per_task 1, TASKS count tasks, then the merge job; wall time is from `--wait` to its
# return (submission, scheduling, the counting, the merge). The tokenizer files are compared byte for byte.
# Usage: bench/tokenizer-slurm.sh [DOCS]   (default 200000)   Env: TASKS (default "1 2 4 8"), FILES (default 8), VOCAB (default 8192)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
N=${1:-200000}
TASKS=${TASKS:-1 2 4 8}
FILES=${FILES:-8}
VOCAB=${VOCAB:-8192}
sinfo -h -o %T | grep -Eq 'idle|mixed|allocated' || { echo "no Slurm cluster answers: scripts/slurm-local.sh up" >&2; exit 1; }

CORPUS="$DATA/dups-$N.jsonl"
[ -f "$CORPUS" ] || $GEN gen-dups --out "$CORPUS" --docs "$N" --seed 5
IN="$DATA/tok-slurm-$N-$FILES"
if [ ! -d "$IN" ]; then
  mkdir -p "$IN"
  awk -v n="$FILES" -v d="$IN" '{ printf "%s\n", $0 > sprintf("%s/f%02d.jsonl", d, (NR - 1) % n) }' "$CORPUS"
fi
echo "input: $FILES files, $(du -sm "$IN" | cut -f1) MB, $N documents; vocabulary $VOCAB"

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$@"; }
same() { for f in vocab.json merges.txt tokenizer.json tokenizer_config.json dataforge_tokenizer.json; do cmp -s "$1/$f" "$2/$f" || { echo DIFFERENT; return; }; done; echo identical; }

rm -rf "$OUT/tok-slurm-local"
t0=$(date +%s.%N)
$DF tokenizer train -i "$IN/*.jsonl" --vocab-size "$VOCAB" -o "$OUT/tok-slurm-local" --threads 2 >/dev/null 2>&1
t1=$(date +%s.%N)
local_s=$(secs "$t0" "$t1")
echo "local --threads 2: ${local_s} s"
echo
echo "| tasks | wall s | ratio to local | tokenizer |"
echo "|---|---|---|---|"
for T in $TASKS; do
  o="$OUT/tok-slurm-t$T"
  rm -rf "$o"
  echo "{\"type\": \"slurm\", \"tasks\": $T, \"cpus_per_task\": 1, \"time\": \"30\"}" > "$OUT/tok-slurm-exec.json"
  t0=$(date +%s.%N)
  $DF tokenizer train -i "$IN/*.jsonl" --vocab-size "$VOCAB" -o "$o" --executor-config "$OUT/tok-slurm-exec.json" --wait >/dev/null 2>&1
  t1=$(date +%s.%N)
  s=$(secs "$t0" "$t1")
  echo "| $T | $s | $(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$s" "$local_s") | $(same "$OUT/tok-slurm-local" "$o") |"
done
