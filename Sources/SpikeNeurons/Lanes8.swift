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

    /// `Surrogate.derivative` lane by lane (the kind is hoisted out of the lane loop).
    @inline(__always)
    static func surrogateDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        switch kind {
        case .sigmoid: for i in 0..<8 { r[i] = Surrogate.derivative(.sigmoid, alpha, x[i]) }
        case .atan: for i in 0..<8 { r[i] = Surrogate.derivative(.atan, alpha, x[i]) }
        case .rectangle: for i in 0..<8 { r[i] = Surrogate.derivative(.rectangle, alpha, x[i]) }
        case .triangle: for i in 0..<8 { r[i] = Surrogate.derivative(.triangle, alpha, x[i]) }
        }
        return r
    }

    /// `Surrogate.alphaDerivative` lane by lane.
    @inline(__always)
    static func surrogateAlphaDerivative(_ kind: Surrogate.Kind, _ alpha: Float, _ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        switch kind {
        case .sigmoid: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.sigmoid, alpha, x[i]) }
        case .atan: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.atan, alpha, x[i]) }
        case .rectangle: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.rectangle, alpha, x[i]) }
        case .triangle: for i in 0..<8 { r[i] = Surrogate.alphaDerivative(.triangle, alpha, x[i]) }
        }
        return r
    }
}
