/// How a loss combines its per-element values (PyTorch's `reduction`).
public enum Reduction: String, Sendable, CaseIterable {
    /// Average over the elements (over non-ignored targets for cross-entropy).
    case mean
    /// Sum over the elements.
    case sum
    /// One loss value per element, no reduction.
    case none
}

/// Sum of per-chunk partials over `0..<count`, deterministic for a given thread count: the
/// chunks are fixed by `count`, `minChunk` and `Threads.count`, each partial is a Double,
/// and partials are added in chunk order.
func chunkedSum(_ count: Int, minChunk: Int, _ partial: (Range<Int>) -> Double) -> Double {
    let chunks = chunkCount(count, minChunk: minChunk)
    var partials = [Double](repeating: 0, count: chunks)
    partials.withUnsafeMutableBufferPointer { buffer in
        let p = buffer.baseAddress!
        parallelChunks(chunks, minChunk: 1) { range in
            for c in range { p[c] = partial(chunkRange(c, of: chunks, count: count)) }
        }
    }
    var total = 0.0
    for s in partials { total += s }
    return total
}

/// The factor each element's gradient gets from the loss's output gradient `g`: `g[i]`
/// without reduction, `g` for a sum, `g / divisor` for a mean (0 when nothing was averaged).
struct LossGradientScale {
    private let perElement: UnsafePointer<Float>?
    private let uniform: Float

    init(_ g: Tensor, reduction: Reduction, divisor: Int) {
        let pg = UnsafePointer(g.floats.baseAddress!)
        switch reduction {
        case .none: perElement = pg; uniform = 0
        case .sum: perElement = nil; uniform = pg[0]
        case .mean: perElement = nil; uniform = divisor > 0 ? pg[0] / Float(divisor) : 0
        }
    }

    @inline(__always)
    subscript(_ i: Int) -> Float { perElement.map { $0[i] } ?? uniform }
}

/// Applies `reduction` to the per-element losses `term(i)` for a tensor of `shape`.
@inline(__always)
func reduceLoss(shape: [Int], reduction: Reduction, _ term: (Int) -> Float) -> Tensor {
    let count = Tensor.elementCount(shape)
    switch reduction {
    case .none:
        let out = Tensor(shape: shape, uninitialized: true)
        let p = out.floats.baseAddress!
        parallelChunks(count, minChunk: 1 << 15) { range in for i in range { p[i] = term(i) } }
        return out
    case .sum, .mean:
        let total = chunkedSum(count, minChunk: 1 << 15) { range in
            var s = 0.0
            for i in range { s += Double(term(i)) }
            return s
        }
        // An empty mean is NaN, as in PyTorch.
        return Tensor.scalar(Float(reduction == .mean ? total / Double(count) : total))
    }
}
