#!/usr/bin/env python3
"""The work of `spikelab bench neurons`, in PyTorch + SpikingJelly on the same machine and thread count.

Measures SpikingJelly's multi-step neurons on CPU (the torch path: cupy and triton are not
available on CPU) over x = [T, M] with the same T, M, input distribution and upstream gradient
shape as SpikeLab: LIFNode (step_mode='m') and PSN by default, and on request IFNode,
ParametricLIFNode, MaskedPSN (k = 2, lambda = 1) and SlidingPSN (k = 2); forward under no_grad,
and forward + backward of <g, S>.
Then the spiking vgg-small training step (T = 4, batch 32) with LIF and the other SpikingJelly
neurons, and the step's six convolutions alone at its shapes (vgg_small_convolutions). Reads SpikeLab's JSON report (spikelab bench neurons --json) and prints the ratio
SpikingJelly time / SpikeLab time (> 1: SpikeLab faster) as Markdown.

    python benchmarks/peers/neurons.py --spikelab results/bench/neurons.json --markdown results/bench/neurons-peers.md
"""
import argparse
import datetime
import json
import os
import platform
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from spikingjelly.activation_based import functional, layer, neuron, surrogate

import spikingjelly

from engine import conv  # the engine comparison's conv2d timing, same directory


def measure(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, reps)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[0], times[len(times) // 2]


def result(name, best, median, throughput=None, unit=None):
    return {"name": name, "seconds": best, "medianSeconds": median, "throughput": throughput, "unit": unit}


def triad(quick):
    n = 1 << 23 if quick else 1 << 25
    a = torch.empty(n)
    b = torch.ones(n)
    c = torch.full((n,), 2.0)
    best, med = measure(lambda: torch.add(b, c, alpha=3.0, out=a), 5 if quick else 10)
    return result("triad", best, med, 12 * n / best / 1e9, "GB/s")


def make_neuron(variant, T):
    """SpikingJelly's neuron with SpikeLab's defaults (sigmoid alpha 4 for IF/LIF/PLIF, atan alpha 2 for PSN)."""
    if variant == "if":
        return neuron.IFNode(surrogate_function=surrogate.Sigmoid(alpha=4.0), step_mode="m")
    if variant == "lif":
        return neuron.LIFNode(tau=2.0, surrogate_function=surrogate.Sigmoid(alpha=4.0), step_mode="m")
    if variant == "plif":
        return neuron.ParametricLIFNode(init_tau=2.0, surrogate_function=surrogate.Sigmoid(alpha=4.0), step_mode="m")
    if variant == "psn":
        return neuron.PSN(T=T, surrogate_function=surrogate.ATan(alpha=2.0))
    if variant == "masked_psn":
        return neuron.MaskedPSN(k=min(2, T), T=T, lambda_init=1.0, surrogate_function=surrogate.ATan(alpha=2.0), step_mode="m")
    if variant == "sliding_psn":
        return neuron.SlidingPSN(k=min(2, T), surrogate_function=surrogate.ATan(alpha=2.0), step_mode="m")
    raise ValueError(variant)


def neuron_pass(variant, T, M, quick):
    node = make_neuron(variant, T)
    x = torch.rand(T, M) * 3.0 - 0.5
    g = torch.rand(T, M) * 2.0 - 1.0
    reps = 2 if quick else (3 if T >= 32 else 5)

    def forward():
        functional.reset_net(node)
        with torch.no_grad():
            node(x)

    def training():
        functional.reset_net(node)
        x.grad = None
        node.zero_grad(set_to_none=True)
        node(x).backward(g)

    name = f"neuron_{variant}_t{T}"
    best, med = measure(forward, reps)
    out = [result(f"{name}_forward", best, med)]
    x.requires_grad_(True)
    best, med = measure(training, reps)
    x.requires_grad_(False)
    out.append(result(f"{name}_forward_backward", best, med))
    return out


class SpikingVGGSmall(nn.Module):
    """SpikeNN's VGGSmall in SpikingJelly's multi-step layers: [conv3x3 (no bias), BN, neuron] for 64, 128,
    avgpool 2, 256, 256, avgpool 2, 512, 512, avgpool 2, flatten, linear 512*16 -> 10; logits averaged over T."""

    def __init__(self, variant, T):
        super().__init__()
        layers, c = [], 3
        for v in [64, 128, "P", 256, 256, "P", 512, 512, "P"]:
            if v == "P":
                layers.append(layer.AvgPool2d(2, step_mode="m"))
            else:
                layers += [layer.Conv2d(c, v, 3, padding=1, bias=False, step_mode="m"),
                           layer.BatchNorm2d(v, step_mode="m"), make_neuron(variant, T)]
                c = v
        self.T = T
        self.features = nn.Sequential(*layers)
        self.flatten = layer.Flatten(step_mode="m")
        self.classifier = layer.Linear(512 * 16, 10, step_mode="m")

    def forward(self, images):
        x = images.unsqueeze(0).repeat(self.T, 1, 1, 1, 1)
        return self.classifier(self.flatten(self.features(x))).mean(0)


def vgg_small(variant, quick):
    T, N = 4, 32
    net = SpikingVGGSmall(variant, T)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    images = torch.rand(N, 3, 32, 32) * 2 - 1
    labels = torch.arange(N) % 10

    def step():
        functional.reset_net(net)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(images), labels).backward()
        opt.step()

    reps = 1 if quick else 3
    best, med = measure(step, reps, warmup=1)
    return result(f"vgg_small_{variant}_step", best, med, N / best, "images/s")


