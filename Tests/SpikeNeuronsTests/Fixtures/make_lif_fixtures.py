"""SpikingJelly reference outputs for SpikeLab's IF / LIF / PLIF kernels.

Writes lif_fixtures.json next to this file: for each case, the input sequence, initial
membrane, output-gradient weights, and SpikingJelly's spikes, v_seq (V after reset), and
the gradients of x, v0 (and w for PLIF) of  L = sum(gS * spikes) + sum(gV * v_seq).

Rerun (any machine, CPU is enough):
    python3 -m venv v && v/bin/pip install torch spikingjelly
    v/bin/python Tests/SpikeNeuronsTests/Fixtures/make_lif_fixtures.py
Generated with spikingjelly 2.0.0 and torch 2.x on CPU (versions are recorded in the JSON).
"""
import importlib.metadata
import json
import math
import os

import torch
import spikingjelly
from spikingjelly.activation_based import functional, surrogate, neuron

torch.manual_seed(20240611)
T, SHAPE = 8, (2, 5)  # M = 10: one full 8-lane group and a ragged tail


def surrogate_of(kind, alpha):
    return {"sigmoid": surrogate.Sigmoid, "atan": surrogate.ATan}[kind](alpha=alpha)


CASES = [
    # name, neuron, options
    ("lif_hard", "lif", dict(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0, detach_reset=False, surrogate=("sigmoid", 4.0))),
    ("lif_hard_detach", "lif", dict(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0, detach_reset=True, surrogate=("sigmoid", 4.0))),
    ("lif_soft", "lif", dict(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=None, detach_reset=False, surrogate=("sigmoid", 4.0))),
    ("lif_soft_detach", "lif", dict(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=None, detach_reset=True, surrogate=("sigmoid", 4.0))),
    ("lif_nodecay_vreset_atan", "lif", dict(tau=3.0, decay_input=False, v_threshold=0.8, v_reset=-0.2, detach_reset=False, surrogate=("atan", 2.5))),
    ("lif_soft_nodecay_detach_atan", "lif", dict(tau=1.5, decay_input=False, v_threshold=0.6, v_reset=None, detach_reset=True, surrogate=("atan", 2.0))),
    ("if_hard", "if", dict(v_threshold=1.0, v_reset=0.0, detach_reset=False, surrogate=("sigmoid", 4.0))),
    ("if_soft_detach", "if", dict(v_threshold=0.7, v_reset=None, detach_reset=True, surrogate=("atan", 2.0))),
    ("plif_hard", "plif", dict(w=0.3, decay_input=True, v_threshold=1.0, v_reset=0.0, detach_reset=False, surrogate=("sigmoid", 4.0))),
    ("plif_hard_detach", "plif", dict(w=-0.4, decay_input=True, v_threshold=1.0, v_reset=0.0, detach_reset=True, surrogate=("sigmoid", 4.0))),
    ("plif_soft", "plif", dict(w=0.0, decay_input=True, v_threshold=1.0, v_reset=None, detach_reset=False, surrogate=("sigmoid", 4.0))),
    ("plif_soft_detach_nodecay_vreset", "plif", dict(w=0.8, decay_input=False, v_threshold=0.9, v_reset=None, detach_reset=True, surrogate=("atan", 2.0))),
    ("plif_nodecay_vreset", "plif", dict(w=-0.2, decay_input=False, v_threshold=0.9, v_reset=0.1, detach_reset=False, surrogate=("sigmoid", 3.0))),
]


def run(kind, opts, x, v0, w):
    sg = surrogate_of(*opts["surrogate"])
    common = dict(v_threshold=opts["v_threshold"], v_reset=opts["v_reset"], surrogate_function=sg,
                  detach_reset=opts["detach_reset"], store_v_seq=True)
    if kind == "lif":
        spikes, _, v_seq = functional.lif_multi_step(x, v0, opts["tau"], opts["decay_input"], **common)
    elif kind == "if":
        spikes, _, v_seq = functional.if_multi_step(x, v0, **common)
    else:
        spikes, _, v_seq = functional.plif_multi_step(x, v0, w, opts["decay_input"], **common)
    return spikes, v_seq


