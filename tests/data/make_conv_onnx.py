#!/usr/bin/python3
"""Makes the convolutional ONNX test data of tests/compiler/onnx_conv_test.cc with the real exporter.

Run from anywhere with Debian's python3 (torch 1.13, numpy): /usr/bin/python3 tests/data/make_conv_onnx.py
(about 2 s; re-running it reproduces every file bit for bit). It exports, with torch.onnx.export
(opset 14, eval mode), a small nn.Sequential of Conv2d, AvgPool2d, Flatten and Linear with seeded
random weights as cnn.onnx and writes its PyTorch forward output, in float64, for the first 8
MNIST test images (tests/data/mlp_inputs.npy) as cnn_outputs.npy. The network has no activations:
on a MIF chip the neurons after every weight layer are the nonlinearity, so the imported layers,
run as linear maps, must give exactly these outputs. It also exports the networks xbar must
refuse, one per reason (max pooling, an activation, dilation, groups, padding before pooling).
docs/import.md.
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
nn = torch.nn


def export(module, shape, name):
    module.eval()
    torch.onnx.export(module, torch.zeros(*shape), os.path.join(HERE, name), input_names=["image"],
                      output_names=["logits"], opset_version=14, do_constant_folding=True)


def cnn():
    """1x28x28 -> c4k5p2 (bias) -> a2 -> c8k3s2 (no bias) -> a2 -> flatten 72 -> 10 (bias)."""
    return nn.Sequential(nn.Conv2d(1, 4, 5, padding=2, bias=True), nn.AvgPool2d(2),
                         nn.Conv2d(4, 8, 3, stride=2, bias=False), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(72, 10, bias=True))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(11)
    model = cnn()
    export(model, (1, 1, 28, 28), "cnn.onnx")
    x = np.load(os.path.join(HERE, "mlp_inputs.npy"))  # 8 x 784 float32, pixels / 255
    with torch.no_grad():
        out = model.double()(torch.from_numpy(x).double().reshape(-1, 1, 28, 28))
    np.save(os.path.join(HERE, "cnn_outputs.npy"), out.numpy())

    # What a fully memristive chip cannot run: one small network per reason.
    small = (1, 1, 8, 8)
    export(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 3)),
           small, "cnn_maxpool.onnx")
    export(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(128, 3)),
           small, "cnn_relu.onnx")
    export(nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2), nn.Flatten(), nn.Linear(32, 3)),
           small, "cnn_dilation.onnx")
    export(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1, groups=2), nn.Flatten(),
                         nn.Linear(256, 3)), small, "cnn_groups.onnx")
    export(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.AvgPool2d(2, padding=1), nn.Flatten(),
                         nn.Linear(50, 3)), small, "cnn_padpool.onnx")
    print("cnn.onnx:", model)


if __name__ == "__main__":
    main()
