#!/usr/bin/env python3
"""PyTorch peer for bench/train.sh: the same decoder as DataForge's trainer (bench/gpt_torch.py: token embedding
tied with the output, RoPE, pre-norm RMSNorm blocks, causal attention with dropout, GELU MLP 4x, hidden dropout,
nanoGPT init; AdamW with decay on >= 2-D weights, grad clip 1.0) on the same token directory.
Usage: train_torch.py DATA_DIR --steps N [--precision fp32|bf16] [--threads 2] [--warmup-steps 3]
Prints one JSON line: tokens_per_s (after the first warmup steps), final loss, val_loss."""
import argparse, json, os, sys, time
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_torch import GPT  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("--steps", type=int, default=30)
p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--skip", type=int, default=3, help="steps excluded from the tokens/s figure")
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--eval-batches", type=int, default=8)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1234)

V, T, L, D, H, B, DROP = 8192, 256, 4, 256, 4, 16, 0.1
train = np.memmap(os.path.join(a.data, "train.bin"), dtype="<u2", mode="r")
val = np.memmap(os.path.join(a.data, "val.bin"), dtype="<u2", mode="r")


model = GPT(V, T, L, D, H, DROP)
decay = [p_ for p_ in model.parameters() if p_.dim() >= 2]
nodecay = [p_ for p_ in model.parameters() if p_.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}],
                        lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
rng = np.random.default_rng(1234)


def batch(arr, starts):
    x = np.stack([arr[s: s + T + 1].astype(np.int64) for s in starts])
    t = torch.from_numpy(x)
    return t[:, :-1], t[:, 1:]


def ctx():
    return torch.autocast("cpu", dtype=torch.bfloat16) if a.precision == "bf16" else torch.autocast("cpu", enabled=False)


model.train()
t0 = None
for step in range(1, a.steps + 1):
    if step == a.skip + 1:
        t0 = time.perf_counter()
    x, y = batch(train, rng.integers(0, len(train) - T - 1, B))
    with ctx():
        loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
elapsed = time.perf_counter() - t0
tps = (a.steps - a.skip) * B * T / elapsed

model.eval()
with torch.no_grad(), ctx():
    n = (len(val) - 1) // T
    vl = [model(*batch(val, [(i * B + r) % n * T for r in range(B)])).item() for i in range(a.eval_batches)]
print(json.dumps({"impl": "pytorch " + torch.__version__, "precision": a.precision, "steps": a.steps,
                  "tokens_per_s": round(tps, 1), "loss": round(loss.item(), 4), "val_loss": round(sum(vl) / len(vl), 4)}))
