#!/usr/bin/python3
"""Reference: the same MIF network written plainly in PyTorch (autograd BPTT), for bench/train.

Same equations as device_models/mif_neuron.h (implicit membrane update), same encoding and layer
semantics as runtime/snn.h and runtime/layer_ops.h, Adam, cross-entropy on time-mean output
voltage. Prints one JSON line. --arch takes xbar's network descriptions (compiler/layer_shape.h);
--check BENCH compares this forward pass with xbar's (bench/train_bench --dump) on the same weights.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_mnist(data_dir, count):
    with open(f"{data_dir}/mnist/train-images-idx3-ubyte", "rb") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        x = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows * cols)[:count]
    with open(f"{data_dir}/mnist/train-labels-idx1-ubyte", "rb") as f:
        f.read(8)
        y = np.frombuffer(f.read(), dtype=np.uint8)[:count]
    return torch.tensor(x, dtype=torch.float32) / 255.0, torch.tensor(y, dtype=torch.long)


class MifLayer:
    """Memristive integrate-and-fire neurons, published defaults (DESIGN.md section 5)."""

    def __init__(self):
        self.g_on, self.g_off = 1 / 1e3, 1 / 1e5
        self.v_on, self.v_off, self.k = 110.0, 5.0, 15.0
        self.tau, self.tau_a, self.e1, self.e2, self.c, self.x0 = 100.0, 100.0, 0.0, 50.0, 1e-4, 0.0238

    def init(self, shape):
        z = torch.zeros(shape)
        return [z, z, z, torch.full(shape, self.x0), torch.full(shape, self.x0)]

    def step(self, state, u):
        a, i, v, x1, x2 = state
        a = a - a / self.tau_a + u
        i = i + (a - i) / self.tau_a
        g1 = x1 * self.g_on + (1 - x1) * self.g_off
        g2 = x2 * self.g_on + (1 - x2) * self.g_off
        v = (v + (i + g1 * self.e1 + g2 * self.e2) / self.c) / (1 + (g1 + g2) / self.c)
        x1 = x1 + ((1 - x1) * torch.sigmoid((v - self.e1 - self.v_on) / self.k)
                   - x1 * torch.sigmoid((self.v_off - (v - self.e1)) / self.k)) / self.tau
        x2 = x2 + ((1 - x2) * torch.sigmoid((v - self.e2 - self.v_on) / self.k)
                   - x2 * torch.sigmoid((self.v_off - (v - self.e2)) / self.k)) / self.tau
        return [a, i, v, x1, x2]


def parse_arch(text, classes=10):
    """xbar's network description for 1x28x28 images (compiler::ParseArchitecture, no limits):
    a list of layer dicts, each with the pooling in front of it and its output shape (c, h, w)."""
    layers, shape, pool = [], (1, 28, 28), None
    for token in text.split("-"):
        m = re.fullmatch(r"([as])(\d+)", token)
        if m:
            pool = ("average" if m[1] == "a" else "sum", int(m[2]))
            continue
        if token == "f":
            continue
        layer = {"pool": pool, "source": shape}
        c, h, w = shape
        if pool:
            c, h, w = c, h // pool[1], w // pool[1]
        m = re.fullmatch(r"c(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?(b?)", token)
        if m:
            k, s, p = int(m[2]), int(m[3] or 1), int(m[4] or 0)
            layer.update(kind="conv", out=int(m[1]), kernel=k, stride=s, padding=p, bias=m[5] == "b",
                         fan_in=c * k * k)
            shape = (int(m[1]), (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
        else:
            m = re.fullmatch(r"(\d+)(b?)", token)
            if not m:
                raise SystemExit(f"mif_torch.py: network description '{text}': '{token}' is not a layer")
            layer.update(kind="dense", out=int(m[1]), bias=m[2] == "b", fan_in=c * h * w)
            shape = (int(m[1]), 1, 1)
        layer["output"] = shape
        layers.append(layer)
        pool = None
    if layers[-1]["kind"] != "dense" or layers[-1]["out"] != classes:
        raise SystemExit(f"mif_torch.py: network description '{text}' must end in a dense layer of {classes}")
    return layers


class Network:
    """The MIF network of runtime/snn.h: layer 0 gets input_gain * (W0 (*) x + b0) at steps
    t % P == 0, layer l > 0 gets W_l (*) pool(v_{l-1}) / inter_layer_scale + b_l at every step, from
    the previous layer's voltage of the same step; logits = mean_t v_out / readout_scale."""

    def __init__(self, layers, args):
        self.layers, self.args, self.neuron = layers, args, MifLayer()
        self.weights, self.biases = [], []
        for layer in layers:
            rows = layer["out"]
            w = torch.randn(rows, layer["fan_in"]) / layer["fan_in"] ** 0.5
            self.weights.append(torch.nn.Parameter(self._shaped(layer, w)))
            self.biases.append(torch.nn.Parameter(torch.zeros(rows)) if layer["bias"] else None)

    @staticmethod
    def _shaped(layer, w):
        """xbar's weight matrix (out x fan_in, PyTorch order) as a Conv2d or Linear weight."""
        if layer["kind"] == "conv":
            return w.reshape(layer["out"], layer["source"][0], layer["kernel"], layer["kernel"])
        return w

    def load_xbar(self, matrices):
        """Sets the weights from xbar's matrices (bias as the last column)."""
        with torch.no_grad():
            for l, (layer, m) in enumerate(zip(self.layers, matrices)):
                m = torch.tensor(m, dtype=torch.float32)
                self.weights[l].copy_(self._shaped(layer, m[:, :layer["fan_in"]]))
                if layer["bias"]:
                    self.biases[l].copy_(m[:, layer["fan_in"]])

    def parameters(self):
        return self.weights + [b for b in self.biases if b is not None]

    def _apply(self, l, x, scale=None):
        """W_l (*) pool(x) [* scale] + b_l; x is (B, C, H, W) after a convolution, (B, N) else."""
        layer, w, b = self.layers[l], self.weights[l], self.biases[l]
        if layer["pool"]:
            kind, p = layer["pool"]
            x = F.avg_pool2d(x, p)
            if kind == "sum":
                x = x * (p * p)
        if layer["kind"] == "conv":
            y = F.conv2d(x, w, stride=layer["stride"], padding=layer["padding"])
            b = None if b is None else b.reshape(1, -1, 1, 1)
        else:
            y = x.reshape(x.shape[0], -1) @ w.t()
        if scale is not None:
            y = y * scale
        return y if b is None else y + b

    def forward(self, x):
        """Logits (B x classes) of images x (B x 784)."""
        args = self.args
        image = x.reshape(-1, 1, 28, 28) if self.layers[0]["kind"] == "conv" else x
        drive = args.input_gain * self._apply(0, image)
        shapes = [layer["output"] if layer["kind"] == "conv" else (layer["out"],) for layer in self.layers]
        states = [self.neuron.init((x.shape[0],) + shape) for shape in shapes]
        zero = torch.zeros_like(drive)
        vsum = 0
        for t in range(args.steps):
            states[0] = self.neuron.step(states[0], drive if t % args.period == 0 else zero)
            for l in range(1, len(self.layers)):
                u = self._apply(l, states[l - 1][2], 1.0 / args.inter_layer_scale)
                states[l] = self.neuron.step(states[l], u)
            vsum = vsum + states[-1][2]
        return vsum / (args.steps * args.readout_scale)


