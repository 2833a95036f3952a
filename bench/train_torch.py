#!/usr/bin/env python3
"""PyTorch peer for bench/train.sh: the same decoder as DataForge's trainer (token embedding tied with the
output, RoPE, pre-norm RMSNorm blocks, causal attention with dropout, GELU MLP 4x, hidden dropout, nanoGPT
init, AdamW with decay on >= 2-D weights, grad clip 1.0) on the same token directory.
Usage: train_torch.py DATA_DIR --steps N [--precision fp32|bf16] [--threads 2] [--warmup-steps 3]
Prints one JSON line: tokens_per_s (after the first warmup steps), final loss, val_loss."""
import argparse, json, math, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

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


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(t, hd, theta=10000.0):
    inv = theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    f = torch.outer(torch.arange(t, dtype=torch.float64), inv)
    e = torch.cat([f, f], -1)
    return e.cos().float(), e.sin().float()


def rope(x, cos, sin):
    h = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., h:], x[..., :h]], -1) * sin


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(D), RMSNorm(D)
        self.q, self.k, self.v, self.o = (nn.Linear(D, D, bias=False) for _ in range(4))
        self.up, self.down = nn.Linear(D, 4 * D, bias=False), nn.Linear(4 * D, D, bias=False)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), 1), persistent=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        h = self.n1(x)
        q = self.q(h).view(b, t, H, D // H).transpose(1, 2)
        k = self.k(h).view(b, t, H, D // H).transpose(1, 2)
        v = self.v(h).view(b, t, H, D // H).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // H)) + self.mask[:t, :t]
        att = F.dropout(F.softmax(att.float(), -1).to(v.dtype), DROP, self.training)
        y = (att @ v).transpose(1, 2).reshape(b, t, D)
        x = x + F.dropout(self.o(y), DROP, self.training)
        x = x + F.dropout(self.down(F.gelu(self.up(self.n2(x)))), DROP, self.training)
        return x


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.norm = RMSNorm(D)
        cos, sin = rope_tables(T, D // H)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        for n, prm in self.named_parameters():
            if prm.dim() >= 2:
                std = 0.02 / math.sqrt(2 * L) if n.endswith(("o.weight", "down.weight")) else 0.02
                nn.init.normal_(prm, 0, std)

    def forward(self, idx, targets):
        x = self.emb(idx)
        for blk in self.blocks:
            x = blk(x, self.cos[: idx.shape[1]], self.sin[: idx.shape[1]])
        logits = F.linear(self.norm(x).to(x.dtype), self.emb.weight)
        return F.cross_entropy(logits.float().view(-1, V), targets.reshape(-1))


model = GPT()
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
