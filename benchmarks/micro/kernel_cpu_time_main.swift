// Driver of kernel_cpu_time.sh: LIF (τ = 2, hard reset, sigmoid α = 4) over x = [8, 2^20]
// uniform in [−0.5, 2.5), upstream gradient uniform in [−1, 1); best of 7 thread-CPU times.

let steps = 8, width = 1 << 20, n = steps * width
let x = zeroedFloats(n), spikes = zeroedFloats(n), g = zeroedFloats(n), dx = zeroedFloats(n)
fillInputs(x: x, g: g, count: n)
let kernel = ChargeFireResetKernel(rule: FixedLeakRule(tau: 2, rest: 0, decayInput: true),
                                   fire: FireReset(threshold: 1, hardReset: 0, detachReset: false),
                                   steps: steps, width: width, rest: 0)
let forward = bestCPUTime(repetitions: 7) { kernel.forward(x: x, v0: nil, spikes: spikes, membrane: nil) }
let backward = bestCPUTime(repetitions: 7) {
    _ = kernel.backward(x: x, v0: nil, gradSpikes: g, gradMembrane: nil, surrogate: .sigmoid, alpha: 4,
                        gradInput: dx, gradInitial: nil, wantAlpha: false, wantLeak: false)
}
// A weighted sum of ∂x: equal checksums across targets say both builds computed the same gradients.
var checksum = 0.0
for i in 0..<n { checksum += Double(dx[i]) * Double(i % 7 + 1) }
print(String(format: "forward %.2f ms, backward %.2f ms, total %.2f ms (checksum of ∂x %.17g)",
             forward, backward, forward + backward, checksum))
