#!/usr/bin/env bash
# Generation speed with and without the KV cache: decode tokens/s of Generator.Generate (greedy, 32-token prompt,
# 512 generated tokens, 2 threads) on a randomly initialised model. Default config: vocab 8192, context 1024,
# 6 layers, d_model 384, 6 heads, MLP 4x GELU, RMSNorm, tied embeddings (13.8M parameters), fp32.
#   bench/generate.sh [fp32|bf16] [extra options]   e.g. bench/generate.sh fp32 --repeats 3 --threads 1
#   (options: --vocab --context --layers --d-model --heads --mlp --norm --prompt --tokens --threads --repeats)
# Runs under the shared CPU lock.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/DataForge.GenerateBench >/dev/null
flock /tmp/df-cpu.lock dotnet bench/DataForge.GenerateBench/bin/Release/net10.0/dataforge-generate-bench.dll \
  --precision "${1:-fp32}" --prompt 32 --tokens 512 --threads 2 "${@:2}"
