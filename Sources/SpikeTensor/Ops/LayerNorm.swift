import Foundation

/// Layer normalisation over the trailing `normalizedShape` axes, PyTorch's `layer_norm`:
/// `(x − mean) / √(var + eps) · weight + bias` with the biased variance.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?,
                      eps: Float = 1e-5) -> Tensor {
    precondition(x.dtype == .float32, "layerNorm needs a float32 input, got \(x.dtype)")
    precondition(!normalizedShape.isEmpty && normalizedShape.count <= x.rank
                    && Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                 "layerNorm: normalizedShape \(normalizedShape) must be a non-empty suffix of the input shape \(x.shape)")
    for (label, p) in [("weight", weight), ("bias", bias)] {
        if let p {
            precondition(p.dtype == .float32 && p.shape == normalizedShape,
                         "layerNorm \(label) must be float32 \(normalizedShape), got \(p.dtype) \(p.shape)")
        }
    }
    let width = normalizedShape.reduce(1, *)
    let rows = width == 0 ? 0 : x.count / width
    // A missing weight or bias acts as ones or zeros, so one loop serves every case.
    let scaleTensor = weight ?? Tensor.ones([width]), shiftTensor = bias ?? Tensor.zeros([width])
    let px = UnsafePointer(x.floats.baseAddress!)
    let pw = UnsafePointer(scaleTensor.floats.baseAddress!), pb = UnsafePointer(shiftTensor.floats.baseAddress!)
    let out = Tensor(shape: x.shape, uninitialized: true)
    let po = out.floats.baseAddress!
    // Per-row mean and 1/σ: with x they give x̂ in backward, 2 floats per row instead of a copy of x̂.
    let stats = Tensor(shape: [2, rows], uninitialized: true)
    let mean = stats.floats.baseAddress!, rstd = mean + rows
    let minChunk = max(1, 16384 / max(1, width))

    parallelChunks(rows, minChunk: minChunk) { range in
        for r in range {
            let row = px + r * width, y = po + r * width
            // Two passes (mean, then centred squares) avoid the cancellation of E[x²] − E[x]².
            let mu = VectorMath.sum(width) { j, l in l.load(row + j) } / Float(width)
            let squares = VectorMath.sum(width) { j, l in let d = l.load(row + j) - mu; return d * d }
            let inv = 1 / (squares / Float(width) + eps).squareRoot()
            mean[r] = mu
            rstd[r] = inv
            VectorMath.forEachLane(width) { j, l in
                l.store((l.load(row + j) - mu) * inv * l.load(pw + j) + l.load(pb + j), to: y + j)
            }
        }
    }

    var inputs = [x]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    return Tensor.record("layerNorm", output: out, inputs: inputs) { g in
        let pg = UnsafePointer(g.floats.baseAddress!)
        let pw = UnsafePointer(scaleTensor.floats.baseAddress!)
        let mean = UnsafePointer(stats.floats.baseAddress!), rstd = mean + rows
        let gx = x.requiresGrad ? Tensor(shape: x.shape, uninitialized: true) : nil
        let pgx = gx?.floats.baseAddress
        let wantWeight = weight?.requiresGrad ?? false, wantBias = bias?.requiresGrad ?? false

        // Weight and bias gradients are sums over rows: each chunk sums its rows into its own
        // slice of `partials`, and the slices are added in chunk order (deterministic).
        let chunks = chunkCount(rows, minChunk: minChunk)
        let partials = (wantWeight || wantBias) ? Tensor(shape: [chunks, 2, width]) : nil
        let pp = partials?.floats.baseAddress
        parallelChunks(chunks, minChunk: 1) { chunkIndices in
            for chunk in chunkIndices {
                for r in chunkRange(chunk, of: chunks, count: rows) {
                    let row = px + r * width, gRow = pg + r * width
                    let mu = mean[r], inv = rstd[r]
                    if let pp {
                        let gwSum = pp + chunk * 2 * width, gbSum = gwSum + width
                        VectorMath.forEachLane(width) { j, l in
                            let gj = l.load(gRow + j)
                            l.store(l.load(gwSum + j) + gj * (l.load(row + j) - mu) * inv, to: gwSum + j)
                            l.store(l.load(gbSum + j) + gj, to: gbSum + j)
                        }
                    }
                    guard let pgx else { continue }
                    // dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·weight, x̂ = (x − μ)/σ.
                    let meanG = VectorMath.sum(width) { j, l in l.load(gRow + j) * l.load(pw + j) } / Float(width)
                    let meanGX = VectorMath.sum(width) { j, l in
                        l.load(gRow + j) * l.load(pw + j) * (l.load(row + j) - mu) * inv
                    } / Float(width)
                    let dx = pgx + r * width
                    VectorMath.forEachLane(width) { j, l in
                        let gh = l.load(gRow + j) * l.load(pw + j), xh = (l.load(row + j) - mu) * inv
                        l.store(inv * (gh - meanG - xh * meanGX), to: dx + j)
                    }
                }
            }
        }

        /// Adds the chunks' partial sums at `slot` (0: weight, 1: bias) in chunk order.
        func combinedPartials(slot: Int) -> Tensor {
            let sum = Tensor(shape: normalizedShape)
            let d = sum.floats.baseAddress!
            for chunk in 0..<chunks {
                let src = UnsafePointer(pp! + (chunk * 2 + slot) * width)
                for j in 0..<width { d[j] += src[j] }
            }
            return sum
        }
        var grads: [Tensor?] = [gx]
        if weight != nil { grads.append(wantWeight ? combinedPartials(slot: 0) : nil) }
        if bias != nil { grads.append(wantBias ? combinedPartials(slot: 1) : nil) }
        return grads
    }
}
