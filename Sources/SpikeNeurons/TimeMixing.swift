import CBLAS
import SpikeTensor

/// Mixing over the time axis: Y = A·X for a T×T matrix A and a time-major X seen as [T, M].
///
/// Every parallel neuron (PSN family, PSU family) is built on these kernels: each one is a
/// single `cblas_sgemm` with the small T×T matrix as the left operand, so all M neurons of a
/// layer and all T steps are mixed in one library call.
public enum TimeMixing {
    /// `y ← scale·op(A)·x (+ y when accumulating)`, op(A) = A or Aᵀ; A is T×T, x and y are T×M.
    public static func multiply(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                into y: UnsafeMutablePointer<Float>, timeSteps: Int, columns: Int,
                                transposed: Bool = false, scale: Float = 1, accumulate: Bool = false) {
        guard timeSteps > 0, columns > 0 else { return }
        _ = Threads.count  // first use applies the configured thread count to OpenBLAS
        let t = blasint(timeSteps), m = blasint(columns)
        cblas_sgemm(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, CblasNoTrans,
                    t, m, t, scale, a, t, x, m, accumulate ? 1 : 0, y, m)
    }

    /// `g ← d·xᵀ (+ g when accumulating)`: the gradient of A in Y = A·X given d = ∂L/∂Y.
    public static func matrixGradient(_ d: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                      into g: UnsafeMutablePointer<Float>, timeSteps: Int, columns: Int,
                                      accumulate: Bool = false) {
        guard timeSteps > 0 else { return }
        guard columns > 0 else {
            if !accumulate { g.update(repeating: 0, count: timeSteps * timeSteps) }
            return
        }
        _ = Threads.count
        let t = blasint(timeSteps), m = blasint(columns)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                    t, t, m, 1, d, m, x, m, accumulate ? 1 : 0, g, t)
    }

    /// (T, M) of a time-major shape [T, ...]; stops with a message naming `caller` otherwise.
    public static func extent(of shape: [Int], _ caller: String) -> (timeSteps: Int, columns: Int) {
        precondition(!shape.isEmpty, "\(caller): input must be time-major [T, ...], got a 0-d tensor")
        let t = shape[0]
        return (t, t == 0 ? 0 : Tensor.elementCount(shape) / t)
    }

    /// Fills row t of the T×M buffer `y` with `rowValues[t]`.
    static func fillRows(_ y: UnsafeMutablePointer<Float>, _ rowValues: [Float], columns: Int) {
        for (t, value) in rowValues.enumerated() {
            (y + t * columns).update(repeating: value, count: columns)
        }
    }

    /// Sum of each row of a T×M buffer; each row is summed in a fixed order (deterministic).
    static func rowSums(_ d: UnsafePointer<Float>, timeSteps: Int, columns: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: timeSteps)
        sums.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            parallelChunks(timeSteps, minChunk: max(1, (1 << 16) / max(1, columns))) { rows in
                for t in rows { o[t] = Float(sum(d + t * columns, count: columns)) }
            }
        }
        return sums
    }

    /// Sum of `count` floats in eight interleaved Double lanes (fixed order).
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes += SIMD8<Double>(v)
            i += 8
        }
        var total = lanes.sum()
        while i < count { total += Double(p[i]); i += 1 }
        return total
    }

    /// Runs `body` on each of the deterministic chunks `parallelChunks` would make of
    /// `0..<count` and returns the per-chunk results in chunk order (for reductions).
    static func mapChunks<R>(_ count: Int, minChunk: Int, initial: R, _ body: (Range<Int>) -> R) -> [R] {
        let chunks = chunkCount(count, minChunk: minChunk)
        var results = [R](repeating: initial, count: chunks)
        results.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            parallelChunks(chunks, minChunk: 1) { indices in
                for c in indices { o[c] = body(chunkRange(c, of: chunks, count: count)) }
            }
        }
        return results
    }
}

/// Y = A·X over the time axis for A [T, T] and time-major X [T, ...]; differentiable in X and A.
public func timeMix(_ matrix: Tensor, _ x: Tensor) -> Tensor {
    let (t, m) = TimeMixing.extent(of: x.shape, "timeMix")
    precondition(matrix.shape == [t, t],
                 "timeMix: matrix must be [T, T] = [\(t), \(t)] for input \(x.shape), got \(matrix.shape)")
    precondition(matrix.dtype == .float32 && x.dtype == .float32, "timeMix: float32 tensors required")
    let y = Tensor(shape: x.shape, uninitialized: true)
    TimeMixing.multiply(matrix.floats.baseAddress!, x.floats.baseAddress!, into: y.floats.baseAddress!,
                        timeSteps: t, columns: m)
    // Saves nothing beyond the inputs the graph already holds: dX needs A, dA needs X.
    return Tensor.record("timeMix", output: y, inputs: [matrix, x]) { dy in
        let d = UnsafePointer(dy.floats.baseAddress!)
        var dA: Tensor?, dX: Tensor?
        if matrix.requiresGrad {
            let g = Tensor(shape: [t, t], uninitialized: true)
            TimeMixing.matrixGradient(d, x.floats.baseAddress!, into: g.floats.baseAddress!,
                                      timeSteps: t, columns: m)
            dA = g
        }
        if x.requiresGrad {
            let g = Tensor(shape: x.shape, uninitialized: true)
            TimeMixing.multiply(matrix.floats.baseAddress!, d, into: g.floats.baseAddress!,
                                timeSteps: t, columns: m, transposed: true)
            dX = g
        }
        return [dA, dX]
    }
}
