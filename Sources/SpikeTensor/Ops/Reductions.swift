// Reductions over axes: sum, mean, variance, max/min (with their first index) and argmax/argmin.
// Axes may be negative; `axes: nil` reduces all axes, an empty list none. Sums are
// deterministic and thread-count independent (see ReductionKernels).

extension Tensor {
    /// The shape after reducing the axes in `mask`: size-1 axes kept or removed.
    private func reducedShape(_ mask: [Bool], keepDims: Bool) -> [Int] {
        keepDims ? zip(shape, mask).map { $1 ? 1 : $0 } : zip(shape, mask).filter { !$1 }.map(\.0)
    }

    /// Sum over `axes` (all when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        requireFloat("sum")
        let mask = Tensor.axisMask(axes, rank: rank, "sum")
        let kept = reducedShape(mask, keepDims: true)
        let out = ReductionKernels.sum(self, reduced: mask, shape: reducedShape(mask, keepDims: keepDims))
        // Saves only shapes: the gradient is g broadcast back over the reduced axes.
        return Tensor.record("sum", output: out, inputs: [self]) { [shape] g in
            [g.reshaped(kept).expanded(to: shape)]
        }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all when nil); NaN for an empty reduction.
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        requireFloat("mean")
        let mask = Tensor.axisMask(axes, rank: rank, "mean")
        let kept = reducedShape(mask, keepDims: true)
        let n = Float(zip(shape, mask).reduce(1) { $1.1 ? $0 * $1.0 : $0 })
        let total = ReductionKernels.sum(self, reduced: mask, shape: reducedShape(mask, keepDims: keepDims))
        let out = zipElements(total, scalar: n, DivideKernel())
        return Tensor.record("mean", output: out, inputs: [self]) { [shape] g in
            [zipElements(g.reshaped(kept).expanded(to: shape), scalar: n, DivideKernel())]
        }
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes` (all when nil): Σ(x − mean)² / (n − 1 if `unbiased` else n).
    public func variance(axes: [Int]? = nil, unbiased: Bool = false, keepDims: Bool = false) -> Tensor {
        requireFloat("variance")
        let mask = Tensor.axisMask(axes, rank: rank, "variance")
        let kept = reducedShape(mask, keepDims: true)
        let n = zip(shape, mask).reduce(1) { $1.1 ? $0 * $1.0 : $0 }
        let divisor = Float(unbiased ? n - 1 : n)
        // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
        let mean = zipElements(ReductionKernels.sum(self, reduced: mask, shape: kept), scalar: Float(n), DivideKernel())
        let squares = broadcastZip(self, mean, SquaredDifferenceKernel(), "variance")
        let total = ReductionKernels.sum(squares, reduced: mask, shape: reducedShape(mask, keepDims: keepDims))
        let out = zipElements(total, scalar: divisor, DivideKernel())
        // Saves the input (held by the graph) and the mean (reduced size):
        // d var/dx = 2(x − mean)/divisor; the path through the mean contributes Σ(x − mean) = 0.
        return Tensor.record("variance", output: out, inputs: [self]) { [self] g in
            let deviation = broadcastZip(self, mean, SubtractKernel(), "variance backward")
            return [broadcastZip(deviation, zipElements(g, scalar: 2 / divisor, MultiplyKernel(), shape: kept),
                                 MultiplyKernel(), "variance backward")]
        }
    }

    /// Maximum along `axis`; the gradient goes to the first maximal element. NaN propagates.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { extremum(axis, keepDims, LargestFirst.self, "max") }

    /// Minimum along `axis`; the gradient goes to the first minimal element. NaN propagates.
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { extremum(axis, keepDims, SmallestFirst.self, "min") }

    /// Maximum of all elements (a 0-d tensor); differentiable like `max(axis:)`.
    public func max() -> Tensor { reshaped([count]).max(axis: 0) }

    /// Minimum of all elements (a 0-d tensor); differentiable like `min(axis:)`.
    public func min() -> Tensor { reshaped([count]).min(axis: 0) }

    /// Index of the first maximum along `axis`, as an Int32 tensor (no gradient).
    public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
        extremumIndices(axis, keepDims, LargestFirst.self, "argmax").indices
    }

    /// Index of the first minimum along `axis`, as an Int32 tensor (no gradient).
    public func argmin(axis: Int, keepDims: Bool = false) -> Tensor {
        extremumIndices(axis, keepDims, SmallestFirst.self, "argmin").indices
    }

    /// Values and first indices of the extremum along `axis`, with the reduced axis removed or kept.
    private func extremumIndices<O: ExtremumOrder>(_ axis: Int, _ keepDims: Bool, _ order: O.Type,
                                                   _ op: String) -> (values: Tensor, indices: Tensor, axis: Int) {
        requireFloat(op)
        let a = Tensor.normalizedAxis(axis, rank: rank, op)
        precondition(shape[a] > 0, "\(op): axis \(axis) of shape \(shape) is empty")
        var outShape = shape
        if keepDims { outShape[a] = 1 } else { outShape.remove(at: a) }
        let values = Tensor(shape: outShape, uninitialized: true)
        let indices = Tensor(shape: outShape, dtype: .int32, uninitialized: true)
        ReductionKernels.extremum(UnsafePointer(floats.baseAddress!), outer: shape[..<a].reduce(1, *),
                                  reduced: shape[a], inner: shape[(a + 1)...].reduce(1, *),
                                  values: values.floats.baseAddress!, indices: indices.int32s.baseAddress!, order)
        return (values, indices, a)
    }

    private func extremum<O: ExtremumOrder>(_ axis: Int, _ keepDims: Bool, _ order: O.Type, _ op: String) -> Tensor {
        let (values, indices, a) = extremumIndices(axis, keepDims, order, op)
        // Saves the winning indices (output-sized Int32): backward scatters g to them.
        return Tensor.record(op, output: values, inputs: [self]) { [shape] g in
            let grad = Tensor(shape: shape)
            let outer = shape[..<a].reduce(1, *), reduced = shape[a], inner = shape[(a + 1)...].reduce(1, *)
            let dst = grad.floats.baseAddress!, src = UnsafePointer(g.floats.baseAddress!)
            let at = UnsafePointer(indices.int32s.baseAddress!)
            parallelChunks(outer * inner, minChunk: elementwiseMinChunk) { range in
                for k in range {
                    let o = k / inner, j = k % inner
                    dst[(o * reduced + Int(at[k])) * inner + j] = src[k]
                }
            }
            return [grad]
        }
    }
}

/// (a − b)².
private struct SquaredDifferenceKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { (a - b) * (a - b) }
}