def vgg_small_convolutions(quick):
    """The step's six convolutions alone at its shapes (128 = T 4 x batch 32 images), each pass timed
    alone by engine.py's conv(), as spikelab's vgg_small_convolutions reuses its engine benchmark:
    forward (no graph), backward-data (all but the first layer), backward-weights; the sum of the
    passes' best (median) times."""
    best_sum = med_sum = flops = 0.0
    for index, (c, o, s) in enumerate([(3, 64, 32), (64, 128, 32), (128, 256, 16), (256, 256, 16), (256, 512, 8), (512, 512, 8)]):
        n = 4 * 32
        for m in conv(f"vgg_small_conv_{c}x{o}_{s}x{s}", n, c, o, s, quick):
            if index == 0 and m["name"].endswith("_backward_data"):
                continue
            best_sum, med_sum = best_sum + m["seconds"], med_sum + m["medianSeconds"]
            flops += 2.0 * n * o * s * s * c * 9
    return result("vgg_small_convolutions", best_sum, med_sum, flops / best_sum / 1e9, "GFLOP/s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spikelab", help="SpikeLab's JSON report (spikelab bench neurons --json)")
    ap.add_argument("--threads", type=int, help="thread count (default: the SpikeLab report's, else SPIKELAB_THREADS or all cores)")
    ap.add_argument("--quick", action="store_true", help="as spikelab bench neurons --quick: 2^18 neurons, T in 1, 8, 64")
    ap.add_argument("--variants", default="lif,psn",
                    help="comma-separated SpikingJelly neurons to time: lif, psn (default), if, plif, masked_psn, sliding_psn")
    ap.add_argument("--vgg-variants", default=None, help="neurons of the vgg-small step (default: lif in --quick, else all --variants)")
    ap.add_argument("--no-vgg", action="store_true", help="skip the vgg-small training steps (as spikelab's --no-vgg)")
    ap.add_argument("--time-steps", help="comma-separated T to time (default: as spikelab bench neurons)")
    ap.add_argument("--markdown", help="write the side-by-side table here")
    ap.add_argument("--json", dest="json_out", help="write SpikingJelly's measurements here as JSON")
    args = ap.parse_args()

    ours = None
    if args.spikelab:
        with open(args.spikelab) as f:
            ours = json.load(f)
    threads = args.threads or (ours and ours["threads"]) or int(os.environ.get("SPIKELAB_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    quick = args.quick
    steps = [1, 8, 64] if quick else [1, 2, 4, 8, 16, 32, 64]
    if args.time_steps:
        steps = [int(t) for t in args.time_steps.split(",")]
    M = 1 << 18 if quick else 1 << 20
    variants = [v for v in args.variants.split(",") if v]
    vgg_variants = (args.vgg_variants.split(",") if args.vgg_variants else (["lif"] if quick else variants))
    if args.no_vgg:
        vgg_variants = []

    peer = [triad(quick)]
    for variant in variants:
        for T in steps:
            print(f"spikingjelly {variant}: T = {T}, {M} neurons", flush=True)
            peer += neuron_pass(variant, T, M, quick)
    for variant in vgg_variants:
        print(f"spikingjelly vgg-small training step: {variant}", flush=True)
        peer.append(vgg_small(variant, quick))
    if vgg_variants:
        print("pytorch vgg-small convolutions alone", flush=True)
        peer.append(vgg_small_convolutions(quick))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"torch": torch.__version__, "spikingjelly": spikingjelly_version(), "threads": threads,
                       "measurements": peer}, f, indent=2)

    by_name = {m["name"]: m for m in (ours["measurements"] if ours else [])}
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    header = [
        f"# Neuron benchmark: SpikeLab vs SpikingJelly {spikingjelly_version()} (PyTorch {torch.__version__}, CPU)",
        "",
        f"Measured {datetime.date.today().isoformat()} on {cpu}, {os.cpu_count()} cores, {threads} threads for both "
        f"(SpikeLab report from {ours['date'] if ours else 'n/a'}); {M} neurons per step. Best of the timed "
        "repetitions; speed-up = SpikingJelly time / SpikeLab time (> 1: SpikeLab faster).",
        "",
        "| measurement | SpikeLab ms | SpikingJelly ms | speed-up |",
        "|---|---:|---:|---:|",
    ]
    rows = []
    for m in peer:
        s = by_name.get(m["name"])
        ours_ms = f"{s['seconds'] * 1e3:.2f}" if s else "n/a"
        ratio = f"{m['seconds'] / s['seconds']:.2f}" if s else "n/a"
        rows.append(f"| {m['name']} | {ours_ms} | {m['seconds'] * 1e3:.2f} | {ratio} |")
    text = "\n".join(header + rows) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


def spikingjelly_version():
    try:
        from importlib.metadata import version
        return version("spikingjelly")
    except Exception:  # noqa: BLE001 - a version string is only informative
        return getattr(spikingjelly, "__version__", "unknown")


if __name__ == "__main__":
    main()
