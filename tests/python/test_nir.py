"""NIR graphs through `xbar eval --model net.nir --spikes in.npy`, checked against references
written from the exporting frameworks' own equations (numpy, torch), and NIR files crafted with
h5py in the layouts xbar must read (fixed-length strings, float32, gzip, nested graphs, NIR 1.0
resets) or refuse with one line.

Run by ctest (tests/CMakeLists.txt) with XBAR set to the xbar executable.
"""
import json
import os
import subprocess

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

XBAR = os.environ["XBAR"]
DATA = os.path.join(os.environ["XBAR_SOURCE_DIR"], "tests", "data", "nir")
DT = 1e-4


def run_eval(model, spikes, tmp_path, *extra):
    """xbar eval on `spikes` (a numpy array); returns (outputs, membranes, json)."""
    spikes_path = tmp_path / "in.npy"
    np.save(spikes_path, spikes)
    out, v = tmp_path / "out.npy", tmp_path / "v.npy"
    r = subprocess.run([XBAR, "eval", "--model", str(model), "--spikes", str(spikes_path), "--out", str(out),
                        "--membranes", str(v), "--json", "-q", *extra], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return np.load(out), np.load(v), json.loads(r.stdout)


def fails(args):
    r = subprocess.run([XBAR, *args], capture_output=True, text=True)
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1, r.stderr
    return r.stderr.strip()


def params(path):
    with h5py.File(path, "r") as f:
        nodes = f["node"]["nodes"]
        return {name: {k: np.array(v[()]) for k, v in nodes[name].items() if k != "type"} for name in nodes}


# --- the snnTorch recurrent network for Braille reading -------------------------------------------

def braille_reference(p, x):
    """snnTorch's RSynaptic then Synaptic, as its NIR export defines them (dt = 1e-4, reset to zero,
    no reset delay): syn = alpha syn + input, mem = beta mem + syn, spike mem > threshold; the
    recurrent weight takes the previous step's spikes."""
    def ab(node):
        return 1 - DT / p[node]["tau_syn"], 1 - DT / p[node]["tau_mem"]
    a1, b1 = ab("lif1.lif")
    a2, b2 = ab("lif2")
    w1, c1 = p["fc1"]["weight"].astype(np.float64), p["fc1"]["bias"].astype(np.float64)
    wr, cr = p["lif1.w_rec"]["weight"].astype(np.float64), p["lif1.w_rec"]["bias"].astype(np.float64)
    w2, c2 = p["fc2"]["weight"].astype(np.float64), p["fc2"]["bias"].astype(np.float64)
    syn1, mem1, spk1 = np.zeros(38), np.zeros(38), np.zeros(38)
    syn2, mem2 = np.zeros(7), np.zeros(7)
    outs, mems = [], []
    for t in range(x.shape[0]):
        syn1 = a1 * syn1 + (w1 @ x[t] + c1) + (wr @ spk1 + cr)
        mem1 = b1 * mem1 + syn1
        spk1 = (mem1 > p["lif1.lif"]["v_threshold"]).astype(float)
        mem1 = np.where(spk1 > 0, 0.0, mem1)
        syn2 = a2 * syn2 + (w2 @ spk1 + c2)
        mem2 = b2 * mem2 + syn2
        spk2 = (mem2 > p["lif2"]["v_threshold"]).astype(float)
        mems.append(np.where(spk2 > 0, 0.0, mem2))
        mem2 = mems[-1]
        outs.append(spk2)
    return np.array(outs), np.array(mems)


def test_braille_network_runs_as_snntorch_defines_it(tmp_path):
    path = os.path.join(DATA, "braille_noDelay_bias_zero.nir")
    x = (np.random.default_rng(7).random((4, 120, 12)) < 0.15).astype(np.float64)
    out, v, result = run_eval(path, x, tmp_path)
    assert out.shape == (4, 120, 7) and v.shape == (4, 120, 7)
    p = params(path)
    for s in range(4):
        ref_out, ref_v = braille_reference(p, x[s])
        np.testing.assert_array_equal(out[s], ref_out)
        np.testing.assert_allclose(v[s], ref_v, rtol=1e-9, atol=1e-9)
    assert out.sum() > 0 and result["samples"] == 4


# --- the Sinabs convolutional network for N-MNIST -------------------------------------------------

def cnn_reference(p, x):
    """The graph with torch's conv2d and pooling: IF neurons v += x, spike v > 1, subtract 1."""
    def conv(name, h):
        n = p[name]
        return F.conv2d(h, torch.tensor(n["weight"], dtype=torch.float64), torch.tensor(n["bias"], dtype=torch.float64),
                        stride=tuple(int(s) for s in n["stride"]), padding=tuple(int(s) for s in n["padding"]))
    state = {}

    def fire(name, h):
        v = state.get(name, torch.zeros_like(h)) + h
        z = (v > 1.0).double()
        state[name] = v - z
        return z
    outs = []
    for t in range(x.shape[0]):
        h = torch.tensor(x[t][None], dtype=torch.float64)
        h = fire("1", conv("0", h))
        h = fire("3", conv("2", h))
        h = F.avg_pool2d(h, 2) * 4
        h = fire("6", conv("5", h))
        h = F.avg_pool2d(h, 2) * 4
        h = h.flatten()
        h = fire("10", torch.tensor(p["9"]["weight"], dtype=torch.float64) @ h + torch.tensor(p["9"]["bias"], dtype=torch.float64))
        h = fire("12", torch.tensor(p["11"]["weight"], dtype=torch.float64) @ h + torch.tensor(p["11"]["bias"], dtype=torch.float64))
        outs.append(h.numpy())
    return np.array(outs)


def test_sinabs_cnn_runs_as_torch_convolves_it(tmp_path):
    path = os.path.join(DATA, "cnn_sinabs.nir")
    x = np.random.default_rng(3).poisson(0.3, (2, 25, 2, 34, 34)).astype(np.uint8)
    out, _, result = run_eval(path, x, tmp_path)
    p = params(path)
    for s in range(2):
        np.testing.assert_array_equal(out[s], cnn_reference(p, x[s].astype(np.float64)))
    assert out.sum() > 0
    assert len(result["decisions"]) == 2


def test_labels_give_an_accuracy(tmp_path):
    path = os.path.join(DATA, "braille_noDelay_bias_zero.nir")
    x = (np.random.default_rng(8).random((3, 50, 12)) < 0.2).astype(np.float64)
    out, _, first = run_eval(path, x, tmp_path)
    labels = np.array(first["decisions"])
    labels[0] = (labels[0] + 1) % 7
    np.save(tmp_path / "y.npy", labels)
    _, _, result = run_eval(path, x, tmp_path, "--labels", str(tmp_path / "y.npy"))
    assert result["correct"] == 2 and result["accuracy"] == pytest.approx(2 / 3)


# --- crafted files ---------------------------------------------------------------------------------

def write_graph(path, version, nodes, edges, fixed=False, dtype=np.float64, gzip=False, group=None):
    """A NIR file (or, with `group`, a subgraph written into it) the way NIR's writers lay it out."""
    def text(g, name, value):
        if fixed:
            g.create_dataset(name, data=np.bytes_(value))
        else:
            g.create_dataset(name, data=value, dtype=h5py.string_dtype())

    def fill(g):
        text(g, "type", "NIRGraph")
        members = g.create_group("nodes")
        for name, (kind, ps) in nodes.items():
            n = members.create_group(name)
            if kind == "NIRGraph":
                write_graph(None, None, ps["nodes"], ps["edges"], fixed, dtype, gzip, group=n)
                continue
            text(n, "type", kind)
            for k, v in ps.items():
                if isinstance(v, str):
                    text(n, k, v)
                    continue
                a = np.asarray(v)
                a = a.astype(dtype) if a.dtype.kind == "f" else a
                if gzip and a.ndim > 0:
                    n.create_dataset(k, data=a, compression="gzip")
                else:
                    n.create_dataset(k, data=a)
        pairs = np.array(edges, dtype=object if not fixed else "S16")
        if fixed:
            g.create_dataset("edges", data=pairs)
        else:
            g.create_dataset("edges", data=pairs, dtype=h5py.string_dtype())
    if group is not None:
        fill(group)
        return
    with h5py.File(path, "w") as f:
        text(f, "version", version)
        fill(f.create_group("node"))


def lif(threshold=1.0, **extra):
    return ("LIF", {"tau": np.array([1e-3, 1e-3]), "r": np.array([1.0, 1.0]), "v_leak": np.array([0.0, 0.0]),
                    "v_threshold": np.array([threshold, threshold]), **extra})


def chain_nodes():
    return {"in": ("Input", {"shape": np.array([2])}),
            "w": ("Affine", {"weight": np.array([[3.0, 0.0], [1.0, 2.0]]), "bias": np.array([0.1, 0.0])}),
            "n": lif(0.5),
            "out": ("Output", {"shape": np.array([2])})}


CHAIN_EDGES = [("in", "w"), ("w", "n"), ("n", "out")]


@pytest.mark.parametrize("fixed,dtype,gzip", [(False, np.float64, False), (True, np.float32, False),
                                              (False, np.float32, True), (True, np.float64, True)])
def test_string_kinds_float_widths_and_compression_read_alike(tmp_path, fixed, dtype, gzip):
    x = (np.random.default_rng(1).random((60, 2)) < 0.3).astype(np.float64)
    write_graph(tmp_path / "ref.nir", "0.2.0", chain_nodes(), CHAIN_EDGES)
    ref, _, _ = run_eval(tmp_path / "ref.nir", x, tmp_path)
    write_graph(tmp_path / "g.nir", "0.2.0", chain_nodes(), CHAIN_EDGES, fixed=fixed, dtype=dtype, gzip=gzip)
    out, _, _ = run_eval(tmp_path / "g.nir", x, tmp_path)
    np.testing.assert_array_equal(out, ref)
    assert ref.sum() > 0


def test_nested_graphs_run_as_their_flat_form(tmp_path):
    x = (np.random.default_rng(2).random((60, 2)) < 0.3).astype(np.float64)
    write_graph(tmp_path / "flat.nir", "0.2.0", chain_nodes(), CHAIN_EDGES)
    flat, _, _ = run_eval(tmp_path / "flat.nir", x, tmp_path)
    sub = {"nodes": {"input": ("Input", {"shape": np.array([2])}), "n": lif(0.5),
                     "output": ("Output", {"shape": np.array([2])})},
           "edges": [("input", "n"), ("n", "output")]}
    nodes = {k: v for k, v in chain_nodes().items() if k != "n"}
    # The subgraph addressed as a whole ("G") and through its members ("G.input").
    for into, outof in [("G", "G"), ("G.input", "G.output")]:
        write_graph(tmp_path / "nested.nir", "0.2.0", {**nodes, "G": ("NIRGraph", sub)},
                    [("in", "w"), ("w", into), (outof, "out")])
        nested, _, _ = run_eval(tmp_path / "nested.nir", x, tmp_path)
        np.testing.assert_array_equal(nested, flat)


def test_nir_1_resets_to_v_reset(tmp_path):
    nodes = chain_nodes()
    nodes["n"] = lif(0.5, v_reset=np.array([0.2, 0.2]))
    write_graph(tmp_path / "v1.nir", "1.0.0", nodes, CHAIN_EDGES)
    x = np.zeros((3, 2))
    x[0, 0] = 10.0  # w gives 30.1: neuron 0 fires in step 0
    out, v, _ = run_eval(tmp_path / "v1.nir", x, tmp_path)
    assert out[0, 0] == 1
    assert v[0, 0] == pytest.approx(0.2)


def test_refuses_what_it_cannot_run_with_one_line(tmp_path):
    spikes = tmp_path / "s.npy"
    np.save(spikes, np.zeros((5, 2)))
    out = tmp_path / "never.npy"
    nodes = chain_nodes()
    nodes["d"] = ("Delay", {"delay": np.array([1e-3, 1e-3])})
    write_graph(tmp_path / "delay.nir", "0.2.0", nodes, CHAIN_EDGES + [("n", "d")])
    msg = fails(["eval", "--model", str(tmp_path / "delay.nir"), "--spikes", str(spikes), "--out", str(out)])
    assert msg.startswith("xbar eval: error: " + str(tmp_path / "delay.nir") + ": node 'd' has type Delay, which xbar does not run")
    nodes = chain_nodes()
    nodes["w"] = ("Conv1d", {"weight": np.ones((2, 2, 1))})
    write_graph(tmp_path / "c1.nir", "0.2.0", nodes, CHAIN_EDGES)
    assert "node 'w' has type Conv1d" in fails(["eval", "--model", str(tmp_path / "c1.nir"), "--spikes", str(spikes)])
    write_graph(tmp_path / "old.nir", "0.0.6", chain_nodes(), CHAIN_EDGES)
    assert fails(["eval", "--model", str(tmp_path / "old.nir"), "--spikes", str(spikes)]).endswith(
        "NIR format version 0.0.6 is not supported (0.1.x, 0.2.x, 1.x)")
    nodes = chain_nodes()
    del nodes["n"][1]["v_threshold"]
    write_graph(tmp_path / "nothr.nir", "0.2.0", nodes, CHAIN_EDGES)
    assert fails(["eval", "--model", str(tmp_path / "nothr.nir"), "--spikes", str(spikes)]).endswith(
        "node 'n' (LIF) has no parameter 'v_threshold'")
    write_graph(tmp_path / "g.nir", "0.2.0", chain_nodes(), CHAIN_EDGES + [("n", "ghost")])
    assert fails(["eval", "--model", str(tmp_path / "g.nir"), "--spikes", str(spikes)]).endswith(
        "edge n -> ghost names a node the graph does not have")
    conv_nodes = {"in": ("Input", {"shape": np.array([1, 4, 4])}),
                  "c": ("Conv2d", {"weight": np.ones((2, 1, 3, 3)), "bias": np.zeros(2), "stride": np.array([], dtype=np.int64),
                                   "padding": np.array([1, 1]), "dilation": np.array([1, 1]), "groups": np.int64(1)}),
                  "f": ("Flatten", {"start_dim": np.int64(0), "end_dim": np.int64(-1)}),
                  "out": ("Output", {"shape": np.array([32])})}
    write_graph(tmp_path / "stride.nir", "0.2.0", conv_nodes, [("in", "c"), ("c", "f"), ("f", "out")])
    np.save(tmp_path / "img.npy", np.zeros((3, 1, 4, 4)))
    assert fails(["eval", "--model", str(tmp_path / "stride.nir"), "--spikes", str(tmp_path / "img.npy")]).endswith(
        "node 'c' (Conv2d): parameter 'stride' must be one or two whole numbers, the file has 0 value(s)")
    conv_nodes["c"][1]["stride"] = np.array([1, 1])
    conv_nodes["c"][1]["groups"] = np.int64(2)
    write_graph(tmp_path / "groups.nir", "0.2.0", conv_nodes, [("in", "c"), ("c", "f"), ("f", "out")])
    assert fails(["eval", "--model", str(tmp_path / "groups.nir"), "--spikes", str(tmp_path / "img.npy")]).endswith(
        "node 'c' (Conv2d): groups = 2, xbar maps groups = 1 only")
    conv_nodes["c"][1]["groups"] = np.int64(1)
    write_graph(tmp_path / "conv.nir", "0.2.0", conv_nodes, [("in", "c"), ("c", "f"), ("f", "out")])
    out_c, _, _ = run_eval(tmp_path / "conv.nir", np.ones((3, 1, 4, 4)), tmp_path)
    assert out_c.shape == (3, 32) and out_c[0, 0] == 4 and out_c[0, 5] == 9  # a 3x3 window over ones, padded
    write_graph(tmp_path / "ok.nir", "0.2.0", chain_nodes(), CHAIN_EDGES)
    np.save(tmp_path / "bad.npy", np.zeros((5, 3)))
    assert fails(["eval", "--model", str(tmp_path / "ok.nir"), "--spikes", str(tmp_path / "bad.npy"), "--out", str(out)]
                 ).endswith("spike array of shape (5, 3) is neither (T, 2) nor (N, T, 2) for the graph's input (2)")
    assert fails(["eval", "--model", str(tmp_path / "ok.nir")]).endswith("a NIR model runs on spike trains: give --spikes in.npy")
    assert fails(["eval", "--model", str(tmp_path / "ok.nir"), "--spikes", str(spikes), "--reset", "half"]).endswith(
        "--reset 'half' must be auto, zero or subtract")
    assert not out.exists()


CHIPS = os.path.join(os.environ["XBAR_SOURCE_DIR"], "chips", "default.textproto")


@pytest.fixture(scope="module")
def sinabs_chip(tmp_path_factory):
    """The Sinabs CNN compiled onto the default chip and programmed, once for the tests below:
    (plan, state, compile report)."""
    d = tmp_path_factory.mktemp("sinabs")
    plan, state, pulses = d / "cnn.xbp", d / "cnn.xbcs", d / "cnn.xbpulse"
    r = subprocess.run([XBAR, "compile", os.path.join(DATA, "cnn_sinabs.nir"), "--chip", CHIPS, "-o", str(plan),
                        "--json", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    r = subprocess.run([XBAR, "program", str(plan), "-o", str(pulses), "--state", str(state), "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert state.stat().st_size > 0 and pulses.stat().st_size > 0
    return plan, state, report


def test_compile_and_program_take_a_nir_graph(sinabs_chip, tmp_path):
    """xbar compile maps the Sinabs CNN onto the default chip and xbar program writes its pulses; a
    graph the compiler cannot map is refused in one line."""
    plan, state, report = sinabs_chip
    assert len(report["layers"]) == 5
    assert report["neurons"] == 16 * 16 * 16 * 2 + 8 * 8 * 8 + 256 + 10
    message = fails(["infer", str(plan), "--chip-state", str(state), "--dataset", "mnist", "--limit", "1"])
    assert message == "xbar infer: error: a NIR network runs on spike trains: give --spikes in.npy"
    # A graph the compiler cannot map: one line naming the node, nothing written.
    bad = tmp_path / "branch.nir"
    write_graph(bad, "0.2.0", {**chain_nodes(), "n2": lif()}, CHAIN_EDGES + [("w", "n2"), ("n2", "out")])
    out = tmp_path / "branch.xbp"
    message = fails(["compile", str(bad), "--chip", CHIPS, "-o", str(out)])
    assert "branch.nir" in message and "node 'w' (Affine) feeds 2 nodes" in message
    assert not out.exists()


def test_the_chip_runs_spike_trains(sinabs_chip, tmp_path):
    """xbar infer --spikes: the programmed chip on spike trains, outputs written as xbar eval writes
    the software run's, an accuracy against labels, the rails' figures, the same spikes on the rtl
    backend; bad input in one line."""
    plan, state, _ = sinabs_chip
    x = (np.random.default_rng(11).random((3, 8, 2, 34, 34)) < 0.05).astype(np.float32)
    spikes, labels, out, v = tmp_path / "in.npy", tmp_path / "y.npy", tmp_path / "out.npy", tmp_path / "v.npy"
    np.save(spikes, x)
    np.save(labels, np.array([1, 2, 3]))
    r = subprocess.run([XBAR, "infer", str(plan), "--chip-state", str(state), "--spikes", str(spikes), "--labels",
                        str(labels), "--out", str(out), "--membranes", str(v), "--ages", "1d", "--compensation",
                        "column", "--json", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    outputs = np.load(out)
    assert outputs.shape == (3, 8, 10) and np.load(v).shape == (3, 8, 10)
    assert set(np.unique(outputs)) <= {0.0, 1.0}
    assert report["outputs_per_sample"] == pytest.approx(outputs.sum() / 3)
    decisions = [int(np.argmax(o.sum(axis=0))) for o in outputs]
    assert report["points"][0]["correct"] == sum(d == y for d, y in zip(decisions, [1, 2, 3]))
    assert report["points"][0]["images"] == 3
    assert 0 <= report["membrane_at_rail_fraction"] <= 1 and report["peak_membrane_v"] <= 1
    assert report["energy_per_image_j"] > 0 and report["cycles_per_image"] > 0
    # One line, nothing written: counts the input register cannot hold, a MIF plan.
    np.save(spikes, x * 2.5)
    out.unlink()
    assert "is not a whole number in [0, 255]" in fails(
        ["infer", str(plan), "--chip-state", str(state), "--spikes", str(spikes), "--out", str(out)])
    assert not out.exists()
    # The RTL controller drives the same chip to the same spikes.
    np.save(spikes, x)
    rtl_out = tmp_path / "rtl.npy"
    r = subprocess.run([XBAR, "infer", str(plan), "--chip-state", str(state), "--spikes", str(spikes), "--out",
                        str(rtl_out), "--ages", "1d", "--compensation", "column", "--backend", "rtl", "--json", "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(rtl_out), outputs)
    assert json.loads(r.stdout)["cycles_per_image"] == report["cycles_per_image"]
    mif_plan = tmp_path / "mif.xbp"
    r = subprocess.run([XBAR, "compile", os.path.join(os.environ["XBAR_SOURCE_DIR"], "models", "mnist.xbm"),
                        "--chip", CHIPS, "-o", str(mif_plan), "--compensate-enable", "false", "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "for plans of NIR populations" in fails(
        ["infer", str(mif_plan), "--program", str(tmp_path / "none.xbpulse"), "--spikes", str(spikes)])


def test_yield_draws_chips_that_run_spike_trains(sinabs_chip, tmp_path):
    """xbar yield of a NIR plan: every chip instance programmed and run on the spike trains, its
    accuracy against the labels; the same chips on one thread; without labels, one line."""
    plan, _, _ = sinabs_chip
    x = (np.random.default_rng(12).random((4, 6, 2, 34, 34)) < 0.05).astype(np.float32)
    spikes, labels = tmp_path / "in.npy", tmp_path / "y.npy"
    np.save(spikes, x)
    np.save(labels, np.array([0, 1, 2, 3]))
    results = []
    for threads in ("2", "1"):
        r = subprocess.run([XBAR, "yield", str(plan), "--chips", "2", "--spikes", str(spikes), "--labels", str(labels),
                            "--ages", "1d", "--compensation", "column", "--threads", threads, "--json", "-q"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        results.append(json.loads(r.stdout))
    point = results[0]["points"][0]
    assert results[0]["images"] == 4 and len(point["accuracies"]) == 2
    assert all(a in (0, 0.25, 0.5, 0.75, 1) for a in point["accuracies"])
    assert results[1]["points"][0]["accuracies"] == point["accuracies"]
    assert "--labels" in fails(["yield", str(plan), "--chips", "1", "--spikes", str(spikes)])


def test_export_writes_the_network_a_programmed_chip_realises(sinabs_chip, tmp_path):
    """xbar export of a programmed plan: a NIR file h5py reads, the graph's chain with the weights
    the chip's conductances realise (4-bit levels, programming error, IR drop, drift and column
    compensation: within 25 % rms of the file's, and not equal to them); a model exports as it is."""
    source = os.path.join(DATA, "cnn_sinabs.nir")
    plan, state, _ = sinabs_chip
    out = tmp_path / "chip.nir"
    r = subprocess.run([XBAR, "export", str(plan), "--chip-state", str(state), "--age", "1d", "--nir", str(out),
                        "--json", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["nir_version"] == "0.2.0"
    original, realised = params(source), params(out)
    for a, b in [("0", "layer0.weight"), ("2", "layer1.weight"), ("5", "layer2.weight"), ("9", "layer3.weight"),
                 ("11", "layer4.weight")]:
        wa, wb = original[a]["weight"], realised[b]["weight"]
        assert wa.shape == wb.shape
        error = np.linalg.norm(wa - wb) / np.linalg.norm(wa)
        assert 0.01 < error < 0.25, (a, error)
    with h5py.File(out, "r") as f:
        assert f["node"]["nodes"]["layer0.neurons"]["type"][()].decode() == "IF"
    np.testing.assert_array_equal(realised["layer0.neurons"]["v_threshold"], original["1"]["v_threshold"])
    # It runs as a graph (here in xbar's software run).
    x = (np.random.default_rng(5).random((2, 10, 2, 34, 34)) < 0.1).astype(np.float32)
    outputs, _, _ = run_eval(out, x, tmp_path)
    assert outputs.shape == (2, 10, 10)
    # A model exports as it is: the Braille graph through xbar's model and back runs identically.
    back = tmp_path / "braille.nir"
    r = subprocess.run([XBAR, "export", os.path.join(DATA, "braille_noDelay_bias_zero.nir"), "--nir", str(back), "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    y = (np.random.default_rng(6).random((3, 50, 12)) < 0.3).astype(np.float32)
    a, _, _ = run_eval(os.path.join(DATA, "braille_noDelay_bias_zero.nir"), y, tmp_path)
    b, _, _ = run_eval(back, y, tmp_path)
    np.testing.assert_array_equal(a, b)
    assert a.sum() > 0
    # A plan without its chip, or a MIF model: one line, nothing written.
    assert "--chip-state or --program" in fails(["export", str(plan), "--nir", str(tmp_path / "x.nir")])
    assert not (tmp_path / "x.nir").exists()