def reference_autograd(kind, opts, x, v0, w):
    """The same neuron as plain torch ops, differentiated by autograd (a cross-check)."""
    sg = surrogate_of(*opts["surrogate"])
    vr = opts["v_reset"]
    rest = 0.0 if vr is None else vr
    v, spikes, vs = v0, [], []
    for t in range(x.shape[0]):
        if kind == "if":
            h = v + x[t]
        else:
            k = (1.0 / opts["tau"]) if kind == "lif" else torch.sigmoid(w)
            h = v + (x[t] - (v - rest)) * k if opts["decay_input"] else v - (v - rest) * k + x[t]
        s = sg(h - opts["v_threshold"])
        sr = s.detach() if opts["detach_reset"] else s
        v = h - sr * opts["v_threshold"] if vr is None else sr * vr + (1 - sr) * h
        spikes.append(s)
        vs.append(v)
    return torch.stack(spikes), torch.stack(vs)


def flat(t):
    # 9 significant digits round-trip every float32 exactly and keep the file small.
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


cases = []
for name, kind, opts in CASES:
    # LIF/PLIF with decay_input halve the input: drive them harder so they fire often enough.
    drive = 1.3 if kind != "if" and opts["decay_input"] else 0.55
    x = (torch.randn(T, *SHAPE) * 0.9 + drive).float()
    rest = 0.0 if opts["v_reset"] is None else opts["v_reset"]
    v0 = (torch.full(SHAPE, rest) + 0.3 * torch.randn(*SHAPE)).float()
    g_spikes = torch.randn(T, *SHAPE).float()
    g_membrane = torch.randn(T, *SHAPE).float()
    w = torch.tensor(opts.get("w", 0.0), dtype=torch.float32)

    results = []
    for fn in (run, reference_autograd):
        xs, vs, ws = x.clone().requires_grad_(), v0.clone().requires_grad_(), w.clone().requires_grad_()
        spikes, v_seq = fn(kind, opts, xs, vs, ws)
        loss = (spikes * g_spikes).sum() + (v_seq * g_membrane).sum()
        loss.backward()
        results.append((spikes, v_seq, xs.grad, vs.grad, ws.grad if kind == "plif" else None))
    (spikes, v_seq, gx, gv0, gw), ref = results[0], results[1]
    for a, b in zip(results[0], ref):
        if a is not None:
            assert torch.allclose(a, b, atol=1e-5, rtol=1e-5), (name, a, b)

    case = {
        "name": name, "neuron": kind, "shape": [T, *SHAPE],
        "tau": opts.get("tau"), "w": opts.get("w"),
        "decayInput": opts.get("decay_input", True), "vThreshold": opts["v_threshold"],
        "vReset": opts["v_reset"], "detachReset": opts["detach_reset"],
        "surrogate": opts["surrogate"][0], "alpha": opts["surrogate"][1],
        "x": flat(x), "v0": flat(v0), "gradSpikes": flat(g_spikes), "gradMembrane": flat(g_membrane),
        "spikes": flat(spikes), "membrane": flat(v_seq), "gradX": flat(gx), "gradV0": flat(gv0),
        "gradW": float(f"{float(gw):.9g}") if gw is not None else None,
    }
    print(f"{name}: {int(spikes.sum())} spikes of {spikes.numel()}")
    cases.append(case)

out = {"generator": "make_lif_fixtures.py", "spikingjelly": importlib.metadata.version("spikingjelly"),
       "torch": torch.__version__.split("+")[0], "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lif_fixtures.json")
with open(path, "w") as f:
    # One case per line: small, and diffs stay readable.
    head = {k: v for k, v in out.items() if k != "cases"}
    f.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n')
    f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
    f.write("\n]}\n")
print("wrote", path)
