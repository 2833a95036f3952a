#!/usr/bin/env bash
# Curation effect: the same small model trained on a raw corpus and on that corpus after the Track-2 English
# curation (arm "curated": rules, dedup, quality top 15%; arm "filtered": the same without the top fraction),
# each on the same token budget with 3 seeds, evaluated on a clean held-out set (perplexity, bits per
# byte) and a next-sentence choice task made from it; `dataforge report` compares the runs side by side.
#   bench/curation.sh              everything: corpus, curation, tokenizer, mixes, 3 arms x 3 seeds, eval, report, table
#   bench/curation.sh table        only the table of the runs already evaluated
# Environment: STEPS (200), SEEDS ("1 2 3"), ARMS ("raw curated filtered"), THREADS (2, curation/tokenizer/mix),
# TRAIN_THREADS (1 per arm; the arms of a seed train side by side), DMODEL (128).
# Corpus (bench/curation_corpus.py): real English from Debian packages plus their changelogs, copyright files and
# licences as boilerplate. Needs: apt-get install linux-doc-6.1 perl-doc python3.11-doc postgresql-doc-15
# Outputs under bench/out/curation/ (runs in runs/, report in runs/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
PY=/usr/bin/python3
C=$OUT/curation
CD=$DATA/curation
STEPS=${STEPS:-200}
SEEDS=${SEEDS:-1 2 3}
ARMS=${ARMS:-raw curated filtered}
THREADS=${THREADS:-2}
TRAIN_THREADS=${TRAIN_THREADS:-1}   # the arms train side by side, one thread each
DMODEL=${DMODEL:-128}
MICRO=16
CTX=128
# mix budget: the tokens of all steps (batch x context per step) plus 10% for the windows' overlap and slack
BUDGET=$(( STEPS * MICRO * CTX * 11 / 10 ))
mkdir -p "$C/runs"
timed() { # LOG COMMAND...: the command's output to LOG, its wall/CPU time and peak RSS to the terminal
  local log=$1; shift
  /usr/bin/time -o "$C/time.txt" -f "%e s wall, %U s user, %M KB peak" "$@" >"$log" 2>&1 || { tail -5 "$log"; return 1; }
  echo "  $(cat "$C/time.txt")"
}

table() {
  $PY bench/curation_table.py "$C" $ARMS
}
if [[ ${1:-all} == table ]]; then table; exit 0; fi

echo "== load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "== corpus (raw JSONL, held-out prose, next-sentence items)"
[ -f "$CD/next_sentence.jsonl" ] || $PY bench/curation_corpus.py "$CD" 1234 | tee "$C/corpus.json"

echo "== quality classifier (samples/quality), then the Track-2 English curation of the raw corpus"
timed "$C/quality.log" $DF quality train --positive samples/quality/positive.jsonl --negative samples/quality/negative.jsonl \
  --out "$C/quality.zip"
timed "$C/curate.log" $DF run bench/curation-track2-en.json --output "$C/curated" --workers "$THREADS" --overwrite
grep "documents in" "$C/curate.log"
if [[ " $ARMS " == *" filtered "* ]]; then
  echo "== the same curation without the quality top fraction (rules, dedup, length, quality score only)"
  $PY - bench/curation-track2-en.json "$C/track2-en-filters.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["name"] += "-filters"
p["stages"] = [s for s in p["stages"] if s["type"] != "quality_filter"]
json.dump(p, open(sys.argv[2], "w"), indent=1)
PY
  timed "$C/filter.log" $DF run "$C/track2-en-filters.json" --output "$C/filtered" --workers "$THREADS" --overwrite
  grep "documents in" "$C/filter.log"
fi

echo "== tokenizer (byte-level BPE 8192, trained on the raw corpus, which contains the curated one)"
timed "$C/tokenizer.log" $DF tokenizer train --input "$CD/raw.jsonl" --vocab-size 8192 --out "$C/tokenizer" --threads "$THREADS" \
  --overwrite

