"""PyTorch (CPU) on the bench's LSTM item: Embedding -> LSTM -> Linear(1) train steps.

Run by tooling/bench (src/work/lstm/torch.ts) as a subprocess with Debian's python3-torch:
    /usr/bin/python3 tooling/bench/scripts/lstm_torch.py DIR
DIR holds manifest.json and one raw little-endian file per array, written by the bench:
the shapes, the thread count, the timing policy, the initial weights in Keras' layout and
order (embeddings [vocab, embed]; LSTM kernel [embed, 4u], recurrent kernel [u, 4u], bias [4u],
gates i, f, c, o, which is PyTorch's i, f, g, o; Dense kernel [u, 1], bias [1]) and the token
batches [batch, seq] (int32) with their 0/1 targets [batch] (float32).

The model is what a PyTorch user writes: nn.Embedding, nn.LSTM(batch_first=True), nn.Linear on
the last hidden state, BCEWithLogitsLoss (the sigmoid folded in, as tsdl's Keras folds it),
Adam with Keras' defaults (lr 1e-3, eps 1e-7: eps is added to sqrt(v_hat) in both). The weights
are copied in transposed; nn.LSTM's second bias (bias_hh) is held at zero and not trained, so
the model is Keras' function exactly and the losses can be compared step for step. A step is
zero_grad, forward, loss, backward, Adam step and reading the loss (loss.item()), like
trainOnBatch. Timing follows the bench's repeat(): one warm-up step, then steps until maxRuns,
or until budgetSeconds after minRuns; a warm-up over soloSeconds is the only sample.

Prints one JSON object on stdout: torch version, threads, the timed seconds, every step's loss
in order (the first from the initial weights), and, with "profile", each phase's seconds.
"""
import json
import os
import sys
import time

import torch
from torch import nn


def load(d, entry, dtype):
    with open(os.path.join(d, entry["file"]), "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=dtype).reshape(entry["shape"]).clone()


class Net(nn.Module):
    def __init__(self, vocab, embed, units):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, units, batch_first=True)
        self.dense = nn.Linear(units, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embedding(x))
        return self.dense(h[-1])  # logits [batch, 1]


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    torch.set_num_threads(m["threads"])
    torch.set_num_interop_threads(1)
    s = m["shape"]
    w = {e["name"]: load(d, e, torch.float32) for e in m["weights"]}
    xs = [load(d, e, torch.int32).long() for e in m["tokens"]]
    ys = [load(d, e, torch.float32).reshape(-1, 1) for e in m["labels"]]

    net = Net(s["vocab"], s["embed"], s["units"])
    with torch.no_grad():
        net.embedding.weight.copy_(w["embedding/embeddings"])
        net.lstm.weight_ih_l0.copy_(w["lstm/kernel"].t())
        net.lstm.weight_hh_l0.copy_(w["lstm/recurrent_kernel"].t())
        net.lstm.bias_ih_l0.copy_(w["lstm/bias"])
        net.lstm.bias_hh_l0.zero_()
        net.dense.weight.copy_(w["dense/kernel"].t())
        net.dense.bias.copy_(w["dense/bias"])
    net.lstm.bias_hh_l0.requires_grad_(False)
    net.train()
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    k = [0]

    def batch():
        i = k[0] % len(xs)
        k[0] += 1
        return xs[i], ys[i]

    def step():
        x, y = batch()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        return time.perf_counter() - t0

    def phases():
        x, y = batch()
        t0 = time.perf_counter()
        loss = loss_fn(net(x), y)
        losses.append(loss.item())
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad()
        t3 = time.perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1, "optimizer": t3 - t2}

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
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "warmupOnly": warmup_only,
        "losses": losses[:],
    }
    if m.get("profileSteps", 0) > 0:
        runs = [phases() for _ in range(m["profileSteps"])]
        out["phases"] = {name: [r[name] for r in runs] for name in ("forward", "backward", "optimizer")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
