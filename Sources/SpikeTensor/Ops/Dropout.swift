/// Inverted dropout: zeroes each element with probability `p` and scales the kept ones by
/// `1/(1−p)`; the identity when `!training` or `p == 0`. The same generator state gives the same mask.
public func dropout(_ x: Tensor, p: Float, training: Bool, rng: inout PhiloxGenerator) -> Tensor {
    precondition(x.dtype == .float32, "dropout needs a float32 input, got \(x.dtype)")
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    guard training && p > 0 else { return x }

    // The mask is kept as one byte per element rather than a float: it is saved for
    // backward, so it costs a quarter of the memory of a float mask.
    let mask = Tensor(shape: x.shape, dtype: .uint8, uninitialized: true)
    let pm = mask.uint8s.baseAddress!
    // One uniform draw per element, in order, so the mask depends only on the generator state.
    for i in 0..<x.count { pm[i] = rng.nextUniform() >= p ? 1 : 0 }
    // p == 1 drops everything; the scale is then irrelevant (and would be infinite).
    let scale: Float = p < 1 ? 1 / (1 - p) : 0

    let out = Tensor(shape: x.shape, uninitialized: true)
    applyMask(UnsafePointer(x.floats.baseAddress!), UnsafePointer(pm), scale: scale,
              count: x.count, into: out.floats.baseAddress!)
    // Saved: the byte mask only.
    return Tensor.record("dropout", output: out, inputs: [x]) { g in
        let gx = Tensor(shape: x.shape, uninitialized: true)
        applyMask(UnsafePointer(g.floats.baseAddress!), UnsafePointer(mask.uint8s.baseAddress!),
                  scale: scale, count: x.count, into: gx.floats.baseAddress!)
        return [gx]
    }
}

/// `out[i] = src[i]·mask[i]·scale`, the forward and the backward of dropout alike.
private func applyMask(_ src: UnsafePointer<Float>, _ mask: UnsafePointer<UInt8>, scale: Float,
                       count: Int, into out: UnsafeMutablePointer<Float>) {
    parallelChunks(count, minChunk: 1 << 15) { range in
        for i in range { out[i] = src[i] * (Float(mask[i]) * scale) }
    }
}
