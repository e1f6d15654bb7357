// Shared by the kernel CPU-time drivers (kernel_cpu_time_main.swift,
// learned_psu_cpu_time_main.swift): their inputs and their clock.
import Foundation

/// A zeroed buffer of `count` floats (never freed: the drivers run once).
func zeroedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
    p.initialize(repeating: 0, count: count)
    return p
}

/// Fills x uniform in [−0.5, 2.5) and g uniform in [−1, 1) from one fixed LCG stream.
func fillInputs(x: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, count: Int) {
    var state: UInt64 = 1
    for i in 0..<count {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        x[i] = Float(state >> 40) / Float(1 << 24) * 3 - 0.5
        g[i] = Float((state >> 20) & 0xffff) / 65536 * 2 - 1
    }
}

/// This thread's CPU time in milliseconds.
func cpuMilliseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
}

/// The least thread CPU time of `repetitions` runs of `body`, in milliseconds.
func bestCPUTime(repetitions: Int, _ body: () -> Void) -> Double {
    var result = Double.infinity
    for _ in 0..<repetitions {
        let start = cpuMilliseconds()
        body()
        result = min(result, cpuMilliseconds() - start)
    }
    return result
}

/// FNV-1a over the bit patterns of `count` floats: equal hashes mean (with overwhelming
/// likelihood) equal bits.
func bitHash(_ p: UnsafePointer<Float>, _ count: Int) -> UInt64 {
    var h: UInt64 = 1_469_598_103_934_665_603
    for i in 0..<count { h = (h ^ UInt64(p[i].bitPattern)) &* 1_099_511_628_211 }
    return h
}

/// FNV-1a over the bit patterns of Doubles.
func bitHash(_ values: [Double]) -> UInt64 {
    var h: UInt64 = 1_469_598_103_934_665_603
    for v in values { h = (h ^ v.bitPattern) &* 1_099_511_628_211 }
    return h
}