def check(args, layers):
    """Runs bench/train_bench --dump on the first images, the same weights here, compares logits."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.check, "--dump", tmp, "--arch", args.arch, "--steps", str(args.steps),
               "--period", str(args.period), "--samples", str(args.samples)]
        subprocess.run(cmd, check=True, env=dict(os.environ, XBAR_DATA=args.data_dir))
        matrices = [np.load(f"{tmp}/w{l}.npy") for l in range(len(layers))]
        x = torch.tensor(np.load(f"{tmp}/x.npy"), dtype=torch.float32)
        expected = torch.tensor(np.load(f"{tmp}/logits.npy"), dtype=torch.float32)
    pixels, _ = load_mnist(args.data_dir, args.samples)
    if not torch.equal(x, pixels):
        raise SystemExit("mif_torch.py --check: xbar's images differ from the MNIST files read here")
    net = Network(layers, args)
    net.load_xbar(matrices)
    with torch.no_grad():
        logits = net.forward(x)
    error = float((logits - expected).abs().max())
    scale = float(expected.abs().max())
    # Both sides accumulate float32 rounding over T steps of the neuron recurrences.
    ok = error <= args.tolerance * scale
    print(json.dumps({"check": args.arch, "samples": args.samples, "steps": args.steps,
                      "max_abs_logit": scale, "max_abs_error": error, "relative": error / scale,
                      "tolerance": args.tolerance, "passed": ok}))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="data")
    p.add_argument("--samples", type=int, default=1280)
    p.add_argument("--hidden", type=int, default=128, help="784-HIDDEN-10 when --arch is not given")
    p.add_argument("--arch", help="xbar's network description, e.g. c16k5s2p2-c32k5s2p2-10")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--period", type=int, default=20)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--input-gain", type=float, default=0.1)
    p.add_argument("--inter-layer-scale", type=float, default=1e4)
    p.add_argument("--readout-scale", type=float, default=100.0)
    p.add_argument("--check", metavar="TRAIN_BENCH",
                   help="compare the forward pass with xbar's: path of the train_bench binary")
    p.add_argument("--tolerance", type=float, default=2e-5,
                   help="--check: largest logit error allowed, relative to the largest logit")
    args = p.parse_args()
    if args.arch is None:
        args.arch = f"{args.hidden}-10"
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    layers = parse_arch(args.arch)
    if args.check:
        return check(args, layers)
    x, y = load_mnist(args.data_dir, args.samples)
    net = Network(layers, args)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    start = time.perf_counter()
    for b in range(0, args.samples, args.batch):
        xb, yb = x[b:b + args.batch], y[b:b + args.batch]
        loss = F.cross_entropy(net.forward(xb), yb)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": "pytorch", "arch": args.arch, "samples": args.samples, "seconds": seconds,
                      "samples_per_s": args.samples / seconds, "final_loss": float(loss)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
