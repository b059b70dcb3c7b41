#!/usr/bin/python3
"""Reference: the same MIF network written plainly in PyTorch (autograd BPTT), for bench/train.

Same equations as device_models/mif_neuron.h (implicit membrane update), same encoding as
runtime/snn.h, Adam, cross-entropy on time-mean output voltage. Prints one JSON line.
"""
import argparse
import json
import struct
import time

import numpy as np
import torch


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="data")
    p.add_argument("--samples", type=int, default=1280)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--period", type=int, default=20)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--input-gain", type=float, default=0.1)
    p.add_argument("--inter-layer-scale", type=float, default=1e4)
    p.add_argument("--readout-scale", type=float, default=100.0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x, y = load_mnist(args.data_dir, args.samples)
    w1 = torch.nn.Parameter(torch.randn(784, args.hidden) / 784 ** 0.5)
    w2 = torch.nn.Parameter(torch.randn(args.hidden, 10) / args.hidden ** 0.5)
    opt = torch.optim.Adam([w1, w2], lr=2e-3)
    neuron = MifLayer()
    start = time.perf_counter()
    for b in range(0, args.samples, args.batch):
        xb, yb = x[b:b + args.batch], y[b:b + args.batch]
        drive = args.input_gain * xb @ w1
        s1, s2 = neuron.init(drive.shape), neuron.init((xb.shape[0], 10))
        zero = torch.zeros_like(drive)
        vsum = 0
        for t in range(args.steps):
            s1 = neuron.step(s1, drive if t % args.period == 0 else zero)
            s2 = neuron.step(s2, s1[2] @ w2 / args.inter_layer_scale)
            vsum = vsum + s2[2]
        logits = vsum / (args.steps * args.readout_scale)
        loss = torch.nn.functional.cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([w1, w2], 1.0)
        opt.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": "pytorch", "samples": args.samples, "seconds": seconds,
                      "samples_per_s": args.samples / seconds, "final_loss": float(loss)}))


if __name__ == "__main__":
    main()
