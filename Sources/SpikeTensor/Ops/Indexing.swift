// Reading elements by index (`indexSelect`, `gather`) and choosing between two tensors by a
// condition (`whereSelect`). Backwards scatter-add in a fixed order, so repeated indices
// accumulate deterministically.

extension Tensor {
    /// The entries `indices` (1-d Int32, each in `0..<shape[axis]`, repeats allowed) along `axis`,
    /// as `torch.index_select`.
    public func indexSelect(axis: Int, indices: Tensor) -> Tensor {
        let a = Tensor.normalizedAxis(axis, rank: rank, "indexSelect")
        precondition(indices.dtype == .int32 && indices.rank == 1,
                     "indexSelect: indices must be a 1-d int32 tensor, got \(indices.dtype) with shape \(indices.shape)")
        let extent = shape[a], picks = indices.count
        let idx = UnsafePointer(indices.int32s.baseAddress!)
        for j in 0..<picks {
            precondition(idx[j] >= 0 && Int(idx[j]) < extent,
                         "indexSelect: index \(idx[j]) at position \(j) is outside 0..<\(extent) of axis \(axis) (shape \(shape))")
        }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape[a] = picks
        let out = Tensor(shape: outShape, dtype: dtype, uninitialized: true)
        func select<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
            parallelChunks(outer * picks, minChunk: Swift.max(1, elementwiseMinChunk / Swift.max(1, inner))) { range in
                for item in range {
                    let o = item / picks, j = item % picks
                    (dst + item * inner).update(from: src + (o * extent + Int(idx[j])) * inner, count: inner)
                }
            }
        }
        switch dtype.byteSize {
        case 4: select(rawPointer.assumingMemoryBound(to: UInt32.self), out.rawPointer.assumingMemoryBound(to: UInt32.self))
        default: select(rawPointer.assumingMemoryBound(to: UInt8.self), out.rawPointer.assumingMemoryBound(to: UInt8.self))
        }
        // Saves the indices (held as an input reference) and shapes.
        return Tensor.record("index_select", output: out, inputs: [self]) { [shape] g in
            let grad = Tensor(shape: shape)
            let dst = grad.floats.baseAddress!, src = UnsafePointer(g.floats.baseAddress!)
            let idx = UnsafePointer(indices.int32s.baseAddress!)
            // Work items are (outer, column chunk): disjoint in the gradient; within one, the
            // picks are added in order.
            let chunk = 4096, chunks = (inner + chunk - 1) / chunk
            parallelChunks(outer * chunks, minChunk: Swift.max(1, elementwiseMinChunk / Swift.max(1, picks * Swift.min(inner, chunk)))) { range in
                for item in range {
                    let o = item / chunks, c0 = (item % chunks) * chunk, width = Swift.min(chunk, inner - c0)
                    for j in 0..<picks {
                        ReductionKernels.addRow(dst + (o * extent + Int(idx[j])) * inner + c0,
                                                src + (o * picks + j) * inner + c0, width)
                    }
                }
            }
            return [grad]
        }
    }

    /// `out[i][j][k] = self[i][indices[i][j][k]][k]` for `axis` = 1 (likewise for any axis), as
    /// `torch.gather`: `indices` is Int32 of the same rank, no larger than `self` off `axis`.
    public func gather(axis: Int, indices: Tensor) -> Tensor {
        requireFloat("gather")
        let a = Tensor.normalizedAxis(axis, rank: rank, "gather")
        precondition(indices.dtype == .int32, "gather: indices must be int32, got \(indices.dtype)")
        precondition(indices.rank == rank && (0..<rank).allSatisfy { $0 == a || indices.shape[$0] <= shape[$0] },
                     "gather: indices shape \(indices.shape) must have rank \(rank) and fit in \(shape) outside axis \(axis)")
        let extent = shape[a]
        let idx = UnsafePointer(indices.int32s.baseAddress!)
        for e in 0..<indices.count {
            precondition(idx[e] >= 0 && Int(idx[e]) < extent,
                         "gather: index \(idx[e]) is outside 0..<\(extent) of axis \(axis) (shape \(shape))")
        }
        let walk = GatherWalk(shape: shape, indexShape: indices.shape, axis: a)
        let out = Tensor(shape: indices.shape, uninitialized: true)
        let src = UnsafePointer(floats.baseAddress!), dst = out.floats.baseAddress!
        parallelChunks(walk.rows, minChunk: Swift.max(1, elementwiseMinChunk / Swift.max(1, walk.rowLength))) { range in
            walk.visit(rows: range, index: idx) { e, x in dst[e] = src[x] }
        }
        // Saves the indices (an input reference) and shapes.
        return Tensor.record("gather", output: out, inputs: [self]) { [shape] g in
            let grad = Tensor(shape: shape)
            let dst = grad.floats.baseAddress!, src = UnsafePointer(g.floats.baseAddress!)
            let idx = UnsafePointer(indices.int32s.baseAddress!)  // `indices` is kept alive by this closure
            // A row (one position on the axes before `axis`) writes only its own part of the
            // gradient, so rows run in parallel and each adds its elements in order.
            parallelChunks(walk.rows, minChunk: Swift.max(1, elementwiseMinChunk / Swift.max(1, walk.rowLength))) { range in
                walk.visit(rows: range, index: idx) { e, x in dst[x] += src[e] }
            }
            return [grad]
        }
    }
}

