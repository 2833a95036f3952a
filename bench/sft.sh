#!/usr/bin/env bash
# Supervised fine-tuning of the quickstart model on samples/instruct/sft-mini.jsonl (pipelines/sft-alpaca.json):
# wall time, validation loss on the held-out conversations, and greedy chat replies (generate --chat).
# Needs the quickstart model: run `dataforge run pipelines/quickstart.json` first (out/quickstart/run/final).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
[ -f out/quickstart/run/final/model.safetensors ] || { echo "run pipelines/quickstart.json first" >&2; exit 2; }
start=$(date +%s.%N)
$DF train pipelines/sft-alpaca.json --overwrite
echo "sft seconds: $(echo "$(date +%s.%N) - $start" | bc)"
grep val_loss out/quickstart/sft/metrics.jsonl
cat out/quickstart/sft/sft_data.json
cat out/quickstart/sft/samples.txt
for p in "What is the capital of Japan?" "日本的首都是哪里？" "Say goodbye." "Translate \"water\" into Chinese." "Give the opposite of \"fast\"."; do
  echo "### $p"
  $DF generate --model out/quickstart/sft/final --chat --prompt "$p" --temperature 0 --max-tokens 48
done
