#!/bin/bash
# CPU time of the fused LIF kernels alone (forward + backward, T = 8, 2^20 neurons, one
# thread), compiled for the baseline x86-64 and for `-target-cpu haswell`: the measurement
# behind "CPU target" in docs/neurons.md. Thread CPU time, not wall time, so other processes
# on a shared machine distort it less. Compiles SpikeNeurons' kernel files and SpikeTensor's
# chunking functions as they are (thread count fixed at 1) into a scratch directory
# (stage_kernel.sh; a simpler stand-in for parallelChunks changes the code the compiler makes:
# forward 11 ms instead of 4.6 ms, so the real one is used).
#
#   benchmarks/micro/kernel_cpu_time.sh [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$root/benchmarks/micro/stage_kernel.sh"
# The kernel structs only: everything before the Tensor-level entry point.
stage_kernel "$work" ChargeFireReset.swift '/// Runs a charge–fire–reset neuron on `x` viewed'
cp "$root/benchmarks/micro/kernel_cpu_time_main.swift" "$work/main.swift"
cd "$work"
files="Lanes8.swift Surrogate.swift FloatRow.swift FloatLane.swift Kernel.swift Chunks.swift cpu_time_support.swift main.swift"
swiftc -O -wmo $files -o baseline 2>/dev/null
swiftc -O -wmo -target-cpu haswell $files -o haswell 2>/dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "${1:-5}"); do
  echo "baseline: $(./baseline)"
  grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && echo "haswell:  $(./haswell)"
done
