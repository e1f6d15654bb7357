import Foundation

/// Walks a tensor seen as `[outer, length, inner]` around one axis, for kernels that reduce
/// along that axis (softmax, cross-entropy, layer norm).
///
/// Each of the `outer·inner` columns holds `length` values with stride `inner`. With
/// `inner == 1` a column is a contiguous row; otherwise eight neighbouring columns are
/// adjacent in memory and are handled together as the eight lanes of a SIMD vector.
enum AxisKernels {
    typealias Vector = VectorMath.Vector

    /// A unit of work: eight adjacent columns as lanes, or one column.
    enum Block {
        /// Columns `base, base+1, …, base+7` (element offsets of their first values).
        case lanes(base: Int)
        /// The column starting at element `base`.
        case column(base: Int)
    }

    /// Calls `body` for every block, in parallel over disjoint blocks (deterministic chunking).
    @inline(__always)
    static func forEachBlock(outer: Int, length: Int, inner: Int, _ body: (Block) -> Void) {
        guard length > 0 else { return }
        if inner == 1 {
            parallelChunks(outer, minChunk: max(1, 16384 / length)) { range in
                for row in range { body(.column(base: row * length)) }
            }
            return
        }
        let blocksPerOuter = (inner + 7) / 8
        parallelChunks(outer * blocksPerOuter, minChunk: max(1, 2048 / length)) { range in
            for item in range {
                let o = item / blocksPerOuter, first = (item % blocksPerOuter) * 8
                let base = o * length * inner + first
                if first + 8 <= inner {
                    body(.lanes(base: base))
                } else {
                    for k in 0..<(inner - first) { body(.column(base: base + k)) }
                }
            }
        }
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> Vector { VectorMath.load(p) }

    /// Largest of `n` values `p[0], p[stride], …` (−∞ when empty; NaNs are skipped).
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
        var m = -Float.infinity
        var j = 0
        if stride == 1 && n >= 8 {
            var v = Vector(repeating: -.infinity)
            // A blend, not pointwiseMax: the latter is an out-of-line call in the standard library.
            while j + 8 <= n { let w = load8(p + j); v.replace(with: w, where: w .> v); j += 8 }
            m = v.max()
        }
        while j < n { m = max(m, p[j * stride]); j += 1 }
        return m
    }

    /// Lane-wise maximum over `n` vectors at `p, p + stride, …`.
    @inline(__always)
    static func laneMaximum(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Vector {
        var v = Vector(repeating: -.infinity)
        for j in 0..<n { let w = load8(p + j * stride); v.replace(with: w, where: w .> v) }
        return v
    }

    /// Sum of `n` values `p[0], p[stride], …`.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
        var s: Float = 0
        var j = 0
        if stride == 1 && n >= 8 {
            var v = Vector()
            while j + 8 <= n { v += load8(p + j); j += 8 }
            s = v.sum()
        }
        while j < n { s += p[j * stride]; j += 1 }
        return s
    }

    /// Lane-wise sum over `n` vectors at `p, p + stride, …`.
    @inline(__always)
    static func laneSum(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Vector {
        var v = Vector()
        for j in 0..<n { v += load8(p + j * stride) }
        return v
    }

    /// Dot product of two columns with the same layout.
    @inline(__always)
    static func dot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
        var s: Float = 0
        var j = 0
        if stride == 1 && n >= 8 {
            var v = Vector()
            while j + 8 <= n { v += load8(p + j) * load8(q + j); j += 8 }
            s = v.sum()
        }
        while j < n { s += p[j * stride] * q[j * stride]; j += 1 }
        return s
    }

    /// Σ_j e^{p[j·stride] − shift}, also writing each term to `out` when given.
    @inline(__always)
    static func sumOfShiftedExp(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int, shift: Float,
                                writingTo out: UnsafeMutablePointer<Float>?) -> Float {
        var s: Float = 0
        var j = 0
        if stride == 1 && n >= 8 {
            var v = Vector()
            let m = Vector(repeating: shift)
            while j + 8 <= n {
                let e = VectorMath.exp(load8(p + j) - m)
                if let out { VectorMath.store(e, to: out + j) }
                v += e
                j += 8
            }
            s = v.sum()
        }
        while j < n {
            let e = VectorMath.exp(p[j * stride] - shift)
            out?[j * stride] = e
            s += e
            j += 1
        }
        return s
    }

    /// Natural log per lane (a scalar log for each of the eight lanes).
    @inline(__always)
    static func laneLog(_ v: Vector) -> Vector {
        var r = Vector()
        for k in 0..<8 { r[k] = Foundation.log(v[k]) }
        return r
    }
}
