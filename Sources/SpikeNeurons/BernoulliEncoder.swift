import SpikeTensor

/// Bernoulli spike encoding s = Θ(x − u), u ~ U[0, 1) drawn fresh per element from `rng`
/// (element i takes the i-th `rng.nextUniform()`); fires when x > u, as the general-SNN
/// authors' `x > torch.rand(...)` does, so x ≤ 0 never fires and x ≥ 1 always fires.
///
/// No gradient flows through the sampling (the output is a plain 0/1 float tensor). The
/// generator advances exactly as `x.count` calls of `nextUniform()` would, so a saved
/// generator state resumes the same stream; full Philox blocks are drawn in parallel.
public func bernoulliSpikes(_ x: Tensor, rng: inout PhiloxGenerator) -> Tensor {
    precondition(x.dtype == .float32, "bernoulliSpikes: input must be float32, got \(x.dtype)")
    let n = x.count
    let out = Tensor(shape: x.shape, uninitialized: true)
    let src = UnsafePointer(x.floats.baseAddress!), dst = out.floats.baseAddress!
    @inline(__always) func spike(_ value: Float, _ word: UInt32) -> Float {
        value > Float(word >> 8) * (1.0 / 16_777_216.0) ? 1 : 0  // nextUniform's mapping
    }
    // Draw single words until the generator sits on a block boundary.
    var i = 0
    while i < n, let state = PhiloxLayout(rng.state), state.used != 4 {
        dst[i] = spike(src[i], rng.next32())
        i += 1
    }
    // Whole blocks: word j of block k comes from counter c + k, computed independently.
    let blocks = (n - i) / 4
    if blocks > 0, let layout = PhiloxLayout(rng.state) {
        let start = i
        parallelChunks(blocks, minChunk: 4096) { range in
            for k in range {
                let w = PhiloxGenerator.block(counter: layout.counter(advancedBy: UInt64(k)), key: layout.key)
                let p = start + 4 * k
                dst[p] = spike(src[p], w.0)
                dst[p + 1] = spike(src[p + 1], w.1)
                dst[p + 2] = spike(src[p + 2], w.2)
                dst[p + 3] = spike(src[p + 3], w.3)
            }
        }
        rng = layout.generator(advancedBy: UInt64(blocks))
        i += 4 * blocks
    }
    while i < n {
        dst[i] = spike(src[i], rng.next32())
        i += 1
    }
    return out
}

/// Reads `PhiloxGenerator.state` (key; 128-bit counter as low and high 64 bits; buffer
/// position) to skip ahead by whole blocks without drawing them one by one.
private struct PhiloxLayout {
    let key: (UInt32, UInt32)
    let counterLow: UInt64
    let counterHigh: UInt64
    let used: Int

    init?(_ state: [UInt64]) {
        guard state.count == 6 else { return nil }
        key = (UInt32(truncatingIfNeeded: state[0]), UInt32(truncatingIfNeeded: state[0] >> 32))
        counterLow = state[1]
        counterHigh = state[2]
        used = Int(state[3] & 0xFFFF_FFFF)
    }

    /// The counter of the block `k` blocks ahead (the generator adds to the low 64 bits).
    func counter(advancedBy k: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        let low = counterLow &+ k
        return (UInt32(truncatingIfNeeded: low), UInt32(truncatingIfNeeded: low >> 32),
                UInt32(truncatingIfNeeded: counterHigh), UInt32(truncatingIfNeeded: counterHigh >> 32))
    }

    /// The generator after `k` more whole blocks, with an empty buffer.
    func generator(advancedBy k: UInt64) -> PhiloxGenerator {
        let keyWord = UInt64(key.0) | UInt64(key.1) << 32
        return PhiloxGenerator(state: [keyWord, counterLow &+ k, counterHigh, 4, 0, 0])!
    }
}
