"""The PyTorch mirror of DataForge's GptModel (src/DataForge.Training/GptModel.cs) at the bench configuration:
token embedding tied with the output, RoPE, pre-norm RMSNorm blocks, causal attention with dropout, GELU MLP 4x,
hidden dropout, nanoGPT init. Used by bench/train_torch.py (training) and bench/eval_torch.py (scoring a
DataForge model.safetensors, whose Hugging Face names `load_dataforge` maps onto this module)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


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
    def __init__(self, T, D, H, drop, eps):
        super().__init__()
        self.H, self.drop = H, drop
        self.n1, self.n2 = RMSNorm(D, eps), RMSNorm(D, eps)
        self.q, self.k, self.v, self.o = (nn.Linear(D, D, bias=False) for _ in range(4))
        self.up, self.down = nn.Linear(D, 4 * D, bias=False), nn.Linear(4 * D, D, bias=False)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), 1), persistent=False)

    def forward(self, x, cos, sin):
        b, t, D = x.shape
        H, DROP = self.H, self.drop
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
    def __init__(self, V=8192, T=256, L=4, D=256, H=4, drop=0.1, eps=1e-5, theta=10000.0):
        super().__init__()
        self.V = V
        self.emb = nn.Embedding(V, D)
        self.blocks = nn.ModuleList(Block(T, D, H, drop, eps) for _ in range(L))
        self.norm = RMSNorm(D, eps)
        cos, sin = rope_tables(T, D // H, theta)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        for n, prm in self.named_parameters():
            if prm.dim() >= 2:
                std = 0.02 / math.sqrt(2 * L) if n.endswith(("o.weight", "down.weight")) else 0.02
                nn.init.normal_(prm, 0, std)

    def hidden(self, idx):
        """The final normalised hidden states [B, T, D]."""
        x = self.emb(idx)
        for blk in self.blocks:
            x = blk(x, self.cos[: idx.shape[1]], self.sin[: idx.shape[1]])
        return self.norm(x).to(x.dtype)

    def logits(self, idx):
        return F.linear(self.hidden(idx), self.emb.weight)

    def forward(self, idx, targets):
        logits = self.logits(idx)
        return F.cross_entropy(logits.float().view(-1, self.V), targets.reshape(-1))


# DataForge (Hugging Face Llama) tensor names -> this module's parameter names
def dataforge_names(L):
    m = {"model.embed_tokens.weight": "emb.weight", "model.norm.weight": "norm.weight"}
    for i in range(L):
        p = f"model.layers.{i}."
        m[p + "input_layernorm.weight"] = f"blocks.{i}.n1.weight"
        m[p + "post_attention_layernorm.weight"] = f"blocks.{i}.n2.weight"
        for x in "qkvo":
            m[p + f"self_attn.{x}_proj.weight"] = f"blocks.{i}.{x}.weight"
        m[p + "mlp.up_proj.weight"] = f"blocks.{i}.up.weight"
        m[p + "mlp.down_proj.weight"] = f"blocks.{i}.down.weight"
    return m
