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

    /// 1 where `mask` is set, else 0.
    @inline(__always)
    static func indicator(_ mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: 1, where: mask)
    }

    /// `Surrogate.derivative` for eight lanes: sigmoid in vector registers (within 1e-6
    /// relative of exact, tested), the others lane by lane with the kind hoisted.
    @inline(__always)
    static func surrogateDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        switch kind {
        case .sigmoid: return alpha * logisticSlope(alpha * x)
        case .atan: for i in 0..<8 { r[i] = Surrogate.derivative(.atan, alpha, x[i]) }
        case .rectangle: for i in 0..<8 { r[i] = Surrogate.derivative(.rectangle, alpha, x[i]) }
        case .triangle: for i in 0..<8 { r[i] = Surrogate.derivative(.triangle, alpha, x[i]) }
        }
        return r
    }

    /// `Surrogate.alphaDerivative` for eight lanes (sigmoid vectorised as above).
    @inline(__always)
    static func surrogateAlphaDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        switch kind {
        case .sigmoid: return x * logisticSlope(alpha * x)
        case .atan: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.atan, alpha, x[i]) }
        case .rectangle: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.rectangle, alpha, x[i]) }
        case .triangle: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.triangle, alpha, x[i]) }
        }
        return r
    }

    /// σ(z)(1 − σ(z)) = e/(1 + e)² with e = exp(−|z|) ≤ 1, so nothing overflows.
    @inline(__always)
    static func logisticSlope(_ z: SIMD8<Float>) -> SIMD8<Float> {
        let e = expNonPositive((-z).replacing(with: z, where: z .< 0))  // exp(−|z|)
        let d = 1 + e
        return e / (d * d)
    }

    /// exp(x) for x ≤ 0, within 2 ulp of `Foundation.exp` (tested), in vector registers:
    /// exp(x) = 2ⁿ·exp(r) with n = round(x/ln 2), |r| ≤ ln 2/2, exp(r) by its Taylor series to
    /// r⁷ (truncation < 1e-8 relative). x is clamped at −87 so 2ⁿ stays a normal number; the
    /// true value there (< 2e-38) is below anything a surrogate gradient resolves.
    @inline(__always)
    static func expNonPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x = x.replacing(with: -87, where: x .< -87)
        // Adding 1.5·2²³ rounds x/ln 2 to the nearest integer in the low mantissa bits.
        let shifter: Float = 12_582_912
        let t = x * 1.442_695_04 + shifter
        let n = t - shifter
        let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6  // ln 2 split: hi exact in n·hi
        var p = SIMD8<Float>(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2ⁿ from n's integer bits: (n + 127) << 23.
        let nBits = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(SIMD8<Float>(repeating: shifter), to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((nBits &+ 127) &* (1 << 23), to: SIMD8<Float>.self)
        return p * scale
    }
}
