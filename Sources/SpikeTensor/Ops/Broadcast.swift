// Broadcasting (NumPy/PyTorch rules): the shape two operands meet at, the strided walk that
// reads broadcast operands without materialising them, `expanded(to:)` and its inverse
// `sumToShape(_:)`, which every broadcasting op's backward uses.

extension Tensor {
    /// The shape `a` and `b` broadcast to: shapes are right-aligned and each axis pair must be
    /// equal or contain a 1.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "cannot broadcast shapes \(a) and \(b): axis \(i) of the result would need both \(da) and \(db)")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Whether a tensor of `shape` broadcasts to `target` without changing `target`.
    static func broadcasts(_ shape: [Int], to target: [Int]) -> Bool {
        guard shape.count <= target.count else { return false }
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 && shape[i] != target[lead + i] { return false }
        return true
    }

    /// This tensor broadcast to `shape` and materialised as a new tensor; the gradient sums back.
    public func expanded(to shape: [Int]) -> Tensor {
        precondition(Tensor.broadcasts(self.shape, to: shape),
                     "expanded: shape \(self.shape) does not broadcast to \(shape)")
        let out = Tensor(shape: shape, dtype: dtype, uninitialized: true)
        let plan = BroadcastPlan(outShape: shape, operands: [self.shape])
        switch dtype.byteSize {
        case 4: plan.expand(rawPointer.assumingMemoryBound(to: UInt32.self),
                            into: out.rawPointer.assumingMemoryBound(to: UInt32.self), count: out.count)
        default: plan.expand(rawPointer.assumingMemoryBound(to: UInt8.self),
                             into: out.rawPointer.assumingMemoryBound(to: UInt8.self), count: out.count)
        }
        // Saves only the input shape.
        return Tensor.record("expand", output: out, inputs: [self]) { [inShape = self.shape] g in
            [g.sumToShape(inShape)]
        }
    }

    /// Sums this tensor down to `shape`, the shape it was broadcast from (leading axes are
    /// summed away, size-1 axes summed with their size kept); differentiable.
    public func sumToShape(_ shape: [Int]) -> Tensor {
        precondition(Tensor.broadcasts(shape, to: self.shape),
                     "sumToShape: shape \(shape) does not broadcast to this tensor's shape \(self.shape)")
        if shape == self.shape { return self }
        let lead = rank - shape.count
        var axes = Array(0..<lead)
        for i in 0..<shape.count where shape[i] == 1 && self.shape[lead + i] != 1 { axes.append(lead + i) }
        let summed = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        return summed.reshaped(shape)
    }
}

/// A broadcast element-wise op `k(a, b)` producing the broadcast shape, with fast paths for
/// equal element counts and scalar operands.
func broadcastZip<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _ k: K, _ op: String) -> Tensor {
    a.requireFloat(op)
    b.requireFloat(op)
    let shape = Tensor.broadcastShape(a.shape, b.shape)
    let n = Tensor.elementCount(shape)
    if n == 0 { return Tensor(shape: shape) }
    // Equal counts under broadcasting means equal layouts (they differ only by size-1 axes).
    if a.count == n && b.count == n { return zipElements(a, b, k, shape: shape) }
    if b.count == 1 { return zipElements(a, scalar: b.floats[0], k, shape: shape) }
    if a.count == 1 { return zipElements(scalar: a.floats[0], b, k, shape: shape) }

    let out = Tensor(shape: shape, uninitialized: true)
    let plan = BroadcastPlan(outShape: shape, operands: [a.shape, b.shape])
    let pa = UnsafePointer(a.floats.baseAddress!), pb = UnsafePointer(b.floats.baseAddress!)
    let po = out.floats.baseAddress!
    let sa = plan.strides[0].last!, sb = plan.strides[1].last!
    parallelChunks(n, minChunk: elementwiseMinChunk) { range in
        plan.walk(range) { flat, column, length, offsets in
            let ra = pa + offsets[0], rb = pb + offsets[1], ro = po + flat
            switch (sa, sb) {
            case (1, 1): zipLoop(k, ra + column, rb + column, ro, length)
            case (1, _): zipLoop(k, ra + column, scalar: rb[0], ro, length)
            case (_, 1): zipLoop(k, scalar: ra[0], rb + column, ro, length)
            default: zipLoop(k, ra, scalar: rb[0], ro, length)  // unreachable after coalescing
            }
        }
    }
    return out
}

