"""Replays an Anvil training run in PyTorch autograd with Keras 3's rules.

Usage: python3 replay.py DIR

DIR (written by oracle_test.go) holds meta.json (the model, the steps, the
batch size, the learning rate and the weight names and shapes in Keras
order), x.bin and y.bin (the samples and targets, float32; step s trains on
samples s*batch .. (s+1)*batch-1), w0.bin (the initial weights, float32 in
Keras order) and, for models with dropout, u.bin (per step and Dropout
call, the uniform numbers Anvil drew; an element is kept when u >= rate,
Keras's rule). It writes torch.json: the loss of each step and the final
weights in Keras order.

Every constant below is Keras's documented default, written here from
Keras 3's documentation (keras.io/api), never read from Anvil's code or
outputs: that is what lets this replay catch a wrong constant or a
lowering bug in Anvil. Gradients come from PyTorch autograd; the layers are
written out with torch primitives so that each Keras definition is visible.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

# keras.optimizers.Adam: beta_1=0.9, beta_2=0.999, epsilon=1e-7, and the
# update of Keras 3's Adam.update_step:
#   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
#   m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2)
#   var -= m * alpha / (sqrt(v) + epsilon)
# (epsilon outside the bias correction, unlike torch.optim.Adam).
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-7
# keras.layers.BatchNormalization: momentum=0.99, epsilon=1e-3;
# moving_mean = moving_mean * momentum + mean * (1 - momentum), the same for
# moving_variance; outputs normalised by sqrt(batch variance + epsilon).
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3
# keras.layers.LeakyReLU: negative_slope=0.3.
LEAKY_RELU_SLOPE = 0.3
# keras.config.epsilon(), the fuzz factor losses clip probabilities with.
KERAS_EPSILON = 1e-7


def same_pad(x, kh, kw, stride):
    """TensorFlow's "same" padding of an NCHW tensor: ceil(in/stride)
    outputs; when the total padding is odd the extra row (column) goes at
    the bottom (right)."""
    pads = []
    for size, k in ((x.shape[2], kh), (x.shape[3], kw)):
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom))


def conv2d(x, p, name, stride=1, padding="valid"):
    """keras.layers.Conv2D on NCHW x; the kernel is Keras's [kh, kw, in, out]."""
    k = p[name + "/kernel"]
    if padding == "same":
        x = same_pad(x, k.shape[0], k.shape[1], stride)
    return F.conv2d(x, k.permute(3, 2, 0, 1), p.get(name + "/bias"), stride=stride)


def dense(x, p, name):
    y = x @ p[name + "/kernel"]
    return y + p[name + "/bias"] if name + "/bias" in p else y


def batch_norm(x, p, name):
    """keras.layers.BatchNormalization in training mode over channel axis 1.
    The moving variance takes the unbiased batch variance for images and
    the biased one for vectors: tf.keras feeds 4-D inputs to TensorFlow's
    fused batch norm, which applies Bessel's correction to the variance it
    averages, and 2-D inputs to tf.nn.moments, which does not (Anvil
    documents that it follows this)."""
    dims = [0] if x.dim() == 2 else [0, 2, 3]
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(dims)
    var = x.var(dims, unbiased=False)
    y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + BN_EPSILON)
    y = y * p[name + "/gamma"].view(shape) + p[name + "/beta"].view(shape)
    with torch.no_grad():
        n = x.numel() // x.shape[1]
        moving_var = var * n / (n - 1) if x.dim() == 4 else var
        mm, mv = p[name + "/moving_mean"], p[name + "/moving_variance"]
        mm.copy_(mm * BN_MOMENTUM + mean * (1 - BN_MOMENTUM))
        mv.copy_(mv * BN_MOMENTUM + moving_var * (1 - BN_MOMENTUM))
    return y


def leaky_relu(x):
    return torch.where(x > 0, x, x * LEAKY_RELU_SLOPE)


def dropout(x, u, rate):
    """keras.layers.Dropout in training: keep where the uniform draw is >=
    rate, scale the kept values by 1/(1 - rate)."""
    keep = (u.view(x.shape) >= rate).to(x.dtype)
    return x * keep / (1 - rate)


def flatten_nhwc(x):
    """Keras flattens channels-last images: back to NHWC first."""
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def softmax_crossentropy(logits, y):
    """categorical_crossentropy of a softmax output: Keras computes it from
    the softmax's logits (from_logits), unclipped; mean over the batch."""
    return -(y * torch.log_softmax(logits, dim=1)).sum(1).mean()


def binary_crossentropy(prob, y):
    """keras.losses.binary_crossentropy on probabilities:
    -(y log(clip(p) + eps) + (1 - y) log(1 - clip(p) + eps)), clip to
    [eps, 1 - eps], mean over the last axis, then over the batch."""
    eps = KERAS_EPSILON
    c = prob.clamp(eps, 1 - eps)
    return -(y * torch.log(c + eps) + (1 - y) * torch.log(1 - c + eps)).mean(1).mean()


