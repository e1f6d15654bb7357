// Taking and putting back rectangular parts: slices, constant padding, concatenation and
// stacking. Each backward copies the matching box of the gradient.

extension Tensor {
    /// Elements `range` along `axis`. Along axis 0 this is a view sharing storage (no copy);
    /// along other axes a copy. The gradient is scattered into zeros.
    public func sliced(axis: Int, range: Range<Int>) -> Tensor {
        let a = Tensor.normalizedAxis(axis, rank: rank, "sliced")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "sliced: range \(range) is outside 0..<\(shape[a]) of axis \(axis) (shape \(shape))")
        var outShape = shape
        outShape[a] = range.count
        var origin = [Int](repeating: 0, count: rank)
        origin[a] = range.lowerBound
        let out: Tensor
        if a == 0 {
            out = Tensor(shape: outShape, dtype: dtype, storage: storage,
                         offset: offset + range.lowerBound * strides[0])
        } else {
            out = Tensor(shape: outShape, dtype: dtype, uninitialized: true)
            Tensor.copyBox(from: self, origin: origin, to: out, origin: [Int](repeating: 0, count: rank), extent: outShape)
        }
        // Saves only shapes and the slice origin.
        return Tensor.record("slice", output: out, inputs: [self]) { [shape] g in
            let grad = Tensor(shape: shape)
            Tensor.copyBox(from: g, origin: [Int](repeating: 0, count: g.rank), to: grad, origin: origin, extent: g.shape)
            return [grad]
        }
    }

    /// A copy grown by `padding[i].before`/`.after` elements of `value` on each side of axis i
    /// (one pair per axis, non-negative).
    public func padded(_ padding: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        precondition(padding.count == rank,
                     "padded: \(padding.count) padding pairs given for a tensor of rank \(rank) (shape \(shape))")
        precondition(padding.allSatisfy { $0.before >= 0 && $0.after >= 0 },
                     "padded: padding must be non-negative, got \(padding.map { [$0.before, $0.after] })")
        let origin = padding.map(\.before)
        let outShape = zip(shape, padding).map { $0 + $1.before + $1.after }
        let out = Tensor.full(outShape, value, dtype: dtype)
        Tensor.copyBox(from: self, origin: [Int](repeating: 0, count: rank), to: out, origin: origin, extent: shape)
        // Saves only the input shape and the offset of the interior.
        return Tensor.record("pad", output: out, inputs: [self]) { [shape] g in
            let grad = Tensor(shape: shape, uninitialized: true)
            Tensor.copyBox(from: g, origin: origin, to: grad, origin: [Int](repeating: 0, count: shape.count), extent: shape)
            return [grad]
        }
    }
}

/// The tensors joined along `axis`; all shapes must agree except along `axis`.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat needs at least one tensor")
    let first = tensors[0]
    let a = Tensor.normalizedAxis(axis, rank: first.rank, "concat")
    for (i, t) in tensors.enumerated() {
        precondition(t.dtype == first.dtype, "concat: tensor \(i) has dtype \(t.dtype), tensor 0 has \(first.dtype)")
        precondition(t.rank == first.rank && t.shape.indices.allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                     "concat: tensor \(i) has shape \(t.shape), which does not match \(first.shape) outside axis \(axis)")
    }
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let out = Tensor(shape: outShape, dtype: first.dtype, uninitialized: true)
    var starts: [Int] = []
    var position = 0
    let zeros = [Int](repeating: 0, count: first.rank)
    for t in tensors {
        var origin = zeros
        origin[a] = position
        starts.append(position)
        Tensor.copyBox(from: t, origin: zeros, to: out, origin: origin, extent: t.shape)
        position += t.shape[a]
    }
    // Saves each input's start along the axis; backward copies each part of g back out.
    return Tensor.record("concat", output: out, inputs: tensors) { g in
        zip(tensors, starts).map { t, start in
            guard t.requiresGrad else { return nil }
            var origin = zeros
            origin[a] = start
            let grad = Tensor(shape: t.shape, uninitialized: true)
            Tensor.copyBox(from: g, origin: origin, to: grad, origin: zeros, extent: t.shape)
            return grad
        }
    }
}

/// The tensors (all of one shape) joined along a new axis at `axis` (in `-(rank+1)...rank`).
public func stack(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "stack needs at least one tensor")
    let shape = tensors[0].shape
    for (i, t) in tensors.enumerated() {
        precondition(t.shape == shape, "stack: tensor \(i) has shape \(t.shape), tensor 0 has \(shape)")
    }
    let a = Tensor.normalizedAxis(axis, rank: shape.count + 1, "stack")
    return concat(tensors.map { $0.unsqueezed(axis: a) }, axis: a)
}
