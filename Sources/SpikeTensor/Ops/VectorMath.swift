import Foundation

/// Eight-lane exp, sigmoid and tanh for the fused kernels (softmax, cross-entropy, LSTM gates).
///
/// libm's scalar `expf`/`tanhf` dominate those loops; these are Cephes-style polynomial
/// forms accurate to a few ulp (exp) or ~1e-7 absolute (tanh), checked against Double in
/// the tests. NaN inputs give NaN.
enum VectorMath {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// e^x per lane. Inputs are clamped to [−87, 88] so the result stays a normal float
    /// (e^−87 ≈ 1.6e−38 stands in for smaller values, e^88 ≈ 1.7e38 for larger).
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        // Blends rather than pointwiseMin/Max: those are out-of-line calls in the standard library.
        let low = Vector(repeating: -87), high = Vector(repeating: 88)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // x = n·ln2 + r with |r| ≤ ln2/2; ln2 is split in two parts so r is exact.
        // Round to nearest by adding and removing 1.5·2²³ (baseline x86-64 has no vector round).
        let n = (clamped * 1.442_695_04 + 12_582_912) - 12_582_912
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * (r * r) + r + 1
        // 2^n built from its exponent bits: adding 2^23 + 127 puts n + 127 in the low mantissa bits.
        let biased = unsafeBitCast(n + 8_388_735, to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast(biased &<< 23, to: Vector.self)
        return (y * scale).replacing(with: x, where: x .!= x)
    }

    /// 1 / (1 + e^−x) per lane.
    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }

    /// tanh per lane: an odd polynomial near 0 (keeps relative accuracy for small x),
    /// `1 − 2/(e^{2|x|} + 1)` with the sign restored elsewhere.
    @inline(__always)
    static func tanh(_ x: Vector) -> Vector {
        let a = magnitude(x)
        let large = 1 - 2 / (exp(2 * a) + 1)
        let z = x * x
        var p = Vector(repeating: -5.704_988_72e-3)
        p = p * z + 2.063_908_88e-2
        p = p * z - 5.373_971_55e-2
        p = p * z + 1.333_144_22e-1
        p = p * z - 3.333_328_19e-1
        let small = p * z * a + a
        let t = small.replacing(with: large, where: a .>= 0.625)
        return t.replacing(with: -t, where: x .< 0).replacing(with: x, where: x .!= x)
    }

    /// |x| per lane (clears the sign bit).
    @inline(__always)
    static func magnitude(_ x: Vector) -> Vector {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Vector.self)
    }

    /// Scalar forms that give exactly the lane results, for loop remainders.
    @inline(__always) static func exp(_ x: Float) -> Float { exp(Vector(repeating: x))[0] }
    @inline(__always) static func sigmoid(_ x: Float) -> Float { sigmoid(Vector(repeating: x))[0] }
    @inline(__always) static func tanh(_ x: Float) -> Float { tanh(Vector(repeating: x))[0] }

    /// Loads and stores either eight lanes, or one value placed in every lane (loop tails), so
    /// one body of lane arithmetic serves both and gives the same result for each element.
    struct LaneAccess {
        let full: Bool

        @inline(__always)
        func load(_ p: UnsafePointer<Float>) -> Vector {
            full ? VectorMath.load(p) : Vector(repeating: p[0])
        }

        @inline(__always)
        func load(_ p: UnsafeMutablePointer<Float>) -> Vector { load(UnsafePointer(p)) }

        @inline(__always)
        func store(_ v: Vector, to p: UnsafeMutablePointer<Float>) {
            if full { VectorMath.store(v, to: p) } else { p[0] = v[0] }
        }
    }

    /// Runs `body` for `j = 0, 8, 16, …` with full lanes, then for each remaining j alone
    /// (element-wise work only: a tail's lanes all hold the same element).
    @inline(__always)
    static func forEachLane(_ count: Int, _ body: (Int, LaneAccess) -> Void) {
        var j = 0
        while j + 8 <= count { body(j, LaneAccess(full: true)); j += 8 }
        while j < count { body(j, LaneAccess(full: false)); j += 1 }
    }

    /// Σ over `count` elements of `term`, eight at a time; a tail element counts once.
    @inline(__always)
    static func sum(_ count: Int, _ term: (Int, LaneAccess) -> Vector) -> Float {
        var lanes = Vector(), tail: Float = 0
        forEachLane(count) { j, access in
            let v = term(j, access)
            if access.full { lanes += v } else { tail += v[0] }
        }
        return lanes.sum() + tail
    }
}