/// How contiguous operands are read when broadcast to an output shape.
///
/// Output axes of extent 1 are dropped and neighbouring axes merged wherever every operand
/// stays contiguous across them, so `[N,C,H,W] + [C,1,1]` walks as `[N, C, H·W]` and the
/// innermost axis of every operand has stride 1 or 0 (a row or a repeated scalar).
struct BroadcastPlan {
    /// Output extents after merging, outermost first; never empty.
    let extents: [Int]
    /// Per operand, its element stride along each merged axis (0 where broadcast).
    let strides: [[Int]]

    init(outShape: [Int], operands: [[Int]]) {
        let rank = outShape.count
        var extents: [Int] = []
        var strides = [[Int]](repeating: [], count: operands.count)
        var running = [Int](repeating: 1, count: operands.count)  // contiguous stride per operand
        for d in stride(from: rank - 1, through: 0, by: -1) {
            var s = [Int](repeating: 0, count: operands.count)
            for (k, shape) in operands.enumerated() {
                let od = d - (rank - shape.count)
                let extent = od >= 0 ? shape[od] : 1
                s[k] = extent == 1 ? 0 : running[k]
                running[k] *= extent
            }
            if outShape[d] == 1 { continue }
            if let last = extents.last,
               operands.indices.allSatisfy({ s[$0] == strides[$0].last! * last }) {
                extents[extents.count - 1] *= outShape[d]
            } else {
                extents.append(outShape[d])
                for k in operands.indices { strides[k].append(s[k]) }
            }
        }
        if extents.isEmpty {
            extents = [1]
            for k in operands.indices { strides[k] = [0] }
        }
        self.extents = extents.reversed()
        self.strides = strides.map { $0.reversed() }
    }

    /// Calls `body(flat, column, length, offsets)` for each piece of an innermost row inside
    /// the flat output `range`: `offsets[k]` is operand k's element offset at the row's start,
    /// and the piece covers columns `column..<column + length`, output `flat..<flat + length`.
    @inline(__always)
    func walk(_ range: Range<Int>, _ body: (Int, Int, Int, UnsafePointer<Int>) -> Void) {
        let rank = extents.count, ops = strides.count
        let inner = extents[rank - 1]
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rank * (ops + 2) + ops) { buffer in
            let ext = buffer.baseAddress!, index = ext + rank, str = index + rank, offsets = str + rank * ops
            for d in 0..<rank {
                ext[d] = extents[d]
                index[d] = 0
                for k in 0..<ops { str[k * rank + d] = strides[k][d] }
            }
            var flat = range.lowerBound
            var column = flat % inner
            var row = flat / inner
            for k in 0..<ops { offsets[k] = 0 }
            var d = rank - 2
            while d >= 0 {
                index[d] = row % ext[d]
                row /= ext[d]
                for k in 0..<ops { offsets[k] += index[d] * str[k * rank + d] }
                d -= 1
            }
            while flat < range.upperBound {
                let length = Swift.min(inner - column, range.upperBound - flat)
                body(flat, column, length, offsets)
                flat += length
                column = 0
                // Odometer step to the next row.
                var a = rank - 2
                while a >= 0 {
                    index[a] += 1
                    for k in 0..<ops { offsets[k] += str[k * rank + a] }
                    if index[a] < ext[a] { break }
                    for k in 0..<ops { offsets[k] -= str[k * rank + a] * ext[a] }
                    index[a] = 0
                    a -= 1
                }
            }
        }
    }

    /// Writes the single operand broadcast to the output (`count` elements).
    func expand<T>(_ src: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, count: Int) {
        let innerStride = strides[0].last!
        parallelChunks(count, minChunk: elementwiseMinChunk) { range in
            walk(range) { flat, column, length, offsets in
                if innerStride == 0 {
                    (dst + flat).update(repeating: src[offsets[0]], count: length)
                } else {
                    (dst + flat).update(from: src + offsets[0] + column, count: length)
                }
            }
        }
    }
}
