#!/usr/bin/env python3
"""Train Anvil's reference FNN and CNN in PyTorch and print images/s as JSON.

The models follow Keras semantics so that the work matches Anvil's:
glorot-uniform kernels and zero biases, BatchNormalization with momentum
0.99 (PyTorch momentum 0.01) and epsilon 1e-3, LeakyReLU slope 0.3,
Dropout 0.5, Adam(lr=0.0005, eps=1e-7), categorical cross-entropy on the
softmax output (computed fused from logits, as Anvil's planner fuses it),
and TensorFlow's 'same' padding, which for the stride-2 3x3 convolutions
puts the extra row and column at the bottom and right (F.pad(x, (0,1,0,1))).

Timing mirrors Keras's fit: each epoch shuffles, each step gathers its
batch, runs forward, loss, backward and the Adam update, and accumulates
loss and accuracy on the device without synchronising. Images/s is images
over the wall time of the timed steps (after warm-up steps), the median
over --repeats; images per CPU second divide by the process CPU time
instead (all threads; OpenMP threads that spin while waiting count). Inference runs model.eval() under torch.inference_mode().

Two stronger training modes are measured too, each a fresh model:
- graph (CUDA only): the whole step, batch gather included (through a
  static index tensor), captured once in a CUDA graph and replayed, with
  Adam(capturable=True): PyTorch's record-once mode, one launch a step.
- compiled: torch.compile(model) where it works; a failure (no compiler
  toolchain, an unsupported op) is recorded as compile_error, not fatal.
The report records whether TF32 was allowed (cuDNN and matmul), since
TF32 changes both speed and results.

Usage: pytorch_compare.py [--models fnn,cnn] [--batches 32,128,512]
       [--seconds 1] [--repeats 3] [--device auto|cpu|cuda] [--threads N]
       [--data-dir DIR]
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR_RECORD = 1 + 32 * 32 * 3


def glorot(model):
    """Keras initialisation: glorot-uniform kernels, zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


class FNN(nn.Module):
    """Flatten -> Dense(200, relu) -> Dense(150, relu) -> Dense(10, softmax)."""

    def __init__(self):
        super().__init__()
        self.d1 = nn.Linear(3 * 32 * 32, 200)
        self.d2 = nn.Linear(200, 150)
        self.d3 = nn.Linear(150, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.d1(x))
        x = F.relu(self.d2(x))
        return self.d3(x)  # logits; softmax is fused into the loss


class ConvBlock(nn.Module):
    """Conv2D(3x3, same) -> BatchNormalization -> LeakyReLU(0.3)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        # stride 1: symmetric padding 1; stride 2 on an even size: TF pads
        # 0 before and 1 after, done by hand in forward.
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1 if stride == 1 else 0)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)

    def forward(self, x):
        if self.stride == 2:
            x = F.pad(x, (0, 1, 0, 1))
        return F.leaky_relu(self.bn(self.conv(x)), 0.3)


class CNN(nn.Module):
    """The tutorial's CNN: 592,554 parameters, 640 of them non-trainable."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(
            ConvBlock(3, 32, 1), ConvBlock(32, 32, 2), ConvBlock(32, 64, 1), ConvBlock(64, 64, 2))
        self.d1 = nn.Linear(8 * 8 * 64, 128)
        self.bn = nn.BatchNorm1d(128, eps=1e-3, momentum=0.01)
        self.drop = nn.Dropout(0.5)
        self.d2 = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.flatten(self.blocks(x), 1)
        x = self.drop(F.leaky_relu(self.bn(self.d1(x)), 0.3))
        return self.d2(x)


MODELS = {"fnn": FNN, "cnn": CNN}


def load_images(data_dir, n):
    """The first n CIFAR-10 training images (NCHW, 0..1), or random ones."""
    path = os.path.join(data_dir, "data_batch_1.bin") if data_dir else ""
    if path and os.path.exists(path):
        raw = np.fromfile(path, dtype=np.uint8, count=n * CIFAR_RECORD).reshape(-1, CIFAR_RECORD)
        x = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
        return torch.from_numpy(x), torch.from_numpy(raw[:, 0].astype(np.int64)), path
    g = torch.Generator().manual_seed(7)
    return torch.rand(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g), "synthetic"


