import Foundation

/// Philox4x32-10, the counter-based generator of Salmon et al. (SC'11), as used by
/// cuRAND, JAX and PyTorch's CUDA generator.
///
/// A generator is a key (from the seed) and a 128-bit counter whose upper 64 bits hold
/// the stream id, so `PhiloxGenerator(seed: s, stream: k)` for different `k` are
/// independent sequences. The whole state is six 32-bit words plus a buffer position and
/// is saved and restored exactly with `state` / `init(state:)`.
public struct PhiloxGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var key: (UInt32, UInt32)
    private var counter: (UInt32, UInt32, UInt32, UInt32)
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used: Int = 4  // words of `buffer` already handed out

    /// A generator for `seed`, on the independent sequence `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        counter = (0, 0, UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
    }

    /// The complete state as 4 words: key, counter low, counter high, buffer position and
    /// buffer (the buffer is recomputable but kept so restore needs no arithmetic).
    public var state: [UInt64] {
        [
            UInt64(key.0) | UInt64(key.1) << 32,
            UInt64(counter.0) | UInt64(counter.1) << 32,
            UInt64(counter.2) | UInt64(counter.3) << 32,
            UInt64(used) | UInt64(buffer.0) << 32,
            UInt64(buffer.1) | UInt64(buffer.2) << 32,
            UInt64(buffer.3),
        ]
    }

    /// Restores a generator from `state` (as produced by `state`); nil if malformed.
    public init?(state: [UInt64]) {
        guard state.count == 6, (state[3] & 0xFFFF_FFFF) <= 4, state[5] >> 32 == 0 else { return nil }
        key = (UInt32(truncatingIfNeeded: state[0]), UInt32(truncatingIfNeeded: state[0] >> 32))
        counter = (UInt32(truncatingIfNeeded: state[1]), UInt32(truncatingIfNeeded: state[1] >> 32),
                   UInt32(truncatingIfNeeded: state[2]), UInt32(truncatingIfNeeded: state[2] >> 32))
        used = Int(state[3] & 0xFFFF_FFFF)
        buffer = (UInt32(truncatingIfNeeded: state[3] >> 32), UInt32(truncatingIfNeeded: state[4]),
                  UInt32(truncatingIfNeeded: state[4] >> 32), UInt32(truncatingIfNeeded: state[5]))
    }

    public static func == (a: PhiloxGenerator, b: PhiloxGenerator) -> Bool { a.state == b.state }

    /// One Philox4x32-10 block: 4 random words for a counter and key.
    public static func block(counter c: (UInt32, UInt32, UInt32, UInt32),
                             key k: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        let m0: UInt64 = 0xD251_1F53, m1: UInt64 = 0xCD9E_8D57
        let w0: UInt32 = 0x9E37_79B9, w1: UInt32 = 0xBB67_AE85
        var (x0, x1, x2, x3) = c
        var (k0, k1) = k
        for round in 0..<10 {
            if round > 0 { k0 &+= w0; k1 &+= w1 }
            let p0 = m0 &* UInt64(x0), p1 = m1 &* UInt64(x2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (x0, x1, x2, x3) = (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0)
        }
        return (x0, x1, x2, x3)
    }

    private mutating func refill() {
        buffer = Self.block(counter: counter, key: key)
        used = 0
        // 64-bit increment of the low half; the high half is the stream id.
        counter.0 &+= 1
        if counter.0 == 0 { counter.1 &+= 1 }
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if used == 4 { refill() }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    public mutating func next() -> UInt64 {
        UInt64(next32()) | UInt64(next32()) << 32
    }

    /// Uniform in [0, 1) with 24 random bits (every Float32 step in the interval).
    public mutating func nextUniform() -> Float {
        Float(next32() >> 8) * (1.0 / 16_777_216.0)
    }

    /// Standard normal by Box–Muller (uses two uniforms per value; the cosine branch only,
    /// so the sequence does not depend on call parity).
    public mutating func nextNormal() -> Float {
        let u1 = (Double(next32()) + 1) / 4_294_967_297.0  // (0, 1], log is finite
        let u2 = Double(next32()) / 4_294_967_296.0
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
