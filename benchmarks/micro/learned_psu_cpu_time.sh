#!/bin/bash
# CPU time of the fused PSU-family kernels alone (`LearnedPSUKernel` for IPSU/RPSU, `PSUKernel`
# for the form `psu`; forward + backward over
# 2^20 + 13 neurons, one thread, `-target-cpu haswell` as Package.swift builds SpikeNeurons on this
# machine). Thread CPU time, not wall time, so other processes on a shared machine distort it
# less. Each line ends with hashes of every output's bits (a change meant to keep the values must
# keep them). Compiles the kernel file (up to its Tensor-level entry point) with Lanes8,
# Surrogate, FloatRow, FloatLane and SpikeTensor's chunking functions (thread count fixed at 1) into a
# scratch directory (stage_kernel.sh).
#
#   benchmarks/micro/learned_psu_cpu_time.sh [runs] [forms] [steps]   (forms: ipsu-linear
#   ipsu-sigmoid rpsu psu; default the first three)
#   e.g. benchmarks/micro/learned_psu_cpu_time.sh 3 "ipsu-linear rpsu psu" "8 24"
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$root/benchmarks/micro/stage_kernel.sh"
stage_kernel "$work" LearnedPSUKernel.swift '/// Runs IPSU/RPSU with the fused kernel'
stage_kernel "$work" PSUKernel.swift '/// Runs PSU with the fused kernel' PSUKernel.swift
cp "$root/benchmarks/micro/learned_psu_cpu_time_main.swift" "$work/main.swift"
cd "$work"
swiftc -O -wmo -target-cpu haswell Lanes8.swift Surrogate.swift FloatRow.swift FloatLane.swift Kernel.swift PSUKernel.swift Chunks.swift cpu_time_support.swift main.swift -o driver 2>/dev/null
for _ in $(seq "${1:-3}"); do
  for form in ${2:-ipsu-linear ipsu-sigmoid rpsu}; do
    for t in ${3:-8 16 24}; do
      echo "load $(cut -d' ' -f1-3 /proc/loadavg) | $(./driver "$form" "$t")"
    done
  done
done
