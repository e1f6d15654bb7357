#!/usr/bin/env python3
"""PyTorch's side of benchmarks/probes/onednn_probe.c: thread CPU time of one conv2d forward
(3x3, padding 1, batch 128, NCHW) on one thread, reorders included, as PyTorch runs it.

    .venv-peers/bin/python benchmarks/probes/torch_conv_probe.py 64 32
"""
import sys
import time

import torch
import torch.nn.functional as F


def main():
    if len(sys.argv) != 3 or not all(a.isdigit() and int(a) > 0 for a in sys.argv[1:]):
        sys.exit(f"usage: {sys.argv[0]} CHANNELS SIZE   (positive integers, e.g. 64 32)")
    c, h = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(1)
    x = torch.rand(128, c, h, h) * 2 - 1
    w = torch.rand(c, c, 3, 3) * 2 - 1
    best = float("inf")
    with torch.no_grad():
        F.conv2d(x, w, padding=1)
        for _ in range(5):
            t = time.thread_time()
            F.conv2d(x, w, padding=1)
            best = min(best, time.thread_time() - t)
    flops = 2 * 128 * c * h * h * c * 9
    print(f"torch {torch.__version__} conv2d forward 128x{c}x{h}x{h}, one thread: {best * 1e3:.2f} ms CPU "
          f"= {flops / best / 1e9:.1f} GFLOP per CPU-second")


if __name__ == "__main__":
    main()
