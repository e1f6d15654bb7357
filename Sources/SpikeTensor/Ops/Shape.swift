// Shape ops. Reshape-like ops (reshaped, flattened, unsqueezed, squeezed) are free views that
// share storage; permutations copy, since every tensor is contiguous.

extension Tensor {
    /// The same elements viewed with `shape` (one extent may be −1, inferred); shares storage.
    public func reshaped(_ shape: [Int]) -> Tensor {
        var newShape = shape
        let inferred = shape.indices.filter { shape[$0] == -1 }
        precondition(inferred.count <= 1, "reshaped: at most one extent may be -1, got \(shape)")
        precondition(shape.allSatisfy { $0 >= -1 }, "reshaped: negative extent in \(shape)")
        if let i = inferred.first {
            let known = shape.enumerated().reduce(1) { $1.offset == i ? $0 : $0 * $1.element }
            precondition(known > 0 && count % known == 0,
                         "reshaped: cannot infer the -1 in \(shape) for \(count) elements (shape \(self.shape))")
            newShape[i] = count / known
        }
        precondition(Tensor.elementCount(newShape) == count,
                     "reshaped: shape \(shape) does not hold the \(count) elements of shape \(self.shape)")
        let view = Tensor(shape: newShape, dtype: dtype, storage: storage, offset: offset)
        // Saves only the input shape.
        return Tensor.record("reshape", output: view, inputs: [self]) { [inShape = self.shape] g in
            [g.reshaped(inShape)]
        }
    }

    /// Axes `from...through` merged into one (a view); a 0-d tensor becomes `[1]`.
    public func flattened(from: Int = 0, through: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let a = Tensor.normalizedAxis(from, rank: rank, "flattened"), b = Tensor.normalizedAxis(through, rank: rank, "flattened")
        precondition(a <= b, "flattened: from axis \(from) comes after through axis \(through) (rank \(rank))")
        return reshaped(Array(shape[..<a]) + [shape[a...b].reduce(1, *)] + Array(shape[(b + 1)...]))
    }

    /// A view with a new axis of extent 1 inserted at `axis` (in `-(rank+1)...rank`).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = Tensor.normalizedAxis(axis, rank: rank + 1, "unsqueezed")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// A view without `axis`, which must have extent 1.
    public func squeezed(axis: Int) -> Tensor {
        let a = Tensor.normalizedAxis(axis, rank: rank, "squeezed")
        precondition(shape[a] == 1, "squeezed: axis \(axis) has extent \(shape[a]), not 1 (shape \(shape))")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// A view without any axis of extent 1.
    public func squeezed() -> Tensor { reshaped(shape.filter { $0 != 1 }) }

    /// A copy with axes reordered: result axis i is input axis `axes[i]` (negative allowed).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank, "permuted: \(axes) has \(axes.count) axes, tensor has \(rank) (shape \(shape))")
        let perm = axes.map { Tensor.normalizedAxis($0, rank: rank, "permuted") }
        precondition(Set(perm).count == rank, "permuted: \(axes) is not a permutation of 0..<\(rank)")
        let out = Tensor(shape: perm.map { shape[$0] }, dtype: dtype, uninitialized: true)
        let plan = PermutePlan(shape: shape, permutation: perm)
        switch dtype.byteSize {
        case 4: plan.run(rawPointer.assumingMemoryBound(to: UInt32.self),
                         out.rawPointer.assumingMemoryBound(to: UInt32.self))
        default: plan.run(rawPointer.assumingMemoryBound(to: UInt8.self),
                          out.rawPointer.assumingMemoryBound(to: UInt8.self))
        }
        var inverse = perm
        for (i, p) in perm.enumerated() { inverse[p] = i }
        // Saves only the inverse permutation.
        return Tensor.record("permute", output: out, inputs: [self]) { [inverse] g in [g.permuted(inverse)] }
    }

    /// The transpose of a 2-d tensor (a copy).
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed needs a 2-d tensor, got shape \(shape); use permuted(_:) for others")
        return permuted([1, 0])
    }
}
