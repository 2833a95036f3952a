#!/usr/bin/env bash
# GGUF deployment: quality, size, memory and speed of a model in llama.cpp (LLamaSharp's bundled CPU build) as f32,
# f16, q8_0, q4_k_m and q4_0 GGUF files, next to DataForge's own TorchSharp inference of the same weights.
# Model: the model section of pipelines/pretrain-track2.json (4 x 256, SwiGLU, RMSNorm, qkv_bias -> qwen2, tied
# embeddings, context 256), trained for STEPS steps (micro-batch 16, no batch doubling, WSD) on the quickstart's
# token shards (out/quickstart/tokens, GPT-4-pattern BPE 4096); the full recipe needs the C4-scale mix.
# Evaluation: `dataforge eval` with pipelines/quickstart-tasks.json on every variant (the same tasks, items and
# scoring), --threads THREADS, one at a time under the CPU lock; size = the weights file, peak RSS = the eval
# process's high-water mark, prefill/decode tokens/s = eval.json's edge metrics (128-token prompt, 64 greedy tokens).
#   bench/gguf.sh [STEPS] [THREADS]     STEPS (30) training steps, THREADS (2)
#   MODEL=DIR bench/gguf.sh             the same measurements for an existing final/ directory (no training)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
STEPS=${1:-30}
THREADS=${2:-2}
G=$OUT/gguf
LOCK="flock /tmp/df-cpu.lock"
mkdir -p "$G"
[ -f out/quickstart/tokens/stable/tokens.json ] || $DF run pipelines/quickstart.json >"$G/quickstart.log" 2>&1

if [ -n "${MODEL:-}" ]; then
  FINAL=$MODEL
  STEPS=$(basename "$(dirname "$MODEL")")
  [ -f "$FINAL/model.safetensors" ] || { echo "MODEL=$MODEL: no model.safetensors" >&2; exit 2; }
else
  FINAL=$G/run-$STEPS/final
fi
RUN=$(dirname "$FINAL")
if [ -z "${MODEL:-}" ] && [ ! -f "$FINAL/model.safetensors" ]; then
  rm -rf "$RUN"
  /usr/bin/python3 - "$RUN" "$STEPS" "$THREADS" > "$G/train-$STEPS.json" <<'PY'
import json, sys
run, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = json.load(open("pipelines/pretrain-track2.json"))
src = lambda phase: {"path": f"out/quickstart/tokens/{phase}", "max_epochs": 1000}
cfg = {
    "output": run, "seed": base["seed"], "precision": base["precision"], "threads": threads, "steps": steps,
    "model": base["model"],
    "optimizer": base["optimizer"],
    "schedule": {"type": "wsd", "warmup_steps": steps // 10, "decay_start": steps * 9 // 10, "decay": "exponential", "half_life": max(1, steps // 50)},
    "batch": {"micro_batch": 16, "grad_accum": 1},
    "phases": [
        {"name": "stable", "until_step": steps * 9 // 10, "sources": [src("stable")]},
        {"name": "decay", "sources": [dict(src("stable"), weight=0.5), dict(src("decay"), weight=0.5)]},
    ],
    "eval": {"every": 0, "batches": 8, "log_every": 20, "checkpoint_every": 0, "sample_prompts": []},
}
print(json.dumps(cfg, indent=2))
PY
  $LOCK $DF train "$G/train-$STEPS.json" >"$G/train-$STEPS.log" 2>&1
fi

for t in f32 f16 q8_0 q4_k_m q4_0; do
  [ -f "$G/model-$STEPS-$t.gguf" ] || $DF export --model "$FINAL" --format gguf --type $t --out "$G/model-$STEPS-$t.gguf" --threads "$THREADS" 2>&1 | tee "$G/export-$t.log"
done

$LOCK $DF eval --model "$FINAL" --tasks pipelines/quickstart-tasks.json --threads "$THREADS" --out "$G/eval-$STEPS-torchsharp" >"$G/eval-torchsharp.log" 2>&1
for t in f32 f16 q8_0 q4_k_m q4_0; do
  $LOCK $DF eval --model "$G/model-$STEPS-$t.gguf" --tasks pipelines/quickstart-tasks.json --threads "$THREADS" --out "$G/eval-$STEPS-$t" >"$G/eval-$t.log" 2>&1
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 bench/gguf_table.py "$G/eval-$STEPS-torchsharp" "$G/eval-$STEPS-f32" "$G/eval-$STEPS-f16" "$G/eval-$STEPS-q8_0" "$G/eval-$STEPS-q4_k_m" "$G/eval-$STEPS-q4_0"
