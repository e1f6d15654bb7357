// In-place updates for optimizers, buffers and kernels. They write through the tensor's storage
// and are NOT recorded by autograd: use them on leaves and buffers outside a recorded graph (or
// inside `noGrad`), never on a value a pending backward still needs.

/// `t *= s` element-wise, in place, outside autograd.
public func scaleInPlace(_ t: Tensor, _ s: Float) {
    t.requireFloat("scaleInPlace")
    let p = t.floats.baseAddress!
    let k = ScaleKernel(s)
    parallelChunks(t.count, minChunk: elementwiseMinChunk) { r in
        mapLoop(k, p + r.lowerBound, p + r.lowerBound, r.count)
    }
}

/// `target += alpha · source` element-wise (same shape), in place, outside autograd.
public func addInPlace(_ target: Tensor, _ source: Tensor, scaledBy alpha: Float) {
    precondition(target.shape == source.shape,
                 "addInPlace: target shape \(target.shape) and source shape \(source.shape) differ")
    target.requireFloat("addInPlace")
    source.requireFloat("addInPlace")
    let dst = target.floats.baseAddress!, src = UnsafePointer(source.floats.baseAddress!)
    let k = ScaledAddKernel(alpha)
    parallelChunks(target.count, minChunk: elementwiseMinChunk) { r in
        zipLoop(k, dst + r.lowerBound, src + r.lowerBound, dst + r.lowerBound, r.count)
    }
}

extension Tensor {
    /// Sets every element to `value` (converted to the dtype), in place, outside autograd.
    public func fill(_ value: Float) {
        switch dtype {
        case .float32: floats.update(repeating: value)
        case .int32: int32s.update(repeating: Int32(value))
        case .uint8: uint8s.update(repeating: UInt8(value))
        }
    }
}

/// `a + alpha · b`.
private struct ScaledAddKernel: BinaryKernel {
    let alpha: Lanes
    init(_ alpha: Float) { self.alpha = Lanes(repeating: alpha) }
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a + alpha * b }
}
