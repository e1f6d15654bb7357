/// `Lanes8`'s per-lane operations for one `Float`: the same operations in the same order, so
/// each gives the bits of one lane of its `SIMD8` counterpart (the kernels' bit-for-bit tests
/// cover every surrogate through both).
///
/// Why: a loop over Floats written with these is handed to LLVM's loop vectoriser, which emits
/// full-width AVX for it, where the `SIMD8<Float>` forms are per-lane loops that the SLP
/// vectoriser partly reassembles (in the IF / LIF / PLIF backward, half the surrogate ran as
/// two 128-bit halves; docs/neurons.md, "Float loops in the IF / LIF / PLIF kernels").
enum FloatLane {
    /// All ones where x's sign bit is set, zero otherwise (`Lanes8.signMask`).
    @inline(__always)
    static func signMask(_ x: Float) -> UInt32 { UInt32(bitPattern: Int32(bitPattern: x.bitPattern) &>> 31) }

    /// `a` where `mask` is all ones, `b` where it is zero (`Lanes8.select`).
    @inline(__always)
    static func select(_ mask: UInt32, _ a: Float, _ b: Float) -> Float {
        Float(bitPattern: (a.bitPattern & mask) | (b.bitPattern & ~mask))
    }

    /// |x| (`Lanes8.magnitude`).
    @inline(__always)
    static func magnitude(_ x: Float) -> Float { Float(bitPattern: x.bitPattern & 0x7FFF_FFFF) }

    /// −|x| (`Lanes8.negativeMagnitude`).
    @inline(__always)
    static func negativeMagnitude(_ x: Float) -> Float { Float(bitPattern: x.bitPattern | 0x8000_0000) }

    /// `Lanes8.expNonPositive` for one value (its comments say why each step is as it is).
    @inline(__always)
    static func expNonPositive(_ x: Float) -> Float {
        let bits = Int32(bitPattern: x.bitPattern)
        let limit = Int32(bitPattern: Float(-87).bitPattern)
        let below = signMask(x) & UInt32(bitPattern: (limit &- bits) &>> 31)
        let x = select(below, -87, x)
        let shifter: Float = 12_582_912
        let t = x * 1.442_695_04 + shifter
        let n = t - shifter
        let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6
        // The coefficients as Float divisions, as `SIMD8<Float>(repeating: 1.0 / 720)` forms them.
        let one: Float = 1
        var p: Float = one / 5040
        p = (one / 720).addingProduct(p, r)
        p = (one / 120).addingProduct(p, r)
        p = (one / 24).addingProduct(p, r)
        p = (one / 6).addingProduct(p, r)
        p = Float(0.5).addingProduct(p, r)
        p = one.addingProduct(p, r)
        p = one.addingProduct(p, r)
        let nBits = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: shifter.bitPattern)
        let scale = Float(bitPattern: UInt32(bitPattern: (nBits &+ 127) &* (1 << 23)))
        return p * scale
    }

    /// σ(z)(1 − σ(z)) (`Lanes8.logisticSlope`).
    @inline(__always)
    static func logisticSlope(_ z: Float) -> Float {
        let e = expNonPositive(negativeMagnitude(z))
        let d = 1 + e
        return e / (d * d)
    }

    /// `Lanes8.surrogateDerivative` for one value.
    @inline(__always)
    static func surrogateDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: Float) -> Float {
        switch kind {
        case .sigmoid: return alpha * logisticSlope(alpha * x)
        case .atan:
            let u = Float.pi / 2 * alpha * x
            return (alpha / 2) / (1 + u * u)
        case .rectangle:
            return magnitude(x) < alpha / 2 ? 1 / alpha : 0
        case .triangle:
            return Float.maximum(0, (1 - magnitude(x) / alpha) / alpha)
        }
    }

    /// `Lanes8.surrogateAlphaDerivative` for one value.
    @inline(__always)
    static func surrogateAlphaDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: Float) -> Float {
        switch kind {
        case .sigmoid: return x * logisticSlope(alpha * x)
        case .atan:
            let u = Float.pi / 2 * alpha * x
            return (x / 2) / (1 + u * u)
        case .rectangle:
            return magnitude(x) < alpha / 2 ? (x * -1) / (alpha * alpha) : 0
        case .triangle:
            let below = ((1 + x / alpha) * -1) * x / (alpha * alpha), above = ((1 - x / alpha) * -1) * x / (alpha * alpha)
            return magnitude(x) < alpha ? (x < 0 ? below : above) : 0
        }
    }
}

extension LaneSurrogate {
    @inline(__always) static func derivative(_ alpha: Float, _ x: Float) -> Float {
        FloatLane.surrogateDerivative(kind, alpha, x)
    }
    @inline(__always) static func alphaDerivative(_ alpha: Float, _ x: Float) -> Float {
        FloatLane.surrogateAlphaDerivative(kind, alpha, x)
    }
}

extension FloatRow {
    /// A row only read from (the raw loads never write through it).
    @inline(__always) init(_ row: UnsafePointer<Float>) { self.init(UnsafeMutablePointer(mutating: row)) }
}
