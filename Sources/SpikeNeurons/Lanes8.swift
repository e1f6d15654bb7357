/// Loads and stores of eight `Float` lanes at a time, with a partial form for the ragged end of
/// a row, so one vector code path serves every width.
enum Lanes8 {
    /// Eight consecutive floats; lanes past `n` (when n < 8) read as zero.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ n: Int) -> SIMD8<Float> {
        if n == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>()
        for i in 0..<n { v[i] = p[i] }
        return v
    }

    /// Writes the first `n` lanes of `v` (all eight when n == 8).
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
            return
        }
        for i in 0..<n { p[i] = v[i] }
    }

    /// All ones in the lanes where x's sign bit is set, zeros elsewhere (an arithmetic shift).
    @inline(__always)
    static func signMask(_ x: SIMD8<Float>) -> SIMD8<UInt32> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<Int32>.self) &>> 31, to: SIMD8<UInt32>.self)
    }

    /// `a` where `mask` is all ones, `b` where it is zero: three bitwise operations.
    @inline(__always)
    static func select(_ mask: SIMD8<UInt32>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        let bitsA = unsafeBitCast(a, to: SIMD8<UInt32>.self), bitsB = unsafeBitCast(b, to: SIMD8<UInt32>.self)
        return unsafeBitCast((bitsA & mask) | (bitsB & ~mask), to: SIMD8<Float>.self)
    }

    /// −|x| lane-wise (the sign bit set).
    @inline(__always)
    static func negativeMagnitude(_ x: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) | 0x8000_0000, to: SIMD8<Float>.self)
    }

    /// 1 where `mask` is set, else 0.
    @inline(__always)
    static func indicator(_ mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: 1, where: mask)
    }

    /// `Surrogate.derivative` for eight lanes, in vector registers. atan, rectangle and triangle
    /// do `Surrogate`'s operations in its order lane-wise, so they give its bits (tested);
    /// sigmoid uses the vector exp below (within 1e-6 relative of exact, tested).
    @inline(__always)
    static func surrogateDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .sigmoid: return alpha * logisticSlope(alpha * x)
        case .atan:
            let u = Float.pi / 2 * alpha * x
            return SIMD8(repeating: alpha / 2) / (1 + u * u)
        case .rectangle:
            return SIMD8<Float>().replacing(with: 1 / alpha, where: magnitude(x) .< alpha / 2)
        case .triangle:
            return pointwiseMax(SIMD8<Float>(), (1 - magnitude(x) / alpha) / alpha)
        }
    }

    /// `Surrogate.alphaDerivative` for eight lanes (vectorised as above; the same bits except sigmoid).
    @inline(__always)
    static func surrogateAlphaDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .sigmoid: return x * logisticSlope(alpha * x)
        case .atan:
            let u = Float.pi / 2 * alpha * x
            return (x / 2) / (1 + u * u)
        // Negation as `· −1`: SIMD's prefix minus is 0 − x, which turns +0 into +0, not −0.
        case .rectangle:
            return SIMD8<Float>().replacing(with: (x * -1) / (alpha * alpha), where: magnitude(x) .< alpha / 2)
        case .triangle:
            let below = ((1 + x / alpha) * -1) * x / (alpha * alpha), above = ((1 - x / alpha) * -1) * x / (alpha * alpha)
            return SIMD8<Float>().replacing(with: above.replacing(with: below, where: x .< 0),
                                            where: magnitude(x) .< alpha)
        }
    }

    /// |x| lane-wise (the sign bit cleared, as `Swift.abs` does for a Float).
    @inline(__always)
    static func magnitude(_ x: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    /// σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e) below, e = exp(−|z|) ≤ 1, so nothing overflows.
    @inline(__always)
    static func logistic(_ z: SIMD8<Float>) -> SIMD8<Float> {
        // Sign-bit masks and bitwise selects: `replacing(with:where:)` on `z .< 0` compiled to lane
        // extracts here (13 % of the RPSU kernel). Same bits: −0 takes the e·r branch, where
        // e = 1 and e·r = r.
        let negative = signMask(z)
        let e = expNonPositive(negativeMagnitude(z))  // exp(−|z|)
        let r = 1 / (1 + e)  // one division for both branches
        return select(negative, e * r, r)
    }

    /// σ(z)(1 − σ(z)) = e/(1 + e)² with e = exp(−|z|) ≤ 1, so nothing overflows.
    @inline(__always)
    static func logisticSlope(_ z: SIMD8<Float>) -> SIMD8<Float> {
        let e = expNonPositive(negativeMagnitude(z))  // exp(−|z|)
        let d = 1 + e
        return e / (d * d)
    }

    /// exp(x) for x ≤ 0, within 2 ulp of `Foundation.exp` (tested), in vector registers:
    /// exp(x) = 2ⁿ·exp(r) with n = round(x/ln 2), |r| ≤ ln 2/2, exp(r) by its Taylor series to
    /// r⁷ (truncation < 1e-8 relative). x is clamped at −87 so 2ⁿ stays a normal number; the
    /// true value there (< 2e-38) is below anything a surrogate gradient resolves.
    @inline(__always)
    static func expNonPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // max(x, −87) in integer lanes: among negative floats a larger magnitude is a larger
        // bit pattern (a +0 has its sign bit clear and is never below).
        let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
        let limit = unsafeBitCast(SIMD8<Float>(repeating: -87), to: SIMD8<Int32>.self)
        let below = signMask(x) & unsafeBitCast((limit &- bits) &>> 31, to: SIMD8<UInt32>.self)  // x < −87
        let x = select(below, SIMD8(repeating: -87), x)
        // Adding 1.5·2²³ rounds x/ln 2 to the nearest integer in the low mantissa bits.
        let shifter: Float = 12_582_912
        let t = x * 1.442_695_04 + shifter
        let n = t - shifter
        let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6  // ln 2 split: hi exact in n·hi
        // Horner steps as fused multiply-adds (one instruction each with FMA, and one rounding).
        var p = SIMD8<Float>(repeating: 1.0 / 5040)
        p = SIMD8(repeating: 1.0 / 720).addingProduct(p, r)
        p = SIMD8(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD8(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD8(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD8(repeating: 0.5).addingProduct(p, r)
        p = SIMD8(repeating: 1).addingProduct(p, r)
        p = SIMD8(repeating: 1).addingProduct(p, r)
        // 2ⁿ from n's integer bits: (n + 127) << 23.
        let nBits = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(SIMD8<Float>(repeating: shifter), to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((nBits &+ 127) &* (1 << 23), to: SIMD8<Float>.self)
        return p * scale
    }
}

/// A fused neuron kernel over a [steps, width] row-major layout that walks the neurons in
/// groups of eight lanes (`Lanes8`) and splits the groups into parallel chunks.
protocol EightLaneKernel {
    var steps: Int { get }
    var width: Int { get }
}

extension EightLaneKernel {
    /// Groups of eight neurons per parallel chunk: about 32 Ki neuron-steps of work each.
    var minGroupsPerChunk: Int { max(1, (1 << 15) / (8 * max(1, steps))) }

    /// The neuron range `0..<width` covered by eight-lane groups `groups`.
    @inline(__always) func neurons(_ groups: Range<Int>) -> Range<Int> {
        (groups.lowerBound * 8)..<min(groups.upperBound * 8, width)
    }
}

/// A surrogate kind fixed at compile time, so a kernel generic over it has no per-vector
/// switch on `Surrogate.Kind` in its hot loop (each kind's loop is its own specialisation).
protocol LaneSurrogate {
    static var kind: Surrogate.Kind { get }
}

extension LaneSurrogate {
    @inline(__always) static func derivative(_ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        Lanes8.surrogateDerivative(kind, alpha, x)
    }
    @inline(__always) static func alphaDerivative(_ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        Lanes8.surrogateAlphaDerivative(kind, alpha, x)
    }
}

enum SigmoidLanes: LaneSurrogate { static var kind: Surrogate.Kind { .sigmoid } }
enum AtanLanes: LaneSurrogate { static var kind: Surrogate.Kind { .atan } }
enum RectangleLanes: LaneSurrogate { static var kind: Surrogate.Kind { .rectangle } }
enum TriangleLanes: LaneSurrogate { static var kind: Surrogate.Kind { .triangle } }
