#!/usr/bin/env bash
# Fidelity check of the English word tokenizer: compares DataForge's words and sentence counts with a
# Python port of spaCy's tokenizer algorithm that runs spaCy's own rules (bench/spacy_tokenizer_ref.py).
# Usage: bench/tokenizer-fidelity.sh SPACY_SOURCE_DIR FILE.jsonl [FILE.jsonl ...]
#   SPACY_SOURCE_DIR: a checkout of github.com/explosion/spaCy; FILE: JSON strings or objects with "text".
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/tokenizer-fidelity.sh SPACY_SOURCE_DIR FILE.jsonl [FILE.jsonl ...]" >&2; exit 2; }
SPACY=$1; shift
source bench/common.sh
python3 bench/spacy_tokenizer_ref.py "$SPACY" bench/DataForge.Bench/bin/Release/net10.0/dataforge-bench.dll "$@"