echo "== mixes: one phase of $BUDGET tokens per arm, at most 4 epochs of any document"
for arm in $ARMS; do
  case $arm in raw) src=$CD/raw.jsonl ;; curated) src=$C/curated ;; filtered) src=$C/filtered ;; esac
  cat > "$C/mix-$arm.json" <<JSON
{ "\$schema": "../../../schemas/mix.schema.json", "name": "curation-$arm", "seed": 42,
  "tokenizer": "$C/tokenizer", "output": "$C/tokens-$arm", "format": "nanogpt", "val_fraction": 0.05,
  "on_shortfall": "fail",
  "sources": [ { "name": "$arm", "path": "$src", "max_epochs": 4 } ],
  "phases": [ { "name": "main", "tokens": $BUDGET, "weights": { "$arm": 1.0 } } ] }
JSON
  timed "$C/mix-$arm.log" $DF mix "$C/mix-$arm.json" --threads "$THREADS" --overwrite
  $PY -c "import json,sys; r=json.load(open(sys.argv[1])); s=r['sources'][0]; p=r['phases'][0]; e=p['entries'][0]
print(f\"  $arm: available {s['available_tokens']:,} tokens in {s['available_documents']:,} documents; phase {p['realised_tokens']:,} tokens ({e['epochs']:.2f} epochs)\")" \
    "$C/tokens-$arm/mix_report.json"
done

echo "== train and evaluate: $STEPS steps x $MICRO x $CTX tokens; arms side by side ($TRAIN_THREADS thread each); seeds: $SEEDS"
arm_run() { # arm seed
  local arm=$1 seed=$2 run=$C/runs/$1-s$2
  [ -f "$run/eval/eval.json" ] && { echo "  $arm seed $seed: done before"; return; }
  # a run whose training finished (final/ written) is only evaluated again
  cat > "$C/train-$arm-s$seed.json" <<JSON
{ "\$schema": "../../../schemas/train.schema.json", "name": "$arm-s$seed", "output": "$run", "seed": $seed,
  "steps": $STEPS, "threads": $TRAIN_THREADS, "precision": "fp32",
  "model": { "context_length": $CTX, "n_layers": 4, "d_model": $DMODEL, "n_heads": 4, "mlp": "swiglu", "norm": "rmsnorm",
             "attention_dropout": 0.0, "hidden_dropout": 0.0, "tie_embeddings": true },
  "optimizer": { "lr": 0.003, "min_lr": 0.0003, "betas": [0.9, 0.95], "weight_decay": 0.1, "grad_clip": 1.0 },
  "schedule": { "type": "wsd", "warmup_steps": $(( STEPS / 20 )), "decay_start": $(( STEPS * 8 / 10 )), "decay": "cosine" },
  "batch": { "micro_batch": $MICRO },
  "phases": [ { "name": "main", "sources": [ { "path": "$C/tokens-$arm/main", "max_epochs": 4 } ] } ],
  "eval": { "every": 0, "batches": 8, "log_every": 10, "checkpoint_every": 0, "sample_prompts": [] } }
JSON
  [ -f "$run/final/model.safetensors" ] || /usr/bin/time -o "$C/time-train-$arm-s$seed.txt" -f "%e s wall, %U s user, %M KB peak" \
    $DF train "$C/train-$arm-s$seed.json" --overwrite >"$C/train-$arm-s$seed.log" 2>&1
  /usr/bin/time -o "$C/time-eval-$arm-s$seed.txt" -f "%e s wall, %U s user, %M KB peak" \
    $DF eval --model "$run/final" --tasks bench/curation-tasks.json --threads "$TRAIN_THREADS" >"$C/eval-$arm-s$seed.log" 2>&1
  echo "  $arm seed $seed: train $(cat "$C/time-train-$arm-s$seed.txt"); eval $(cat "$C/time-eval-$arm-s$seed.txt")"
}
for seed in $SEEDS; do
  echo "  seed $seed: start, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for arm in $ARMS; do arm_run "$arm" "$seed" & done
  wait
done

echo "== report: $C/runs/report.html"
$DF report "$C/runs" >"$C/report.log" 2>&1 || { tail -5 "$C/report.log"; exit 1; }
tail -1 "$C/report.log"
table
