"""PyTorch reference for apps/name-generator: the same model trained on the same batches.

Usage (from the repository root, after `pnpm install`):
    /usr/bin/python3 tooling/bench/scripts/name_generator_torch.py [--epochs 8] [--batch-size 64] [--seed 0]

Restates the app's rules exactly (apps/name-generator/src/data.ts):
- names: both @stdlib first-name lists, lower-cased, deduplicated, sorted (8,422);
  every 10th of the sorted list (index % 10 == 9) is validation (842), the rest train (7,580);
- vocabulary: '.' (id 0, start and end) then the names' characters in code-point order (28);
- batch order: Fisher-Yates with j = mulberry32() % (i + 1), one generator seeded with --seed
  that carries on from epoch to epoch; consecutive batches, the last one smaller;
- a name is input '.'+name, target name+'.'; padded targets are ignored (-100).
The model and its training are the app's defaults: Embedding(28, 32) -> GRU(32, 128, batch_first)
-> Linear(128, 28), PyTorch's default initialisation (torch.manual_seed(--seed): the values differ
from tsdl's, the distributions are the same), Adam lr 3e-3, gradient norm clipped to 1,
cross-entropy averaged over the real targets of a batch. The GRU runs over the padded batch
without packing: a forward GRU's outputs at a sequence's real steps do not depend on the
padding after them, and the padded steps' losses are ignored, so the loss and gradients equal
the app's (which passes `lengths`). Prints each epoch's train and validation loss (nats per
character) and the final validation loss.
"""
import argparse
import json
import math
import os
import time

import torch
from torch import nn

M32 = 0xFFFFFFFF
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PACKAGES = ["female", "male"]


def names_file(sex):
    pkg = f"datasets-{sex}-first-names-en"
    path = os.path.join(ROOT, "packages", "data-text", "node_modules", "@stdlib", pkg, "data", "names.json")
    if not os.path.exists(path):
        raise SystemExit(f"{path}: not found; run `npx -y pnpm@9.15.9 install` at the repository root")
    return path


def load_names():
    names = set()
    for sex in PACKAGES:
        with open(names_file(sex), encoding="utf-8") as f:
            names.update(n.lower() for n in json.load(f))
    return sorted(names)


def mulberry32(seed):
    state = [seed & M32]

    def imul(a, b):
        return (a * b) & M32

    def next_u32():
        a = state[0] = (state[0] + 0x6D2B79F5) & M32
        t = imul(a ^ (a >> 15), 1 | a)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & M32) ^ t
        return (t ^ (t >> 14)) & M32

    return next_u32


def shuffled_order(n, next_u32):
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = next_u32() % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def encode_batch(names, ids):
    steps = max(len(n) for n in names) + 1
    x = torch.zeros(len(names), steps, dtype=torch.long)
    y = torch.full((len(names), steps), -100, dtype=torch.long)
    for b, name in enumerate(names):
        enc = [ids[c] for c in name]
        x[b, 1 : len(enc) + 1] = torch.tensor(enc, dtype=torch.long)
        y[b, : len(enc)] = torch.tensor(enc, dtype=torch.long)
        y[b, len(enc)] = 0
    return x, y, sum(len(n) + 1 for n in names)


class NameModel(nn.Module):
    def __init__(self, vocab, embedding=32, hidden=128, layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embedding)
        self.gru = nn.GRU(embedding, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.gru(self.embed(x))
        return self.head(out).reshape(-1, self.head.out_features)


def validation_loss(model, names, ids, batch_size=512):
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(names), batch_size):
            x, y, n = encode_batch(names[i : i + batch_size], ids)
            total += nn.functional.cross_entropy(model(x), y.reshape(-1), ignore_index=-100, reduction="sum").item()
            tokens += n
    model.train()
    return total / tokens


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--embedding", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)

    names = load_names()
    chars = ["."] + sorted(set("".join(names)))
    ids = {c: i for i, c in enumerate(chars)}
    train = [n for i, n in enumerate(names) if i % 10 != 9]
    val = [n for i, n in enumerate(names) if i % 10 == 9]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads: {len(train)} train / {len(val)} val names, "
        f"vocabulary {len(chars)}; GRU {a.hidden}, embedding {a.embedding}, {a.layers} layer(s), batch {a.batch_size}, "
        f"Adam lr {a.lr}, clip {a.clip}, {a.epochs} epochs, seed {a.seed}"
    )

    model = NameModel(len(chars), a.embedding, a.hidden, a.layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    next_u32 = mulberry32(a.seed)
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        loss_sum, tokens, steps = 0.0, 0, 0
        order = shuffled_order(len(train), next_u32)
        for i in range(0, len(order), a.batch_size):
            x, y, n = encode_batch([train[k] for k in order[i : i + a.batch_size]], ids)
            loss = nn.functional.cross_entropy(model(x), y.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            loss_sum += loss.item() * n
            tokens += n
            steps += 1
        seconds = time.perf_counter() - t0
        val_loss = validation_loss(model, val, ids)
        print(f"epoch {epoch + 1}/{a.epochs}: train loss {loss_sum / tokens:.4f}, val loss {val_loss:.4f}, {steps} steps, {seconds:.1f}s")
    print(f"final val loss {val_loss:.4f} nats/char (uniform ln {len(chars)} = {math.log(len(chars)):.4f})")


if __name__ == "__main__":
    main()
