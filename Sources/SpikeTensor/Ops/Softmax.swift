import Foundation

/// `exp(x) / Σ exp(x)` along `axis` (negative counts from the end), computed stably.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    normalizedExponential(x, axis: axis, log: false)
}

/// `x − log Σ exp(x)` along `axis` (negative counts from the end), computed stably.
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    normalizedExponential(x, axis: axis, log: true)
}

/// Shared body of softmax and log-softmax: both see the tensor as `[outer, length, inner]`
/// around the axis and treat each of the `outer·inner` columns (stride `inner`) alone.
private func normalizedExponential(_ x: Tensor, axis: Int, log: Bool) -> Tensor {
    let name = log ? "logSoftmax" : "softmax"
    precondition(x.dtype == .float32, "\(name) needs a float32 tensor, got \(x.dtype)")
    precondition(x.rank >= 1, "\(name) needs a tensor of rank 1 or more, got a 0-d tensor")
    precondition(axis >= -x.rank && axis < x.rank,
                 "\(name): axis \(axis) is out of range for shape \(x.shape)")
    let a = axis < 0 ? axis + x.rank : axis
    let length = x.shape[a]
    let inner = x.shape[(a + 1)...].reduce(1, *)
    let columns = length == 0 ? 0 : x.count / length
    let out = Tensor(shape: x.shape, uninitialized: true)
    let src = UnsafePointer(x.floats.baseAddress!), dst = out.floats.baseAddress!

    parallelChunks(columns, minChunk: max(1, 16384 / max(1, length))) { range in
        for column in range {
            let base = (column / inner) * length * inner + column % inner
            let xs = src + base, ys = dst + base
            let m = AxisKernels.maximum(xs, length, inner)
            // Subtracting the maximum keeps every exponent ≤ 0, so nothing overflows.
            var sum: Float = 0
            for j in 0..<length {
                let e = Foundation.exp(xs[j * inner] - m)
                ys[j * inner] = e
                sum += e
            }
            if log {
                let shift = m + Foundation.log(sum)
                for j in 0..<length { ys[j * inner] = xs[j * inner] - shift }
            } else {
                let scale = 1 / sum
                for j in 0..<length { ys[j * inner] *= scale }
            }
        }
    }

    // Saved: the output only (a storage-sharing view without graph links, so the closure
    // does not keep its own node alive). Both gradients are functions of y alone.
    let y = out.detached()
    return Tensor.record(name, output: out, inputs: [x]) { g in
        let gx = Tensor(shape: x.shape, uninitialized: true)
        let pg = UnsafePointer(g.floats.baseAddress!), py = UnsafePointer(y.floats.baseAddress!)
        let pgx = gx.floats.baseAddress!
        parallelChunks(columns, minChunk: max(1, 16384 / max(1, length))) { range in
            for column in range {
                let base = (column / inner) * length * inner + column % inner
                let gs = pg + base, ys = py + base, dx = pgx + base
                if log {
                    // d/dx of log-softmax: g − softmax·Σg, with softmax = exp(y).
                    let total = AxisKernels.sum(gs, length, inner)
                    for j in 0..<length { dx[j * inner] = gs[j * inner] - Foundation.exp(ys[j * inner]) * total }
                } else {
                    // d/dx of softmax: y ⊙ (g − ⟨g, y⟩).
                    let dot = AxisKernels.dot(gs, ys, length, inner)
                    for j in 0..<length { dx[j * inner] = ys[j * inner] * (gs[j * inner] - dot) }
                }
            }
        }
        return [gx]
    }
}

/// Reductions along one strided column, with a SIMD path for contiguous rows.
enum AxisKernels {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Largest of `n` values `p[0], p[stride], …` (−∞ when empty).
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
        var m = -Float.infinity
        var j = 0
        if stride == 1 && n >= 8 {
            var v = SIMD8<Float>(repeating: -.infinity)
            while j + 8 <= n { v = pointwiseMax(v, load8(p + j)); j += 8 }
            m = v.max()
        }
        while j < n { m = max(m, p[j * stride]); j += 1 }
        return m
    }

    /// Sum of `n` values `p[0], p[stride], …`.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
        var s: Float = 0
        var j = 0
        if stride == 1 && n >= 8 {
            var v = SIMD8<Float>()
            while j + 8 <= n { v += load8(p + j); j += 8 }
            s = v.sum()
        }
        while j < n { s += p[j * stride]; j += 1 }
        return s
    }

    /// Dot product of two columns with the same layout.
    @inline(__always)
    static func dot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
        var s: Float = 0
        var j = 0
        if stride == 1 && n >= 8 {
            var v = SIMD8<Float>()
            while j + 8 <= n { v += load8(p + j) * load8(q + j); j += 8 }
            s = v.sum()
        }
        while j < n { s += p[j * stride] * q[j * stride]; j += 1 }
        return s
    }
}
