// Eight-lane exp, expm1, tanh and sigmoid in plain SIMD arithmetic (no libm calls), so the
// activations that dominate spiking and recurrent models stay vectorised.
//
// Both exponentials reduce x = n·ln2 + r with |r| ≤ ln2/2 and evaluate a Taylor polynomial of
// r (degree 7 for exp, 8 for expm1; truncation error below 1e-8 relative), then scale by 2ⁿ
// built directly in the exponent bits. Results agree with libm to a few ulp.

enum LaneMath {
    static let log2e: Float = 1.442_695_04
    // ln 2 split so that n·ln2Hi is exact for |n| < 2¹⁵ (ln2Hi has 9 significant bits).
    static let ln2Hi: Float = 0.693_359_375
    static let ln2Lo: Float = -2.121_944_400_546_905_8e-4
    // Adding 1.5·2²³ rounds a float to an integer kept in the low mantissa bits.
    static let roundingMagic: Float = 12_582_912
    static let roundingMagicBits = Int32(bitPattern: 0x4B40_0000)

    /// Splits x into n (as float and as integer) and r = x − n·ln2.
    @inline(__always)
    static func reduce(_ x: Lanes) -> (n: Lanes, ni: SIMD8<Int32>, r: Lanes) {
        let t = x * Lanes(repeating: log2e) + Lanes(repeating: roundingMagic)
        let n = t - Lanes(repeating: roundingMagic)
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: roundingMagicBits)
        let r = (x - n * Lanes(repeating: ln2Hi)) - n * Lanes(repeating: ln2Lo)
        return (n, ni, r)
    }

    /// 2ⁿ for n in [−126, 127], built in the exponent bits.
    @inline(__always)
    static func powerOfTwo(_ n: SIMD8<Int32>) -> Lanes {
        unsafeBitCast((n &+ SIMD8<Int32>(repeating: 127)) &<< SIMD8<Int32>(repeating: 23), to: Lanes.self)
    }

    /// eˣ; overflows to +∞ above ~88.72, underflows through subnormals to 0; NaN propagates.
    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        // Clamping keeps n in [−150, 128]; NaN fails both comparisons and passes through.
        var xc = x.replacing(with: 89, where: x .> 89)
        xc.replace(with: -104, where: xc .< -104)
        let (_, ni, r) = reduce(xc)
        var p = Lanes(repeating: 1.0 / 5040)
        p = p * r + Lanes(repeating: 1.0 / 720)
        p = p * r + Lanes(repeating: 1.0 / 120)
        p = p * r + Lanes(repeating: 1.0 / 24)
        p = p * r + Lanes(repeating: 1.0 / 6)
        p = p * r + Lanes(repeating: 0.5)
        p = p * r + Lanes(repeating: 1)
        p = p * r + Lanes(repeating: 1)
        // 2ⁿ in two halves, since n itself may leave the normal exponent range.
        let half = ni &>> SIMD8<Int32>(repeating: 1)
        return p * powerOfTwo(half) * powerOfTwo(ni &- half)
    }

    /// eˣ − 1, accurate relative to the result also for tiny |x|.
    @inline(__always)
    static func expm1(_ x: Lanes) -> Lanes {
        // expm1 is −1 in float below −17; above 88 the result only matters as +∞ (set below).
        var xc = x.replacing(with: 88, where: x .> 88)
        xc.replace(with: -30, where: xc .< -30)
        let (_, ni, r) = reduce(xc)
        var q = Lanes(repeating: 1.0 / 40320)
        q = q * r + Lanes(repeating: 1.0 / 5040)
        q = q * r + Lanes(repeating: 1.0 / 720)
        q = q * r + Lanes(repeating: 1.0 / 120)
        q = q * r + Lanes(repeating: 1.0 / 24)
        q = q * r + Lanes(repeating: 1.0 / 6)
        q = q * r + Lanes(repeating: 0.5)
        q = q * (r * r) + r                      // expm1(r)
        let s = powerOfTwo(ni)                   // n ≤ 127 after the clamp
        // 2ⁿ(1 + q) − 1 = (2ⁿ − 1) + 2ⁿq; for n = 0 this is exactly q, with no cancellation.
        var y = (s - Lanes(repeating: 1)) + s * q
        y.replace(with: .infinity, where: x .> 88.722_83)
        return y
    }

    /// tanh x = −expm1(−2|x|) / (2 + expm1(−2|x|)), with the sign of x restored.
    @inline(__always)
    static func tanh(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let sign = bits & SIMD8<UInt32>(repeating: 0x8000_0000)
        let magnitude = unsafeBitCast(bits & SIMD8<UInt32>(repeating: 0x7FFF_FFFF), to: Lanes.self)
        let e = expm1(Lanes(repeating: -2) * magnitude)
        let y = -e / (Lanes(repeating: 2) + e)
        return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | sign, to: Lanes.self)
    }

    /// 1 / (1 + e⁻ˣ).
    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes {
        Lanes(repeating: 1) / (Lanes(repeating: 1) + exp(-x))
    }
}
