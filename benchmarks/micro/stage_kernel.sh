# Sourced by the kernel CPU-time scripts. `stage_kernel WORK KERNEL_FILE ENTRY_COMMENT [OUT]` copies
# into WORK what a driver compiles against: Lanes8, Surrogate, FloatRow and FloatLane,
# KERNEL_FILE (SpikeNeurons) cut before the line ENTRY_COMMENT (its Tensor-level entry point) and
# without `import SpikeTensor` as OUT (default Kernel.swift),
# SpikeTensor's chunking functions with the thread count fixed at 1 (the real ones: a simpler
# stand-in changes the code the compiler makes), and the drivers' shared support file.
stage_kernel() {
  local work=$1 kernel=$2 entry=$3 out=${4:-Kernel.swift} root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local src=$root/Sources/SpikeNeurons
  cp "$src/Lanes8.swift" "$src/Surrogate.swift" "$src/FloatRow.swift" "$src/FloatLane.swift" \
    "$root/benchmarks/micro/cpu_time_support.swift" "$work/"
  awk -v entry="$entry" 'index($0, entry) == 1 { exit } $0 != "import SpikeTensor" { print }' \
    "$src/$kernel" > "$work/$out"
  { echo "import Dispatch"; sed -n '/^\/\/\/ Runs `body` over `0..<count` split/,$p' "$root/Sources/SpikeTensor/Threads.swift" \
    | sed 's/Threads\.count/1/g'; } > "$work/Chunks.swift"
}
