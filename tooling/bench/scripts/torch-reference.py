"""PyTorch (CUDA) on the same work as `node bench.mjs --device gpu`, for the GPU table's reference column.

Run on the lent GPU machine by gpu-run.sh: python3 torch-reference.py [MNIST_DIR]. Prints Markdown rows.
- matmul: float32 square, TF32 off (true fp32, as WebGPU computes); median over runs of 10 products,
  (a) synced with torch.cuda.synchronize (the usual PyTorch figure), and (b) reading the last product
  back to the host (what the JS harness does on WebGPU: its read-back is amortised over 10 products).
- MLP: Linear 784-128, ReLU, Dropout 0.2, Linear 128-10, cross-entropy on logits, Adam (lr 1e-3,
  eps 1e-7); real MNIST training set (unshuffled) resident on the GPU; an epoch timed with one sync
  at its end, as tsdl's model.fit does; the step is the epoch over its batches.
"""
import gzip
import os
import statistics
import sys
import time

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}, TF32 off")


def matmul_rows():
    for n in (1024, 2048, 4096):
        g = torch.Generator(device="cpu").manual_seed(n)
        a = (torch.rand(n, n, generator=g) * 2 - 1).to(dev)
        b = (torch.rand(n, n, generator=g) * 2 - 1).to(dev)
        reps = 10
        for mode in ("sync", "read"):
            times = []
            for run in range(8):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(reps):
                    c = a @ b
                if mode == "sync":
                    torch.cuda.synchronize()
                else:
                    c.cpu()
                dt = (time.perf_counter() - t0) / reps
                if run > 0:  # the first run is the warm-up
                    times.append(dt)
            t = statistics.median(times)
            what = "cuda.synchronize" if mode == "sync" else "last product read back"
            print(f"| f32 matmul n={n} ({what}) | {t * 1e3:.3g} ms | {2 * n**3 / t / 1e12:.3g} TFLOP/s |")


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    return torch.frombuffer(bytearray(data[4 + 4 * rank :]), dtype=torch.uint8).reshape(dims)


def find(dir_, name):
    for f in (name, name + ".gz"):
        p = os.path.join(dir_, f)
        if os.path.exists(p):
            return p
    return None


def mlp_rows(data_dir):
    xi, yi = find(data_dir, "train-images-idx3-ubyte"), find(data_dir, "train-labels-idx1-ubyte")
    if xi is None or yi is None:
        print(f"| MLP | no MNIST files in {data_dir} | |")
        return
    x = (read_idx(xi).float() / 255).reshape(-1, 784).to(dev)
    y = read_idx(yi).long().to(dev)
    n = x.shape[0]
    for batch in (32, 128):
        torch.manual_seed(1)
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(128, 10)
        ).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        loss_fn = torch.nn.CrossEntropyLoss()

        def epoch(limit=n):
            total = torch.zeros((), device=dev)
            for s in range(0, limit, batch):
                xb, yb = x[s : s + batch], y[s : s + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                total += loss.detach() * xb.shape[0]
            return (total / limit).item()  # the one sync, as fit reads its loss sum once

        epoch(20 * batch)  # warm-up: CUDA kernels, allocator
        t0 = time.perf_counter()
        loss = epoch()
        dt = time.perf_counter() - t0
        steps = -(-n // batch)
        print(f"| MNIST MLP epoch, batch {batch} | {dt:.3g} s | loss {loss:.4f} |")
        print(f"| MNIST MLP train step, batch {batch} (mean) | {dt / steps * 1e3:.3g} ms | |")


print("| work | PyTorch CUDA | |")
print("|---|---|---|")
matmul_rows()
mlp_rows(sys.argv[1] if len(sys.argv) > 1 else "mnist")
