// Driver of kernel_cpu_time.sh: LIF (τ = 2, hard reset, sigmoid α = 4) over x = [8, 2^20]
// uniform in [−0.5, 2.5), upstream gradient uniform in [−1, 1); best of 7 thread-CPU times.
import Dispatch
import Foundation

let steps = 8, width = 1 << 20, n = steps * width
func buffer() -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
    p.initialize(repeating: 0, count: n)
    return p
}
let x = buffer(), spikes = buffer(), g = buffer(), dx = buffer()
var state: UInt64 = 1
for i in 0..<n {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    x[i] = Float(state >> 40) / Float(1 << 24) * 3 - 0.5
    g[i] = Float((state >> 20) & 0xffff) / 65536 * 2 - 1
}
let kernel = ChargeFireResetKernel(rule: FixedLeakRule(tau: 2, rest: 0, decayInput: true),
                                   fire: FireReset(threshold: 1, hardReset: 0, detachReset: false),
                                   steps: steps, width: width, rest: 0)
func cpuMilliseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
}
func best(_ body: () -> Void) -> Double {
    var result = Double.infinity
    for _ in 0..<7 {
        let start = cpuMilliseconds()
        body()
        result = min(result, cpuMilliseconds() - start)
    }
    return result
}
let forward = best { kernel.forward(x: x, v0: nil, spikes: spikes, membrane: nil) }
let backward = best {
    _ = kernel.backward(x: x, v0: nil, gradSpikes: g, gradMembrane: nil, surrogate: .sigmoid, alpha: 4,
                        gradInput: dx, gradInitial: nil, wantAlpha: false, wantLeak: false)
}
print(String(format: "forward %.2f ms, backward %.2f ms, total %.2f ms", forward, backward, forward + backward))
