#!/usr/bin/env bash
# nGPT vs GPT on the training bench's tokens (bench/train_tokens.py: real English, word-level vocabulary 8192):
# validation loss at 250, 500 and 1000 steps and tokens/s of each, both runs side by side with one thread each,
# same seed, same data order, bf16.
#   GPT:  the bench configuration of bench/train.sh (context 256, 4 layers, d_model 256, 4 heads, GELU MLP, RMSNorm,
#         dropout 0.1, tied embeddings, batch 16, AdamW lr 1e-3, weight decay 0.1, constant lr, no warmup).
#   nGPT: the same context, depth, width, heads, batch and lr; SwiGLU (hidden 704), no dropout, untied embeddings,
#         no weight decay and no warmup (the nGPT defaults).
#   bench/ngpt.sh [STEPS]   (default 1000; over 10 minutes: run it with `nice -n 5`)
#   NGPT_LR=0.004 ONLY=ngpt THREADS=2 bench/ngpt.sh   another nGPT learning rate alone (run directory named by the lr)
#   GPT_LR=0.004 ONLY=gpt THREADS=2 bench/ngpt.sh     the same for GPT
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
PY=/usr/bin/python3
TOK=$DATA/train-tokens-docs
S=${1:-1000}
SEED=${SEED:-1234}
NGPT_LR=${NGPT_LR:-0.001}
GPT_LR=${GPT_LR:-0.001}
THREADS=${THREADS:-1}
ONLY=${ONLY:-}
[ -f "$TOK/train.bin" ] || $PY bench/train_tokens.py "$TOK"
# A copy of the build, so that rebuilding meanwhile cannot touch the running binaries.
rm -rf "$OUT/ngpt-bin" && cp -r src/DataForge.Cli/bin/Release/net10.0 "$OUT/ngpt-bin"
DF="dotnet $OUT/ngpt-bin/dataforge.dll"

config() { # name model-json optimizer-json
  cat > "$OUT/ngpt-bench-$1.json" <<JSON
{
  "output": "$OUT/ngpt-bench-run-$1", "steps": $S, "threads": $THREADS, "precision": "bf16", "seed": $SEED,
  "model": $2,
  "optimizer": $3,
  "schedule": {"type": "wsd", "warmup_steps": 0, "decay_start": $S},
  "batch": {"micro_batch": 16},
  "phases": [{"name": "main", "sources": [{"path": "$TOK"}]}],
  "eval": {"every": 250, "batches": 8, "log_every": 1, "checkpoint_every": 0, "sample_prompts": []}
}
JSON
  echo "$OUT/ngpt-bench-$1.json"
}

GPT=gpt; [ "$GPT_LR" = 0.001 ] || GPT=gpt-lr$GPT_LR
gpt=$(config $GPT '{"vocab_size": 8192, "context_length": 256, "n_layers": 4, "d_model": 256, "n_heads": 4, "mlp": "gelu", "norm": "rmsnorm", "attention_dropout": 0.1, "hidden_dropout": 0.1, "tie_embeddings": true}' \
  '{"lr": '"$GPT_LR"', "min_lr": 0.0001, "weight_decay": 0.1, "grad_clip": 1.0}')
NGPT=ngpt; [ "$NGPT_LR" = 0.001 ] || NGPT=ngpt-lr$NGPT_LR
ngpt=$(config $NGPT '{"architecture": "ngpt", "vocab_size": 8192, "context_length": 256, "n_layers": 4, "d_model": 256, "n_heads": 4, "mlp": "swiglu", "tie_embeddings": false}' \
  '{"lr": '"$NGPT_LR"', "min_lr": 0.0001, "grad_clip": 1.0}')

[ "$ONLY" = ngpt ] || $DF train "$gpt" --overwrite >/dev/null 2>&1 &
[ "$ONLY" = gpt ] || $DF train "$ngpt" --overwrite >/dev/null 2>&1 &
wait

for name in $([ "$ONLY" = ngpt ] || echo $GPT) $([ "$ONLY" = gpt ] || echo $NGPT); do
  $PY - "$OUT/ngpt-bench-run-$name/metrics.jsonl" "$name" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
train = [l for l in lines[3:] if "val_loss" not in l]   # tokens/s of a line = that step's rate; skip 3 warm-up steps
t = sum(16 * 256 / l["tokens_per_s"] for l in train)
print(json.dumps({"model": sys.argv[2], "steps": lines[-1]["step"], "tokens_per_s": round(len(train) * 16 * 256 / t, 1),
                  "val_loss": {l["step"]: l["val_loss"] for l in lines if "val_loss" in l}, "final_train_loss": lines[-1]["loss"]}))
PY
done