/// Enumerates the elements of a gather's index tensor with the element of the source each
/// one reads, grouped in rows (one per position on the axes before the gather axis).
private struct GatherWalk {
    let indexShape: [Int]
    /// Source stride of each index axis (0 on the gather axis: the index value supplies it).
    let sourceStrides: [Int]
    let axisStride: Int
    let rows: Int, rowLength: Int
    let axis: Int

    init(shape: [Int], indexShape: [Int], axis: Int) {
        var strides = Tensor.contiguousStrides(shape)
        axisStride = strides[axis]
        strides[axis] = 0
        sourceStrides = strides
        self.indexShape = indexShape
        self.axis = axis
        rows = indexShape[..<axis].reduce(1, *)
        rowLength = indexShape[axis...].reduce(1, *)
    }

    /// Calls `body(indexElement, sourceElement)` for every element of `rows`, in order.
    @inline(__always)
    func visit(rows range: Range<Int>, index: UnsafePointer<Int32>, _ body: (Int, Int) -> Void) {
        let rank = indexShape.count
        if range.isEmpty || rowLength == 0 { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * rank) { buffer in
            let coord = buffer.baseAddress!, ext = coord + rank, str = ext + rank
            for d in 0..<rank { ext[d] = indexShape[d]; str[d] = sourceStrides[d]; coord[d] = 0 }
            var e = range.lowerBound * rowLength, rest = range.lowerBound, base = 0
            for d in stride(from: axis - 1, through: 0, by: -1) {
                coord[d] = rest % ext[d]
                rest /= ext[d]
                base += coord[d] * str[d]
            }
            let end = range.upperBound * rowLength
            while e < end {
                body(e, base + Int(index[e]) * axisStride)
                e += 1
                var d = rank - 1
                while d >= 0 {
                    coord[d] += 1
                    base += str[d]
                    if coord[d] < ext[d] { break }
                    base -= str[d] * ext[d]
                    coord[d] = 0
                    d -= 1
                }
            }
        }
    }
}

/// Element-wise choice: `a` where `condition` is non-zero, `b` elsewhere. `condition` is uint8
/// or float32; the three shapes broadcast together. Gradients go to `a` where the condition
/// holds and to `b` where it does not.
public func whereSelect(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(condition.dtype == .uint8 || condition.dtype == .float32,
                 "whereSelect: condition must be uint8 or float32, got \(condition.dtype)")
    a.requireFloat("whereSelect")
    b.requireFloat("whereSelect")
    let shape = Tensor.broadcastShape(Tensor.broadcastShape(condition.shape, a.shape), b.shape)
    let mask = conditionMask(condition, shape: shape)
    let ea = a.shape == shape ? a : noGrad { a.expanded(to: shape) }
    let eb = b.shape == shape ? b : noGrad { b.expanded(to: shape) }
    let out = Tensor(shape: shape, uninitialized: true)
    let m = UnsafePointer(mask.uint8s.baseAddress!)
    let pa = UnsafePointer(ea.floats.baseAddress!), pb = UnsafePointer(eb.floats.baseAddress!)
    let po = out.floats.baseAddress!
    parallelChunks(out.count, minChunk: elementwiseMinChunk) { range in
        for i in range { po[i] = m[i] != 0 ? pa[i] : pb[i] }
    }
    // Saves the condition (an input reference; the byte mask is rebuilt in backward).
    return Tensor.record("where", output: out, inputs: [condition, a, b]) { g in
        let mask = conditionMask(condition, shape: shape)
        let m = UnsafePointer(mask.uint8s.baseAddress!), pg = UnsafePointer(g.floats.baseAddress!)
        func routed(_ keepWhere: UInt8) -> Tensor {
            let t = Tensor(shape: shape, uninitialized: true)
            let p = t.floats.baseAddress!
            parallelChunks(t.count, minChunk: elementwiseMinChunk) { range in
                for i in range { p[i] = m[i] == keepWhere ? pg[i] : 0 }
            }
            return t
        }
        return [nil,
                a.requiresGrad ? routed(1).sumToShape(a.shape) : nil,
                b.requiresGrad ? routed(0).sumToShape(b.shape) : nil]
    }
}

/// The condition as 0/1 bytes broadcast to `shape` (any non-zero float, NaN included, is 1).
private func conditionMask(_ condition: Tensor, shape: [Int]) -> Tensor {
    let bytes: Tensor
    if condition.dtype == .uint8 {
        bytes = condition
    } else {
        bytes = Tensor(shape: condition.shape, dtype: .uint8, uninitialized: true)
        let src = UnsafePointer(condition.floats.baseAddress!), dst = bytes.uint8s.baseAddress!
        for i in 0..<condition.count { dst[i] = src[i] != 0 ? 1 : 0 }
    }
    let expanded = bytes.shape == shape ? bytes : noGrad { bytes.expanded(to: shape) }
    if condition.dtype == .uint8 {
        // Normalise any non-zero byte to 1 so backward can compare with 1 and 0.
        let normal = Tensor(shape: shape, dtype: .uint8, uninitialized: true)
        let src = UnsafePointer(expanded.uint8s.baseAddress!), dst = normal.uint8s.baseAddress!
        for i in 0..<normal.count { dst[i] = src[i] != 0 ? 1 : 0 }
        return normal
    }
    return expanded
}