def blas_library():
    """The BLAS this process loaded: Debian's torch takes whatever
    libblas.so.3 resolves to, the reference BLAS unless OpenBLAS is
    installed as the alternative or put first on LD_LIBRARY_PATH."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({os.path.realpath(line.split()[-1]) for line in f
                           if "blas" in os.path.basename(line.split()[-1])})
    except OSError:
        return ""
    openblas = [lib for lib in libs if "openblas" in os.path.basename(lib)]
    return (openblas or libs or [""])[0]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_steps(model, opt, x, y, batch, steps, device):
    """Runs steps training steps as Keras's fit does; returns wall and CPU
    seconds (process CPU time, all threads)."""
    model.train()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    order = torch.randperm(x.shape[0], device=device)
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    for s in range(steps):
        idx = order[(s * batch) % x.shape[0]:][:batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.detach() * batch
        correct += (logits.detach().argmax(1) == yb).sum()
    sync(device)
    return time.perf_counter() - start, time.process_time() - cpu


def graph_train_steps_factory(model, x, y, batch, device):
    """Captures one training step (gather, forward, loss, backward, Adam)
    in a CUDA graph; returns a run(steps) that replays it."""
    opt = torch.optim.Adam(model.parameters(), lr=0.0005, betas=(0.9, 0.999), eps=1e-7, capturable=True)
    model.train()
    idx = torch.arange(batch, device=device)
    loss_sum = torch.zeros((), device=device)

    def step():
        xb, yb = x[idx], y[idx]
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        loss_sum.add_(loss.detach() * batch)

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):  # warm-up on a side stream, as capture requires
            opt.zero_grad(set_to_none=False)
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=False)
    with torch.cuda.graph(graph):
        opt.zero_grad(set_to_none=False)
        step()

    def run(steps):
        order = torch.randperm(x.shape[0], device=device)
        sync(device)
        start, cpu = time.perf_counter(), time.process_time()
        for s in range(steps):
            lo = (s * batch) % (x.shape[0] - batch + 1)
            idx.copy_(order[lo:lo + batch])
            graph.replay()
        sync(device)
        return time.perf_counter() - start, time.process_time() - cpu
    return run


def strong_modes(name, batch, x, y, args, device, max_steps):
    """Measures the CUDA-graph and torch.compile training modes; each
    failure is recorded in the result instead of stopping the run."""
    out = {}
    if device.type == "cuda":
        try:
            torch.manual_seed(1)
            model = glorot(MODELS[name]()).to(device)
            run = graph_train_steps_factory(model, x, y, batch, device)
            out["train_graph_images_per_s"] = measure(run, batch, args.seconds, args.repeats, max_steps)[0]
        except Exception as e:  # noqa: BLE001 - any capture failure is a result
            out["graph_error"] = f"{type(e).__name__}: {e}"[:300]
    if args.compile:
        try:
            torch.manual_seed(1)
            model = glorot(MODELS[name]()).to(device)
            opt = torch.optim.Adam(model.parameters(), lr=0.0005, betas=(0.9, 0.999), eps=1e-7)
            compiled = torch.compile(model)
            out["train_compiled_images_per_s"] = measure(
                lambda n: train_steps(compiled, opt, x, y, batch, n, device),
                batch, args.seconds, args.repeats, max_steps)[0]
        except Exception as e:  # noqa: BLE001 - torch.compile fails in many environment-specific ways
            out["compile_error"] = f"{type(e).__name__}: {e}"[:300]
    return out


def infer_steps(model, x, batch, steps, device):
    """Runs steps inference batches, keeping the probabilities; returns wall
    and CPU seconds."""
    model.eval()
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        for s in range(steps):
            lo = (s * batch) % x.shape[0]
            F.softmax(model(x[lo:lo + batch]), dim=1)
    sync(device)
    return time.perf_counter() - start, time.process_time() - cpu


def measure(run, batch, seconds, repeats, max_steps):
    """Warms up, sizes a timed run to about seconds; returns the median
    images per wall second, images per CPU second and the steps per run."""
    run(3)  # warm-up: oneDNN primitives, allocator caches
    per_step = run(2)[0] / 2
    steps = max(2, min(max_steps, round(seconds / max(per_step, 1e-9))))
    runs = sorted((run(steps) for _ in range(repeats)), key=lambda r: r[0])
    wall, cpu = runs[(len(runs) - 1) // 2]
    return steps * batch / wall, steps * batch / cpu if cpu > 0 else 0, steps


def bench(name, batch, x, y, args, device):
    torch.manual_seed(1)
    model = glorot(MODELS[name]()).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.0005, betas=(0.9, 0.999), eps=1e-7)
    max_steps = x.shape[0] // batch
    train, train_cpu, steps = measure(lambda n: train_steps(model, opt, x, y, batch, n, device),
                                      batch, args.seconds, args.repeats, max_steps)
    infer, infer_cpu, isteps = measure(lambda n: infer_steps(model, x, batch, n, device),
                                       batch, args.seconds, args.repeats, max_steps)
    result = {"model": name, "batch": batch, "train_images_per_s": train, "train_images_per_cpu_s": train_cpu,
              "train_steps": steps, "epoch_s": 50000 / train, "infer_images_per_s": infer,
              "infer_images_per_cpu_s": infer_cpu, "infer_steps": isteps,
              "params": sum(p.numel() for p in model.parameters())}
    result.update(strong_modes(name, batch, x, y, args, device, max_steps))
    return result


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="fnn,cnn")
    p.add_argument("--batches", default="32,128,512")
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--data-dir", default="")
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                   help="also measure training with torch.compile (--no-compile skips it)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    x, y, source = load_images(args.data_dir, args.images)
    x, y = x.to(device), y.to(device)
    results = []
    for name in args.models.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            results.append(bench(name, batch, x, y, args, device))
            print(f"pytorch: {name} batch {batch}: {results[-1]['train_images_per_s']:.0f} train images/s",
                  file=sys.stderr)
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    env = {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "LD_LIBRARY_PATH", "LD_PRELOAD") if k in os.environ}
    print(json.dumps({"torch": torch.__version__, "device": args.device, "device_name": dev_name,
                      "threads": torch.get_num_threads(), "blas": blas_library(), "env": env,
                      "tf32": {"cudnn": torch.backends.cudnn.allow_tf32,
                               "matmul": torch.backends.cuda.matmul.allow_tf32},
                      "data": source, "results": results}))


if __name__ == "__main__":
    main(sys.argv[1:])
