#!/usr/bin/env python3
"""The work of `spikelab bench engine`, in PyTorch CPU on the same machine and thread count.

Runs the same measurements (triad, SGEMM n=1024/2048, conv2d forward / backward-data /
backward-weights on the CIFAR-like layers, and the vgg-small ReLU training step), reads
SpikeLab's JSON report, and prints both side by side with the ratio SpikeLab/PyTorch in
time (< 1 means SpikeLab is faster). Optionally writes the comparison as Markdown.

    python benchmarks/peers/engine.py --spikelab results/bench/engine.json --markdown results/bench/engine.md
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def measure(fn, reps, warmup=1):
    """(best, median) wall seconds and the least process CPU seconds of one repetition."""
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(max(1, reps)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    times.sort()
    return times[0], times[len(times) // 2], min(cpu)


def result(name, best, median, throughput, unit, cpu=None):
    return {"name": name, "seconds": best, "medianSeconds": median, "throughput": throughput, "unit": unit,
            "cpuSeconds": cpu}


def triad(quick):
    n = 1 << 23 if quick else 1 << 25
    a = torch.empty(n)
    b = torch.ones(n)
    c = torch.full((n,), 2.0)
    best, med, cpu = measure(lambda: torch.add(b, c, alpha=3.0, out=a), 5 if quick else 10)
    return result("triad", best, med, 12 * n / best / 1e9, "GB/s", cpu)


def sgemm(n, quick):
    a = torch.rand(n, n) * 2 - 1
    b = torch.rand(n, n) * 2 - 1
    c = torch.empty(n, n)
    reps = 3 if quick else (20 if n <= 1024 else 5)
    best, med, cpu = measure(lambda: torch.mm(a, b, out=c), reps)
    return result(f"sgemm_n{n}", best, med, 2 * n ** 3 / best / 1e9, "GFLOP/s", cpu)


def conv(name, batch, cin, cout, size, quick):
    reps = 2 if quick else 8
    flops = 2 * batch * cout * size * size * cin * 9
    x = torch.rand(batch, cin, size, size) * 2 - 1
    w = torch.empty(cout, cin, 3, 3)
    nn.init.kaiming_uniform_(w)
    out = []
    with torch.no_grad():
        best, med, cpu = measure(lambda: F.conv2d(x, w, padding=1), reps)
    out.append(result(f"{name}_forward", best, med, flops / best / 1e9, "GFLOP/s", cpu))
    g = torch.rand(batch, cout, size, size) * 2 - 1
    for pass_name, want_x in (("backward_data", True), ("backward_weights", False)):
        x.requires_grad_(want_x)
        w.requires_grad_(not want_x)
        times, cpu = [], []
        for rep in range(reps + 1):
            x.grad = None
            w.grad = None
            y = F.conv2d(x, w, padding=1)
            c0 = time.process_time()
            t0 = time.perf_counter()
            y.backward(g)
            t = time.perf_counter() - t0
            c = time.process_time() - c0
            if rep > 0:
                times.append(t)
                cpu.append(c)
        times.sort()
        out.append(result(f"{name}_{pass_name}", times[0], times[len(times) // 2], flops / times[0] / 1e9, "GFLOP/s",
                          min(cpu)))
    return out


class VGGSmall(nn.Module):
    """conv3x3 (no bias) + BN + ReLU: 64, 128, avgpool, 256, 256, avgpool, 512, 512, avgpool, linear 512*16 -> 10."""

    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for v in [64, 128, "P", 256, 256, "P", 512, 512, "P"]:
            if v == "P":
                layers.append(nn.AvgPool2d(2))
            else:
                conv = nn.Conv2d(c, v, 3, padding=1, bias=False)
                nn.init.kaiming_normal_(conv.weight, mode="fan_out")
                layers += [conv, nn.BatchNorm2d(v), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512 * 16, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def vgg_small(quick):
    T, N = 4, 32
    net = VGGSmall()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(T * N, 3, 32, 32) * 2 - 1
    labels = torch.arange(N) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        logits = net(x).reshape(T, N, 10).mean(0)
        F.cross_entropy(logits, labels).backward()
        opt.step()

    reps = 3 if quick else 10
    best, med, cpu = measure(step, reps, warmup=2)
    return result("vgg_small_relu_step", best, med, T * N / best, "images/s", cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spikelab", help="SpikeLab's JSON report (spikelab bench engine --json)")
    ap.add_argument("--threads", type=int, help="thread count (default: the SpikeLab report's, else SPIKELAB_THREADS or all cores)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--markdown", help="write the side-by-side table here")
    ap.add_argument("--json", dest="json_out", help="write PyTorch's measurements here as JSON")
    args = ap.parse_args()

    ours = None
    if args.spikelab:
        with open(args.spikelab) as f:
            ours = json.load(f)
    threads = args.threads or (ours and ours["threads"]) or int(os.environ.get("SPIKELAB_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    peer = [triad(args.quick), sgemm(1024, args.quick), sgemm(2048, args.quick)]
    peer += conv("conv_64x64_32x32", 128, 64, 64, 32, args.quick)
    peer += conv("conv_256x256_8x8", 128, 256, 256, 8, args.quick)
    peer.append(vgg_small(args.quick))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"torch": torch.__version__, "threads": threads, "measurements": peer}, f, indent=2)

    by_name = {m["name"]: m for m in (ours["measurements"] if ours else [])}
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    header = [
        f"# Engine benchmark: SpikeLab vs PyTorch {torch.__version__} (CPU)",
        "",
        f"Measured {datetime.date.today().isoformat()} on {cpu}, {os.cpu_count()} cores, {threads} threads for both "
        f"(SpikeLab report from {ours['date'] if ours else 'n/a'}). Best of the timed repetitions; "
        "time ratio = SpikeLab time / PyTorch time (< 1: SpikeLab faster). CPU ratio: the same for the least "
        "process CPU time of one repetition (all threads, spin-waits included), which other programs on the "
        "machine change less than wall time.",
        "",
        "| measurement | unit | SpikeLab | PyTorch | time ratio | CPU ratio |",
        "|---|---|---:|---:|---:|---:|",
    ]
    rows = []
    for m in peer:
        s = by_name.get(m["name"])
        ratio = f"{s['seconds'] / m['seconds']:.2f}" if s else "n/a"
        cpu_ratio = (f"{s['cpuSeconds'] / m['cpuSeconds']:.2f}"
                     if s and s.get("cpuSeconds") and m.get("cpuSeconds") else "n/a")
        ours_tp = f"{s['throughput']:.1f}" if s and s.get("throughput") is not None else "n/a"
        rows.append(f"| {m['name']} | {m['unit']} | {ours_tp} | {m['throughput']:.1f} | {ratio} | {cpu_ratio} |")
    text = "\n".join(header + rows) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
