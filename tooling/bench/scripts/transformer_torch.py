"""PyTorch's side of the bench's transformer item: one training step of apps/char-gpt's GPT.

Usage: /usr/bin/python3 transformer_torch.py DIR   (the bench runs it; Debian's python3-torch)

DIR holds manifest.json and one raw little-endian file per array, written by the bench
(src/work/transformer/torch.ts): the shapes, AdamW's settings, the thread count, the timing
policy, the initial weights under the app's state-dict names (Linear weights [out, in]) and the
token batches (inputs and next-token targets, int32 [batch, block]).

The model is the app's (nanoGPT's GPT with bias=False): token + position embeddings, pre-norm
blocks (LayerNorm -> causal self-attention from one c_attn Linear to 3E, softmax(q k^T / sqrt(d))
with the future masked, c_proj -> residual; LayerNorm -> c_fc to 4E -> exact GELU -> c_proj ->
residual), a final LayerNorm, logits tied to the token embedding. torch 1.13 has no
LayerNorm(bias=False): each bias is a frozen zero. One step, timed like the bench's repeat():
zero_grad(set_to_none), forward, mean cross-entropy, backward, clip_grad_norm_, AdamW (two groups:
weight decay on tensors of rank >= 2, as the app's decayGroups), loss.item(). One warm-up step,
then steps until maxRuns, or until budgetSeconds after minRuns; a warm-up over soloSeconds is the
only sample. Prints one JSON object: torch version, threads, timed seconds, every step's loss.
"""
import json
import math
import os
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F


def load(d, entry, dtype):
    with open(os.path.join(d, entry["file"]), "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=dtype).reshape(entry["shape"]).clone()


def layer_norm(E):
    ln = nn.LayerNorm(E)
    ln.bias.requires_grad_(False)
    return ln


class Attention(nn.Module):
    def __init__(self, E, H, T):
        super().__init__()
        self.c_attn = nn.Linear(E, 3 * E, bias=False)
        self.c_proj = nn.Linear(E, E, bias=False)
        self.H = H
        self.register_buffer("future", torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1), persistent=False)

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = (t.view(B, T, self.H, E // self.H).transpose(1, 2) for t in self.c_attn(x).split(E, dim=2))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
        att = F.softmax(att.masked_fill(self.future[:T, :T], float("-inf")), dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, E))


class Mlp(nn.Module):
    def __init__(self, E):
        super().__init__()
        self.c_fc = nn.Linear(E, 4 * E, bias=False)
        self.c_proj = nn.Linear(4 * E, E, bias=False)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, E, H, T):
        super().__init__()
        self.ln_1 = layer_norm(E)
        self.attn = Attention(E, H, T)
        self.ln_2 = layer_norm(E)
        self.mlp = Mlp(E)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, V, T, L, H, E):
        super().__init__()
        self.wte = nn.Embedding(V, E)
        self.wpe = nn.Embedding(T, E)
        self.h = nn.ModuleList([Block(E, H, T) for _ in range(L)])
        self.ln_f = layer_norm(E)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    torch.set_num_threads(m["threads"])
    torch.set_num_interop_threads(1)
    s, a = m["shape"], m["adamw"]
    model = GPT(s["vocab"], s["blockSize"], s["nLayer"], s["nHead"], s["nEmbd"])
    w = {e["name"]: load(d, e, torch.float32) for e in m["weights"]}
    missing, unexpected = model.load_state_dict(w, strict=False)
    # Only the frozen LayerNorm biases may be left out (they stay zero).
    if unexpected or any(not k.endswith(".bias") for k in missing):
        raise SystemExit(f"weights do not match the model: missing {missing}, unexpected {unexpected}")
    for k in missing:
        model.get_parameter(k).data.zero_()
    xs = [load(d, e, torch.int32).long() for e in m["x"]]
    ys = [load(d, e, torch.int32).long() for e in m["y"]]
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": a["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=a["lr"], betas=tuple(a["betas"]), eps=a["eps"],
    )
    losses = []
    k = [0]

    def step():
        i = k[0] % len(xs)
        k[0] += 1
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(xs[i], ys[i])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a["clip"])
        opt.step()
        value = loss.item()
        t1 = time.perf_counter()
        losses.append(value)
        return t1 - t0

    p = m["policy"]
    warm = step()
    seconds = []
    warmup_only = p.get("soloSeconds") is not None and warm > p["soloSeconds"]
    if warmup_only:
        seconds = [warm]
    else:
        spent = 0.0
        while len(seconds) < p["maxRuns"] and (len(seconds) < p["minRuns"] or spent < p["budgetSeconds"]):
            t = step()
            seconds.append(t)
            spent += t
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "warmupOnly": warmup_only,
        "losses": losses,
    }))


if __name__ == "__main__":
    main()
