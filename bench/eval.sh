#!/usr/bin/env bash
# Multiple-choice scoring throughput: `dataforge eval` (TorchSharp, batched log-likelihoods) vs a PyTorch script
# (bench/eval_torch.py) scoring the same token sequences in the same batches with the same weights, fp32, 2 threads.
# Model: the bench config of bench/train.sh (vocab 8192, context 256, 4 layers, d_model 256, 4 heads, GELU, RMSNorm,
# tied embeddings), trained for STEPS steps with `dataforge train` on real English text tokenized by a BPE-8192 tokenizer
# that `dataforge tokenizer train` learns from the same text. Items: 500 next-sentence items from held-out text
# (bench/eval_items.py). tokens/s = input tokens of all scored sequences (padding excluded) / the scoring time:
# the task's seconds in eval.json (model loading excluded), and the PyTorch loop's wall time. PyTorch runs twice per
# repetition: as lm-evaluation-harness scores (log_softmax over every position's logits) and with --scored-rows
# (only the scored positions through the output projection, as DataForge's Scorer does).
#   bench/eval.sh [REPS] [STEPS]     STEPS (12) training steps; REPS (3) runs of each side, alternating under the CPU lock; median of each
#   BEFORE=DIR bench/eval.sh         also times the dataforge.dll in DIR (a copy of an earlier build) in each repetition
# Needs Debian python3-torch with libopenblas0-openmp, python3-numpy, and linux-doc-6.1 perl-doc python3.11-doc
# postgresql-doc-15 (the text, bench/english_text.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
PY=/usr/bin/python3
REPS=${1:-3}
STEPS=${2:-12}
E=$DATA/eval
LOCK="flock /tmp/df-cpu.lock"
mkdir -p "$E"
TRAIN=$DATA/english-docs-train.txt
HELD=$DATA/english-docs-heldout.txt
[ -f "$TRAIN" ] || $PY bench/english_text.py "$TRAIN" "$HELD"

# 1. tokenizer, tokens, model (kept between runs)
[ -f "$E/bpe8192/dataforge_tokenizer.json" ] || $DF tokenizer train --input "$TRAIN" --vocab-size 8192 --out "$E/bpe8192" --threads 2 >"$E/bpe8192.log" 2>&1
[ -f "$E/train-docs.jsonl" ] || $PY bench/eval_items.py docs "$TRAIN" "$E/train-docs.jsonl"
if [ ! -f "$E/tokens/main/tokens.json" ]; then
  cat > "$E/mix.json" <<JSON
{ "name": "eval-bench", "seed": 42, "tokenizer": "$PWD/$E/bpe8192", "output": "$PWD/$E/tokens", "format": "nanogpt",
  "val_fraction": 0.01, "sources": [{ "name": "docs", "path": "$PWD/$E/train-docs.jsonl", "max_epochs": 1 }],
  "phases": [{ "name": "main", "tokens": 2000000, "weights": { "docs": 1.0 } }] }
JSON
  $DF mix "$E/mix.json" >/dev/null
fi
RUN=$E/run-$STEPS
if [ ! -f "$RUN/final/model.safetensors" ]; then
  rm -rf "$RUN"
  cat > "$E/train-$STEPS.json" <<JSON
{
  "output": "$PWD/$RUN", "steps": $STEPS, "threads": 2, "precision": "fp32", "seed": 1234,
  "model": {"vocab_size": 8192, "context_length": 256, "n_layers": 4, "d_model": 256, "n_heads": 4, "mlp": "gelu",
            "norm": "rmsnorm", "attention_dropout": 0.1, "hidden_dropout": 0.1, "tie_embeddings": true},
  "optimizer": {"lr": 0.001, "min_lr": 0.0001, "weight_decay": 0.1, "grad_clip": 1.0},
  "schedule": {"type": "wsd", "warmup_steps": $((STEPS / 4)), "decay_start": $((STEPS * 8 / 10))},
  "batch": {"micro_batch": 16},
  "phases": [{"name": "main", "sources": [{"path": "$PWD/$E/tokens/main"}]}],
  "eval": {"every": 0, "batches": 8, "log_every": 10, "checkpoint_every": 0, "sample_prompts": []}
}
JSON
  $DF train "$E/train-$STEPS.json" >/dev/null
fi
MODEL=$RUN/final

# 2. items and the exact sequences DataForge scores (with its log-likelihoods)
[ -f "$E/TASKS.json" ] || $PY bench/eval_items.py items "$HELD" "$E" 500
$GEN choice-spans --model "$MODEL" --tasks "$E/TASKS.json" --out "$OUT/eval-spans.json"

# 3. REPS runs of each side, alternating, each under the CPU lock
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$REPS"); do
  for impl in dataforge ${BEFORE:+dataforge-before}; do
    dll=src/DataForge.Cli/bin/Release/net10.0/dataforge.dll
    [ "$impl" = dataforge ] || dll=$BEFORE/dataforge.dll
    $LOCK dotnet "$dll" eval --model "$MODEL" --tasks "$E/TASKS.json" --out "$OUT/eval-$impl-$r" >/dev/null 2>&1
    $PY - "$impl" "$OUT/eval-$impl-$r/eval.json" "$OUT/eval-spans.json" <<'PY'
import json, sys
ev, spans = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))[0]
t = next(t for t in ev["tasks"] if t["metric"] == "acc")
acc_norm = next(t for t in ev["tasks"] if t["metric"] == "acc_norm")["value"]
print(json.dumps({"impl": sys.argv[1], "items": t["n"], "sequences": len(spans["spans"]), "input_tokens": spans["input_tokens"],
                  "seconds": t["seconds"], "tokens_per_s": round(spans["input_tokens"] / t["seconds"], 1),
                  "acc": t["value"], "acc_norm": acc_norm, "load1": float(open("/proc/loadavg").read().split()[0])}))
PY
  done
  for rows in "" --scored-rows; do
    $LOCK $PY bench/eval_torch.py "$MODEL" "$OUT/eval-spans.json" --threads 2 $rows | \
      $PY -c "import json,sys; d=json.loads(sys.stdin.read()); d['load1']=float(open('/proc/loadavg').read().split()[0]); print(json.dumps(d))"
  done
done | tee "$OUT/eval-runs.jsonl"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# 4. medians and the ratio
$PY - "$OUT/eval-runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = lambda impl: statistics.median(r["tokens_per_s"] for r in runs if r["impl"] == impl)
pt = statistics.median(r["tokens_per_s"] for r in runs if r["impl"].startswith("pytorch") and "scored-rows" not in r["impl"])
ptr = statistics.median(r["tokens_per_s"] for r in runs if r["impl"].startswith("pytorch") and "scored-rows" in r["impl"])
out = {"dataforge_tokens_per_s": med("dataforge"), "pytorch_tokens_per_s": pt, "ratio": round(med("dataforge") / pt, 2),
       "pytorch_scored_rows_tokens_per_s": ptr, "ratio_scored_rows": round(med("dataforge") / ptr, 2)}
if any(r["impl"] == "dataforge-before" for r in runs):
    out["before_tokens_per_s"] = med("dataforge-before")
    out["before_ratio"] = round(med("dataforge-before") / pt, 2)
out["max_abs_logprob_diff"] = max(r["max_abs_diff"] for r in runs if "max_abs_diff" in r)
print(json.dumps(out))
PY
