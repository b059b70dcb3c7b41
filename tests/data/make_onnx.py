#!/usr/bin/python3
"""Makes the ONNX and .npy test data of tests/compiler/import_test.cc with the real exporter.

Run from anywhere with Debian's python3 (torch 1.13, numpy): /usr/bin/python3 tests/data/make_onnx.py
It trains a 784-16-10 MLP of bias-free Linear layers briefly on MNIST *as a MIF network* (the
equations of bench/mif_torch.py, T=20, P=5), exports it with torch.onnx.export, and writes the
MIF network's logits for the first 8 MNIST test images computed in float64. docs/import.md.
"""
import argparse
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from mif_torch import MifLayer, load_mnist  # noqa: E402

STEPS, PERIOD = 20, 5
INPUT_GAIN, INTER_LAYER_SCALE, READOUT_SCALE = 0.1, 1e4, 100.0
HIDDEN = 16


def load_mnist_test(data_dir, count):
    with open(f"{data_dir}/mnist/t10k-images-idx3-ubyte", "rb") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        x = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows * cols)[:count]
    with open(f"{data_dir}/mnist/t10k-labels-idx1-ubyte", "rb") as f:
        f.read(8)
        y = np.frombuffer(f.read(), dtype=np.uint8)[:count]
    return x.astype(np.float32) / np.float32(255.0), y


class Mlp(torch.nn.Module):
    """The PyTorch model that gets exported: Flatten, Linear, Linear (no biases). No activation:
    on the chip the MIF neurons after every weight layer are the nonlinearity, and xbar refuses
    an exported activation."""

    def __init__(self, bias=False):
        super().__init__()
        self.flatten = torch.nn.Flatten()
        self.fc1 = torch.nn.Linear(784, HIDDEN, bias=bias)
        self.fc2 = torch.nn.Linear(HIDDEN, 10, bias=bias)

    def forward(self, x):
        return self.fc2(self.fc1(self.flatten(x)))


def mif_logits(x, w1, w2):
    """MIF network output (runtime/snn.h encoding); w1 is 784 x H, w2 is H x 10 (inputs x outputs)."""
    neuron = MifLayer()
    drive = INPUT_GAIN * x @ w1
    s1 = [t.to(x.dtype) for t in neuron.init(drive.shape)]
    s2 = [t.to(x.dtype) for t in neuron.init((x.shape[0], w2.shape[1]))]
    zero = torch.zeros_like(drive)
    vsum = 0
    for t in range(STEPS):
        s1 = neuron.step(s1, drive if t % PERIOD == 0 else zero)
        s2 = neuron.step(s2, s1[2] @ w2 / INTER_LAYER_SCALE)
        vsum = vsum + s2[2]
    return vsum / (STEPS * READOUT_SCALE)


def train(data_dir, samples, epochs):
    torch.manual_seed(7)
    x, y = load_mnist(data_dir, samples)
    w1 = torch.nn.Parameter(torch.randn(784, HIDDEN) / 784 ** 0.5)
    w2 = torch.nn.Parameter(torch.randn(HIDDEN, 10) / HIDDEN ** 0.5)
    opt = torch.optim.Adam([w1, w2], lr=5e-3)
    for _ in range(epochs):
        for b in range(0, samples, 64):
            loss = torch.nn.functional.cross_entropy(mif_logits(x[b:b + 64], w1, w2), y[b:b + 64])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([w1, w2], 1.0)
            opt.step()
    return w1.detach(), w2.detach()


def export(module, example, name):
    module.eval()
    torch.onnx.export(module, example, os.path.join(HERE, name), input_names=["image"],
                      output_names=["logits"], opset_version=14, do_constant_folding=True)


class Conv(torch.nn.Module):
    """A small convolutional net without bias (Conv, Flatten, MatMul): xbar imports it as 1x6x6-c2k3-4."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 2, 3, bias=False)
        self.fc = torch.nn.Linear(32, 4, bias=False)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv1(x), 1))


class NoChain(torch.nn.Module):
    """Two Linear layers whose shapes do not chain (8 outputs regrouped as 4 inputs)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 8, bias=False)
        self.fc2 = torch.nn.Linear(4, 3, bias=False)

    def forward(self, x):
        return self.fc2(self.fc1(x).view(-1, 4))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default=os.environ.get("XBAR_DATA", os.path.join(ROOT, "data")))
    p.add_argument("--samples", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(1)
    w1, w2 = train(args.data_dir, args.samples, args.epochs)

    mlp = Mlp()
    with torch.no_grad():
        mlp.fc1.weight.copy_(w1.T)  # nn.Linear stores outputs x inputs
        mlp.fc2.weight.copy_(w2.T)
    export(mlp, torch.zeros(1, 1, 28, 28), "mlp.onnx")  # MatMul nodes, weights inputs x outputs
    gemm = Mlp(bias=True)
    with torch.no_grad():
        gemm.fc1.weight.copy_(w1.T)
        gemm.fc2.weight.copy_(w2.T)
        gemm.fc1.bias.zero_()
        gemm.fc2.bias.zero_()
    export(gemm, torch.zeros(1, 1, 28, 28), "mlp_gemm.onnx")  # Gemm nodes, transB=1, zero bias
    np.save(os.path.join(HERE, "mlp_w1.npy"), w1.numpy().astype(np.float32))
    np.save(os.path.join(HERE, "mlp_w2.npy"), w2.numpy().astype(np.float64))

    x, _ = load_mnist_test(args.data_dir, 8)
    np.save(os.path.join(HERE, "mlp_inputs.npy"), x)
    torch.set_default_dtype(torch.float64)  # the reference in float64 throughout (x0 included)
    with torch.no_grad():
        logits = mif_logits(torch.from_numpy(x).double(), w1.double(), w2.double())
    np.save(os.path.join(HERE, "mlp_logits.npy"), logits.numpy())

    torch.set_default_dtype(torch.float32)
    torch.manual_seed(3)
    export(Conv(), torch.zeros(1, 1, 6, 6), "conv.onnx")
    biased = torch.nn.Linear(6, 4, bias=True)  # default init: non-zero bias
    export(biased, torch.zeros(1, 6), "bias.onnx")
    export(NoChain(), torch.zeros(1, 6), "nochain.onnx")
    xt, yt = load_mnist_test(args.data_dir, 1000)
    with torch.no_grad():
        full = mif_logits(torch.from_numpy(xt).double(), w1.double(), w2.double())
    accuracy = float((full.argmax(1).numpy() == yt).mean())
    print(f"MIF 784-{HIDDEN}-10, T={STEPS} P={PERIOD}: {100 * accuracy:.1f} % on the first 1000 "
          "MNIST test images")


if __name__ == "__main__":
    main()
