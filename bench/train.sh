#!/usr/bin/env bash
# Training throughput and memory: DataForge (TorchSharp) vs a PyTorch script of the same model on the same
# tokens. Config: vocab 8192, context 256, 4 layers, d_model 256, 4 heads, MLP 4x GELU, dropout 0.1,
# batch 16, AdamW, 2 threads.
#   bench/train.sh speed [STEPS]     tokens/s and peak RSS: DataForge fp32, bf16; PyTorch fp32, autocast bf16
#   bench/train.sh quality [STEPS]   validation loss after STEPS (500) steps, DataForge fp32 vs bf16
#   bench/train.sh limits            fp32 / bf16 matmul GFLOP/s of both libtorch builds
#   bench/train.sh attention         attention fwd+bwd ms at the bench shape, and random-mask costs (libtorch 2.10)
# Needs Debian python3-torch and libopenblas0-openmp (the peer), python3-numpy, and for the token data (bench/train_tokens.py,
# real English from bench/english_text.py) linux-doc-6.1 perl-doc python3.11-doc postgresql-doc-15.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
PY=/usr/bin/python3
TOK=$DATA/train-tokens-docs
SEED=${SEED:-1234}   # SEED=4321 bench/train.sh quality: seed-to-seed spread
[ -f "$TOK/train.bin" ] || $PY bench/train_tokens.py "$TOK"

config() { # precision steps out [eval_every] [threads]
  cat > "$OUT/train-$1-$2-$SEED.json" <<JSON
{
  "output": "$3", "steps": $2, "threads": ${5:-2}, "precision": "$1", "seed": $SEED,
  "model": {"vocab_size": 8192, "context_length": 256, "n_layers": 4, "d_model": 256, "n_heads": 4, "mlp": "gelu",
            "norm": "rmsnorm", "attention_dropout": 0.1, "hidden_dropout": 0.1, "tie_embeddings": true},
  "optimizer": {"lr": 0.001, "min_lr": 0.0001, "weight_decay": 0.1, "grad_clip": 1.0},
  "schedule": {"type": "wsd", "warmup_steps": 0, "decay_start": $2},
  "batch": {"micro_batch": 16},
  "phases": [{"name": "main", "sources": [{"path": "$TOK"}]}],
  "eval": {"every": ${4:-0}, "batches": 8, "log_every": 1, "checkpoint_every": 0, "sample_prompts": []}
}
JSON
  echo "$OUT/train-$1-$2-$SEED.json"
}

dataforge() { # precision steps skip [eval_every] [threads]
  local run=$OUT/run-$1-$2-$SEED
  rm -rf "$run"
  local cfg; cfg=$(config "$1" "$2" "$run" "${4:-0}" "${5:-2}")
  /usr/bin/time -f "%M" -o "$OUT/rss-$1" $DF train "$cfg" >/dev/null 2>&1
  $PY - "$run/metrics.jsonl" "$3" "$1" "$(cat "$OUT/rss-$1")" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
skip = int(sys.argv[2])
# tokens/s over the steps after `skip` (each line is one step; tokens_per_s of a line = that step's rate)
t = sum(16 * 256 / l["tokens_per_s"] for l in lines[skip:] if "val_loss" not in l)
n = len([l for l in lines[skip:] if "val_loss" not in l])
print(json.dumps({"impl": "dataforge", "precision": sys.argv[3], "steps": len(lines), "tokens_per_s": round(n * 16 * 256 / t, 1),
                  "loss": lines[-1]["loss"], "val_loss": lines[-1].get("val_loss"), "peak_rss_mb": round(int(sys.argv[4]) / 1024)}))
PY
}

torchpeer() { # precision steps skip
  /usr/bin/time -f "%M" -o "$OUT/rss-torch-$1" $PY bench/train_torch.py "$TOK" --precision "$1" --steps "$2" --skip "$3" \
    | $PY -c "import json,sys; d=json.loads(sys.stdin.read()); d['peak_rss_mb']=round(int(open('$OUT/rss-torch-$1').read().split()[-1])/1024); print(json.dumps(d))"
}

case "${1:-speed}" in
  speed)
    S=${2:-23}
    for p in fp32 bf16; do dataforge $p "$S" 3; torchpeer $p "$S" 3; done ;;
  quality)
    # Longer than 10 minutes: run with `nice -n 5` outside the CPU lock, from a copy of the build so that
    # rebuilding meanwhile cannot touch the running binaries.
    S=${2:-500}
    rm -rf "$OUT/dataforge-bin" && cp -r src/DataForge.Cli/bin/Release/net10.0 "$OUT/dataforge-bin"
    DF="dotnet $OUT/dataforge-bin/dataforge.dll"
    # fp32 and bf16 side by side, one thread each, validation every 100 steps
    dataforge fp32 "$S" 3 100 1 > "$OUT/quality-fp32-$SEED.json" &
    dataforge bf16 "$S" 3 100 1 > "$OUT/quality-bf16-$SEED.json" &
    wait
    cat "$OUT/quality-fp32-$SEED.json" "$OUT/quality-bf16-$SEED.json"
    grep -h val_loss "$OUT/run-fp32-$S-$SEED/metrics.jsonl" "$OUT/run-bf16-$S-$SEED/metrics.jsonl" ;;
  attention)
    dotnet build -c Release bench/DataForge.TorchMatmul >/dev/null
    dotnet bench/DataForge.TorchMatmul/bin/Release/net10.0/dataforge-torch-matmul.dll attention 2
    dotnet bench/DataForge.TorchMatmul/bin/Release/net10.0/dataforge-torch-matmul.dll rng ;;
  limits)
    # fp32 and bf16 matmul limits of both libtorch builds (2048^3, 2 threads)
    dotnet build -c Release bench/DataForge.TorchMatmul >/dev/null
    dotnet bench/DataForge.TorchMatmul/bin/Release/net10.0/dataforge-torch-matmul.dll 2048 2
    $PY - <<'PY'
import json, time, torch
torch.set_num_threads(2)
for dt in (torch.float32, torch.bfloat16):
    a, b = torch.randn(2048, 2048).to(dt), torch.randn(2048, 2048).to(dt)
    a @ b
    t = time.perf_counter()
    for _ in range(5): a @ b
    print(json.dumps({"impl": "pytorch " + torch.__version__, "dtype": str(dt), "n": 2048, "gflops": round(5 * 2 * 2048**3 / (time.perf_counter() - t) / 1e9, 1)}))
PY
    ;;
esac
