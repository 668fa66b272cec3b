"""Replays Anvil's FNN training run in PyTorch with Keras's Adam update.

Usage: python3 crosscheck.py DIR   (DIR written by `go run ./bench/crosscheck`)

Gradients come from PyTorch autograd; the update is Keras's Adam
(alpha = lr*sqrt(1-b2^t)/(1-b1^t); p -= alpha*m/(sqrt(v)+eps)), not
torch.optim.Adam, whose epsilon sits inside the bias correction and so
trains a slightly different model. Prints the loss and accuracy of the
epoch and the largest and RMS weight differences against Anvil's.
"""
import os
import sys

import numpy as np
import torch

SIZES = [(3072, 200), (200,), (200, 150), (150,), (150, 10), (10,)]


def load_weights(path):
    flat = np.fromfile(path, dtype=np.float32)
    out, off = [], 0
    for shape in SIZES:
        n = int(np.prod(shape))
        out.append(torch.tensor(flat[off:off + n].reshape(shape)))
        off += n
    return out


def main(folder):
    run = dict(line.split(" ", 1) for line in open(os.path.join(folder, "run.txt")).read().splitlines())
    n = 32 * int(run["steps"])
    raw = np.fromfile(os.path.join(run["data"], "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)[:n]
    labels = torch.tensor(raw[:, 0].astype(np.int64))
    x = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float32) / np.float32(255)
    x = torch.tensor(x.reshape(n, -1))
    w = [p.clone().requires_grad_(True) for p in load_weights(os.path.join(folder, "w0.bin"))]
    ms = [torch.zeros_like(p) for p in w]
    vs = [torch.zeros_like(p) for p in w]
    total, correct = 0.0, 0
    for t, s in enumerate(range(0, n, 32), start=1):
        xb, yb = x[s:s + 32], labels[s:s + 32]
        h = torch.relu(xb @ w[0] + w[1])
        h = torch.relu(h @ w[2] + w[3])
        logits = h @ w[4] + w[5]
        loss = torch.nn.functional.cross_entropy(logits, yb)
        for p in w:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            alpha = float(0.0005 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t))
            for p, m, v in zip(w, ms, vs):
                m += (p.grad - m) * (1 - 0.9)
                v += (p.grad ** 2 - v) * (1 - 0.999)
                p -= (m * alpha) / (v.sqrt() + 1e-7)
        total += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
    print(f"anvil:   loss {float(run['loss']):.7f} accuracy {float(run['accuracy']):.5f}")
    print(f"pytorch: loss {total / n:.7f} accuracy {correct / n:.5f}")
    for name, a, b in zip(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"],
                          w, load_weights(os.path.join(folder, "w1.bin"))):
        d = (a.detach() - b).abs()
        print(f"{name:15s} max |diff| {d.max().item():.3g}  rms {d.pow(2).mean().sqrt().item():.3g}  mean |w| {b.abs().mean().item():.3g}")


if __name__ == "__main__":
    main(sys.argv[1])
