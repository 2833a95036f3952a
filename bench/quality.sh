#!/usr/bin/env bash
# Benchmark: DataForge's quality classifier (hashed word uni+bigrams, ML.NET SDCA logistic
# regression) against `fasttext supervised -wordNgrams 2` on the same train/test split of real
# documentation prose (positives) vs real and realistic low-value text (negatives), built by
# `dataforge-bench gen-quality` from Debian packages (python3.11-doc, perl-doc, debian-reference-en,
# changelogs and copyright files under /usr/share/doc). Then scoring throughput on the whole corpus
# repeated 4x: `fasttext predict-prob` vs `dataforge quality score` (ML.NET model and, through
# fasttext_score's reader, the fastText model). Each step runs under the shared CPU lock.
# Usage: bench/quality.sh [RUNS]   (default 3 throughput runs; medians reported)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
LOCK="flock /tmp/df-cpu.lock"
for p in fasttext:fasttext python3.11-doc:/usr/share/doc/python3.11/html/_sources perl-doc:/usr/share/perl/5.36.0/pod debian-reference-en:/usr/share/doc/debian-reference-en/docs; do
  [ -e "${p#*:}" ] || command -v "${p#*:}" >/dev/null || { echo "missing ${p%%:*}: apt-get install ${p%%:*}" >&2; exit 1; }
done
$LOCK bash -c 'source bench/common.sh' >/dev/null
DATA=bench/data OUT=bench/out
DF="dotnet src/DataForge.Cli/bin/Release/net10.0/dataforge.dll"
GEN="dotnet bench/DataForge.Bench/bin/Release/net10.0/dataforge-bench.dll"
D="$DATA/quality-seed7"
[ -f "$D/all.txt" ] || $LOCK $GEN gen-quality --out "$D" --seed 7
[ -f "$D/big.txt" ] || for i in 1 2 3 4; do cat "$D/all.txt"; done > "$D/big.txt"
head -1 "$D/all.txt" > "$D/one.txt"
TIMEF="%e %U %S %M"

echo "data: $D: $(wc -l < "$D/train-pos.jsonl") + $(wc -l < "$D/train-neg.jsonl") train, $(wc -l < "$D/test-pos.jsonl") + $(wc -l < "$D/test-neg.jsonl") test documents"

# --- training and AUC on the held-out test split ---
$LOCK /usr/bin/time -f "$TIMEF" -o $OUT/time.txt $DF quality train --positive $D/train-pos.jsonl --negative $D/train-neg.jsonl --out $OUT/quality-bench.zip --holdout 0.05 >/dev/null 2>$OUT/df-train.log
read -r df_wall df_user df_sys df_rss < $OUT/time.txt
df_auc=$($LOCK $DF quality eval --model $OUT/quality-bench.zip --positive $D/test-pos.jsonl --negative $D/test-neg.jsonl | python3 -c "import json,sys; print(json.load(sys.stdin)['auc'])")
$LOCK /usr/bin/time -f "$TIMEF" -o $OUT/time.txt fasttext supervised -input $D/train.ft.txt -output $OUT/ft-bench -wordNgrams 2 -thread 2 -verbose 0
read -r ft_wall ft_user ft_sys ft_rss < $OUT/time.txt
$LOCK fasttext predict-prob $OUT/ft-bench.bin $D/test.txt 2 > $OUT/ft-test.txt
ft_auc=$(python3 - "$OUT/ft-test.txt" "$D/test-labels.txt" <<'PY'
import sys
labels = [int(l) for l in open(sys.argv[2])]
scores = []
for line in open(sys.argv[1]):
    p = line.split(); d = {p[i]: float(p[i + 1]) for i in range(0, len(p), 2)}
    scores.append(d.get('__label__hq', 0.0))
n = len(labels); order = sorted(range(n), key=lambda i: scores[i]); ranks = [0.0] * n; i = 0
while i < n:
    j = i
    while j + 1 < n and scores[order[j + 1]] == scores[order[i]]: j += 1
    for k in range(i, j + 1): ranks[order[k]] = (i + j) / 2 + 1
    i = j + 1
P = sum(labels); N = n - P
print(round((sum(r for r, l in zip(ranks, labels) if l) - P * (P + 1) / 2) / (P * N), 6))
PY
)
echo
echo "| model | test AUC | train wall s | train CPU s | peak RSS MB | model size |"
echo "|---|---|---|---|---|---|"
awk -v a="$df_auc" -v w="$df_wall" -v u="$df_user" -v s="$df_sys" -v r="$df_rss" -v z="$(stat -c %s $OUT/quality-bench.zip)" 'BEGIN { printf "| DataForge (SDCA, 2^20 hashed uni+bigrams) | %s | %.1f | %.1f | %.0f | %.0f KB |\n", a, w, u+s, r/1024, z/1024 }'
awk -v a="$ft_auc" -v w="$ft_wall" -v u="$ft_user" -v s="$ft_sys" -v r="$ft_rss" -v z="$(stat -c %s $OUT/ft-bench.bin)" 'BEGIN { printf "| fastText supervised -wordNgrams 2 -thread 2 | %s | %.1f | %.1f | %.0f | %.0f MB |\n", a, w, u+s, r/1024, z/1e6 }'

# --- scoring throughput ---
DOCS=$(wc -l < "$D/big.txt"); BYTES=$(stat -c %s "$D/big.txt")
echo
echo "scoring $D/big.txt: $DOCS documents, $((BYTES / 1000000)) MB (one document per line); median of $RUNS runs"
echo
echo "| scorer | threads | wall s | docs/s | MB/s | start-up s (1 doc) | docs/s without start-up |"
echo "|---|---|---|---|---|---|---|"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() { # name threads command... (the command reads FILE)
  local name=$1 threads=$2; shift 2
  local walls=() w0
  for _ in $(seq "$RUNS"); do
    walls+=("$($LOCK /usr/bin/time -f %e -o $OUT/time.txt bash -c "$(printf '%q ' "$@" | sed "s|FILE|$D/big.txt|g") >/dev/null 2>&1"; cat $OUT/time.txt)")
  done
  w0=$($LOCK /usr/bin/time -f %e -o $OUT/time.txt bash -c "$(printf '%q ' "$@" | sed "s|FILE|$D/one.txt|g") >/dev/null 2>&1"; cat $OUT/time.txt)
  local wall; wall=$(printf '%s\n' "${walls[@]}" | median)
  awk -v n="$name" -v t="$threads" -v w="$wall" -v w0="$w0" -v d="$DOCS" -v b="$BYTES" 'BEGIN {
    printf "| %s | %s | %.2f | %.0f | %.1f | %.2f | %.0f |\n", n, t, w, d/w, b/1e6/w, w0, d/(w-w0) }'
}
measure "fasttext predict-prob (fastText CLI)" 1 fasttext predict-prob $OUT/ft-bench.bin FILE 1
measure "dataforge quality score, ML.NET model" 1 $DF quality score --model $OUT/quality-bench.zip FILE --scores-only --workers 1
measure "dataforge quality score, ML.NET model" 2 $DF quality score --model $OUT/quality-bench.zip FILE --scores-only --workers 2
measure "dataforge quality score, fastText .bin (fasttext_score reader)" 1 $DF quality score --model $OUT/ft-bench.bin FILE --scores-only --workers 1
measure "dataforge quality score, fastText .bin (fasttext_score reader)" 2 $DF quality score --model $OUT/ft-bench.bin FILE --scores-only --workers 2
