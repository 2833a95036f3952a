#!/usr/bin/env bash
# Benchmark: byte-level BPE training (vocab 8192) against SentencePiece's BPE trainer
# (Debian `sentencepiece`, spm_train --model_type=bpe) on the same English text, tokens per
# character on held-out text, encoding throughput (trained tokenizer and o200k_base), and mixing
# throughput. Corpus: Debian documentation packages (see bench/english_text.py).
# Usage: bench/tokenizer.sh [data|train|spm|quality|encode|mix|all]   (default all)
# Needs: apt-get install sentencepiece linux-doc-6.1 perl-doc python3.11-doc postgresql-doc-15
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
source bench/common.sh
TRAIN="$DATA/english-docs-train.txt"
HELD="$DATA/english-docs-heldout.txt"
timed() { /usr/bin/time -o "$OUT/time.txt" -f "%e s wall, %U s user, %M KB peak" "$@"; cat "$OUT/time.txt"; }

if [[ $WHAT == data || $WHAT == all || ! -f $TRAIN ]]; then
  [ -f "$TRAIN" ] || python3 bench/english_text.py "$TRAIN" "$HELD"
  echo "corpus: $TRAIN $(($(stat -c %s "$TRAIN") / 1000000)) MB, held-out $HELD $(($(stat -c %s "$HELD") / 1000000)) MB"
fi

if [[ $WHAT == train || $WHAT == all ]]; then
  echo "== DataForge: tokenizer train --vocab-size 8192 (2 threads)"
  timed $DF tokenizer train --input "$TRAIN" --vocab-size 8192 --out "$OUT/bpe8192" --threads 2 2>"$OUT/bpe8192.log"
  tail -1 "$OUT/bpe8192.log"
fi

if [[ $WHAT == spm || $WHAT == all ]]; then
  echo "== SentencePiece: spm_train --model_type=bpe --vocab_size=8192 (2 threads)"
  timed spm_train --input="$TRAIN" --model_prefix="$OUT/spm8192" --vocab_size=8192 --model_type=bpe \
    --num_threads=2 --input_sentence_size=0 --max_sentence_length=100000 --minloglevel=1 >"$OUT/spm8192.log" 2>&1 \
    || { tail -5 "$OUT/spm8192.log"; exit 1; }
  grep -E "^[0-9.]+ s wall" "$OUT/spm8192.log" || tail -1 "$OUT/spm8192.log"
fi

if [[ $WHAT == quality || $WHAT == all ]]; then
  echo "== tokens per character on held-out text, line by line (newlines not counted)"
  $DF tokenizer count -t "$OUT/bpe8192" -i "$HELD" --by-line --threads 1
  $DF tokenizer count -t "$OUT/spm8192.model" -i "$HELD" --by-line --threads 1
  $DF tokenizer count -t o200k_base -i "$HELD" --by-line --threads 1
  grep -v '^$' "$HELD" | spm_encode --model="$OUT/spm8192.model" --output_format=id | wc -w | sed 's/^/spm_encode tokens: /'
  grep -v '^$' "$HELD" | python3 -c "import sys; print('held-out chars (non-empty lines, no newline):', sum(len(l.rstrip('\n')) for l in sys.stdin))"
fi

if [[ $WHAT == encode || $WHAT == all ]]; then
  echo "== encode throughput on the training text (whole text in ~1 MB blocks)"
  for tok in "$OUT/bpe8192" o200k_base; do
    for th in 1 2; do $DF tokenizer count -t "$tok" -i "$TRAIN" --threads $th; done
  done
  echo "spm_encode (1 thread, line by line):"
  timed sh -c "grep -v '^\$' '$TRAIN' | spm_encode --model='$OUT/spm8192.model' --output_format=id | wc -l"
fi

if [[ $WHAT == mix || $WHAT == all ]]; then
  echo "== mixing throughput: two sources (kernel docs / other manuals) as JSONL, 2 phases"
  python3 - "$TRAIN" "$DATA/mix-src" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
docs = [d for d in (x.strip() for x in open(src, encoding="utf-8").read().split("\n\n")) if len(d) > 200]
with open(f"{out}/a.jsonl", "w") as a, open(f"{out}/b.jsonl", "w") as b:
    for i, d in enumerate(docs):
        (a if i % 3 else b).write(json.dumps({"id": f"d{i}", "text": d}) + "\n")
print(f"{len(docs)} documents", file=sys.stderr)
PY
  cat > "$OUT/bench-mix.json" <<JSON
{ "name": "bench-mix", "seed": 1, "tokenizer": "o200k_base", "output": "$OUT/mix", "val_fraction": 0.005,
  "sources": [ { "name": "a", "path": "$DATA/mix-src/a.jsonl", "max_epochs": 2 }, { "name": "b", "path": "$DATA/mix-src/b.jsonl", "max_epochs": 3 } ],
  "phases": [ { "name": "stable", "tokens": 12000000, "weights": { "a": 0.6, "b": 0.4 } },
              { "name": "decay", "tokens": 1500000, "weights": { "a": 0.3, "b": 0.7 } } ] }
JSON
  timed $DF mix "$OUT/bench-mix.json" --threads 2 --overwrite 2>"$OUT/mix.log"
  cat "$OUT/mix.log"
  python3 -c "import json;r=json.load(open('$OUT/mix/mix_report.json'));[print(p['name'],p['realised_tokens'],[(e['source'],e['weight'],e['realised_weight']) for e in p['entries']]) for p in r['phases']]"
fi
