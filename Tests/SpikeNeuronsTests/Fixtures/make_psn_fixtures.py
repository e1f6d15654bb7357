"""Reference outputs of SpikingJelly's PSN, MaskedPSN and SlidingPSN (multi-step mode) for
PSNTests.swift: spikes, and the gradients of the input, weight and bias for a fixed upstream
gradient.

Rerun (from the repository root):
    python3 -m venv v && v/bin/pip install torch spikingjelly
    v/bin/python Tests/SpikeNeuronsTests/Fixtures/make_psn_fixtures.py
It rewrites psn_fixtures.json next to this script. Made with torch 2.x and spikingjelly 2.0.0
(the PSN code has been the same since 0.0.0.0.14).
"""
import json
import os

import torch
from spikingjelly.activation_based import neuron

torch.manual_seed(2024)
T, N, C = 8, 2, 5  # input [T, N, C], M = 10


def run(name, module, x_scale=1.0, extra=None):
    x = (torch.randn(T, N, C) * x_scale).requires_grad_(True)
    grad = torch.randn(T, N, C)
    if hasattr(module, "step_mode"):
        module.step_mode = "m"
    spikes = module(x)
    # Spikes must not sit on the threshold, or float rounding could flip them between libraries.
    with torch.no_grad():
        if name == "psn":
            h = torch.addmm(module.bias, module.weight, x.flatten(1))
        elif name.startswith("masked"):
            h = torch.addmm(module.bias, module.masked_weight(), x.flatten(1))
        else:
            h = torch.addmm(module.bias, module.gen_gemm_weight(T), x.flatten(1))
    assert h.abs().min().item() > 1e-3, f"{name}: a pre-activation is too close to 0"
    spikes.backward(grad)
    case = {
        "shape": list(x.shape),
        "x": x.detach().flatten().tolist(),
        "weight": module.weight.detach().flatten().tolist(),
        "weight_shape": list(module.weight.shape),
        "bias": module.bias.detach().flatten().tolist(),
        "grad_spikes": grad.flatten().tolist(),
        "spikes": spikes.detach().flatten().tolist(),
        "grad_x": x.grad.flatten().tolist(),
        "grad_weight": module.weight.grad.flatten().tolist(),
        "grad_bias": module.bias.grad.flatten().tolist(),
        "min_abs_h": h.abs().min().item(),
    }
    case.update(extra or {})
    return case


cases = {
    "psn": run("psn", neuron.PSN(T=T), x_scale=4.0),
    "masked_psn_k3_lambda0.3": run("masked_psn", neuron.MaskedPSN(k=3, T=T, lambda_init=0.3), x_scale=4.0,
                                   extra={"order": 3, "lambda": 0.3}),
    "masked_psn_k2_lambda1": run("masked_psn", neuron.MaskedPSN(k=2, T=T, lambda_init=1.0), x_scale=4.0,
                                 extra={"order": 2, "lambda": 1.0}),
    "sliding_psn_k3": run("sliding_psn", neuron.SlidingPSN(k=3, exp_init=False), x_scale=2.0,
                          extra={"order": 3}),
    "sliding_psn_k3_exp": run("sliding_psn", neuron.SlidingPSN(k=3, exp_init=True), x_scale=2.0,
                              extra={"order": 3}),
}
# Inputs are scaled so that, with SpikingJelly's init (|W| ≤ 1/√T, B = −1), a good share fires.
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "psn_fixtures.json")
with open(path, "w") as f:
    json.dump({"generator": "make_psn_fixtures.py", "torch": torch.__version__,
               "surrogate": "atan alpha 2 (SpikingJelly default)", "cases": cases}, f)
    f.write("\n")
print("wrote", path, {k: round(v["min_abs_h"], 5) for k, v in cases.items()})