def fnn(p, x, y, u):
    h = flatten_nhwc(x)
    h = torch.relu(dense(h, p, "dense"))
    h = torch.relu(dense(h, p, "dense_1"))
    return softmax_crossentropy(dense(h, p, "dense_2"), y)


def simple_cnn(p, x, y, u):
    h = conv2d(x, p, "conv2d", stride=2, padding="same")
    h = conv2d(h, p, "conv2d_1", stride=2, padding="same")
    return softmax_crossentropy(dense(flatten_nhwc(h), p, "dense"), y)  # compiled from_logits


def cnn(p, x, y, u):
    h = x
    for i, stride in enumerate([1, 2, 1, 2]):
        suffix = "" if i == 0 else "_%d" % i
        h = conv2d(h, p, "conv2d" + suffix, stride=stride, padding="same")
        h = leaky_relu(batch_norm(h, p, "batch_normalization" + suffix))
    h = dense(flatten_nhwc(h), p, "dense")
    h = leaky_relu(batch_norm(h, p, "batch_normalization_4"))
    h = dropout(h, u[0], 0.5)
    return softmax_crossentropy(dense(h, p, "dense_1"), y)


def shared(p, x, y, u):
    """The model oracle_test.go builds: Conv2D, BatchNormalization, Dense
    and the sigmoid head each called on two branches."""
    def branch(z):
        z = conv2d(z, p, "shared_conv", stride=2, padding="same")
        return flatten_nhwc(leaky_relu(batch_norm(z, p, "shared_bn")))
    a = branch(x)
    b = branch(conv2d(x, p, "pre"))
    ha = dropout(torch.relu(dense(a, p, "shared_dense")), u[0], 0.2)
    hb = torch.relu(dense(b, p, "shared_dense"))
    out = torch.cat([torch.sigmoid(dense(ha, p, "head")), torch.sigmoid(dense(hb, p, "head"))], dim=1)
    return binary_crossentropy(out, y)


MODELS = {"fnn": fnn, "simple-cnn": simple_cnn, "cnn": cnn, "shared": shared}


def adam_update(w, g, m, v, lr, t):
    alpha = lr * np.sqrt(1 - ADAM_BETA_2 ** t) / (1 - ADAM_BETA_1 ** t)
    m += (g - m) * (1 - ADAM_BETA_1)
    v += (g * g - v) * (1 - ADAM_BETA_2)
    w -= (m * float(alpha)) / (torch.sqrt(v) + ADAM_EPSILON)


def load(folder, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(folder, name), dtype="<f4").reshape(shape).copy())


def main(folder):
    torch.manual_seed(0)  # nothing here is random; this only pins torch
    meta = json.load(open(os.path.join(folder, "meta.json")))
    steps, batch, lr = meta["steps"], meta["batch"], meta["learning_rate"]
    x = load(folder, "x.bin", [steps * batch] + meta["input"]).permute(0, 3, 1, 2).contiguous()
    y = load(folder, "y.bin", [steps * batch, meta["targets"]])
    flat = load(folder, "w0.bin", [-1])
    p, off = {}, 0
    for w in meta["weights"]:
        n = int(np.prod(w["shape"]))
        p[w["name"]] = flat[off:off + n].reshape(w["shape"]).clone().requires_grad_(w["trainable"])
        off += n
    sizes = meta["dropout_sizes"]
    u_all = load(folder, "u.bin", [steps, batch * sum(sizes)]) if sizes else None
    pinned = meta["pinned"] or []
    pin_sizes = [p[k].numel() for k in pinned]
    pin_all = load(folder, "pinned.bin", [steps, sum(pin_sizes)]) if pinned else None
    trainable = [w["name"] for w in meta["weights"] if w["trainable"]]
    slots = {k: (torch.zeros_like(p[k]), torch.zeros_like(p[k])) for k in trainable}
    losses = []
    for s in range(steps):
        u = []
        if u_all is not None:
            off = 0
            for size in sizes:
                u.append(u_all[s, off:off + batch * size])
                off += batch * size
        rows = slice(s * batch, (s + 1) * batch)
        loss = MODELS[meta["model"]](p, x[rows], y[rows], u)
        for k in trainable:
            p[k].grad = None
        loss.backward()
        with torch.no_grad():
            for k in trainable:
                adam_update(p[k], p[k].grad, slots[k][0], slots[k][1], lr, s + 1)
            off = 0
            for k, n in zip(pinned, pin_sizes):
                # A bias whose exact gradient is zero (it feeds batch
                # normalisation): its value is float32 noise in any
                # implementation, so the replay adopts Anvil's.
                p[k].copy_(pin_all[s, off:off + n].view(p[k].shape))
                off += n
        losses.append(float(loss.item()))
    out = {"losses": losses, "weights": [p[w["name"]].detach().reshape(-1).tolist() for w in meta["weights"]]}
    json.dump(out, open(os.path.join(folder, "torch.json"), "w"))


if __name__ == "__main__":
    main(sys.argv[1])
