#!/usr/bin/env python3
"""PyTorch peer for bench/eval.sh: scores the token sequences that `dataforge eval` scores (exported by
`dataforge-bench choice-spans`) with DataForge's own weights (model.safetensors, read directly) in the mirrored
model (bench/gpt_torch.py), in the same batches, padded on the right the same way, under torch.no_grad(), as
lm-evaluation-harness does it: logits of the whole batch, log_softmax over the vocabulary, the targets' entries at
the continuation's positions summed. --scored-rows does what DataForge's Scorer does instead: only the scored
positions' hidden states go through the output projection and log_softmax. Checks each sequence's log-likelihood
against DataForge's.
Usage: eval_torch.py MODEL_DIR SPANS.json [--threads 2] [--scored-rows]
Prints one JSON line: tokens_per_s (input tokens of all sequences / seconds of the scoring loop), max_abs_diff."""
import argparse, json, os, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_torch import GPT, dataforge_names  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("spans")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--scored-rows", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)


def safetensors(path):
    """name -> tensor: 8-byte little-endian header length, JSON header (dtype, shape, data_offsets), raw data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        if t["dtype"] == "F32":
            arr = np.frombuffer(data[b:e], dtype="<f4")
        elif t["dtype"] == "BF16":
            arr = (np.frombuffer(data[b:e], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"{path}: {name}: dtype {t['dtype']} not supported")
        out[name] = torch.from_numpy(arr.copy()).view(t["shape"])
    return out


cfg = json.load(open(os.path.join(a.model, "config.json")))
o = cfg["dataforge"]
for k, want in (("mlp", "gelu"), ("norm", "rmsnorm"), ("tie_embeddings", True), ("qkv_bias", False), ("qk_norm", False)):
    if o.get(k, want) != want:
        raise SystemExit(f"config.json: {k} = {o.get(k)}; the mirrored model has {want}")
L = o["n_layers"]
model = GPT(cfg["vocab_size"], o["context_length"], L, o["d_model"], o["n_heads"], 0.0, o.get("norm_eps", 1e-5), o.get("rope_theta", 10000.0))
weights = safetensors(os.path.join(a.model, "model.safetensors"))
names = dataforge_names(L)
state = {names[k]: v for k, v in weights.items()}
missing = set(dict(model.named_parameters())) - set(state)
if missing or len(state) != len(weights):
    raise SystemExit(f"weights do not match the model: missing {sorted(missing)}, {len(weights)} tensors in the file")
model.load_state_dict(state, strict=False)
model.eval()

task = json.load(open(a.spans))[0]
spans = task["spans"]
batches = task["batches"]
ours = [0.0] * len(spans)

t0 = time.perf_counter()
with torch.no_grad():
    for idx in batches:
        n = max(len(spans[i]["input"]) for i in idx)
        ids = torch.zeros(len(idx), n, dtype=torch.long)
        for b, i in enumerate(idx):
            ids[b, : len(spans[i]["input"])] = torch.tensor(spans[i]["input"])
        if a.scored_rows:
            rows = [b * n + j for b, i in enumerate(idx) for j in range(spans[i]["from"], len(spans[i]["input"]))]
            tgt = torch.tensor([t for i in idx for t in spans[i]["targets"][spans[i]["from"]:]], dtype=torch.long)
            h = model.hidden(ids).reshape(-1, model.emb.weight.shape[1])[torch.tensor(rows, dtype=torch.long)]
            lp = F.log_softmax(F.linear(h, model.emb.weight).float(), -1).gather(1, tgt[:, None])[:, 0].double().tolist()
            r = 0
            for i in idx:
                k = max(0, len(spans[i]["input"]) - spans[i]["from"])
                ours[i] = sum(lp[r: r + k])
                r += k
            continue
        logp = F.log_softmax(model.logits(ids).float(), -1)
        for b, i in enumerate(idx):
            s = spans[i]
            k = len(s["input"]) - s["from"]
            if k <= 0:
                continue
            tgt = torch.tensor(s["targets"][s["from"]:], dtype=torch.long)
            ours[i] = logp[b, s["from"]: s["from"] + k].gather(1, tgt[:, None]).double().sum().item()
seconds = time.perf_counter() - t0

diff = max(abs(x - s["logprob"]) for x, s in zip(ours, spans))
# accuracy from these scores, as dataforge eval computes it
right, at = 0, 0
for c, g in zip(task["choices"], task["gold"]):
    s = ours[at: at + c]
    at += c
    right += int(max(range(c), key=lambda j: (s[j], -j)) == g)
print(json.dumps({"impl": "pytorch " + torch.__version__ + (" scored-rows" if a.scored_rows else ""), "items": task["items"], "sequences": len(spans),
                  "input_tokens": task["input_tokens"], "seconds": round(seconds, 3),
                  "tokens_per_s": round(task["input_tokens"] / seconds, 1), "acc": right / task["items"],
                  "max_abs_diff": diff}))
