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
    let px = UnsafePointer(x.floats.baseAddress!)
    let pw = weight.map { UnsafePointer($0.floats.baseAddress!) }
    let pb = bias.map { UnsafePointer($0.floats.baseAddress!) }
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
            let mu = AxisKernels.sum(row, width, 1) / Float(width)
            var squares: Float = 0
            for j in 0..<width { let d = row[j] - mu; squares += d * d }
            let inv = 1 / (squares / Float(width) + eps).squareRoot()
            mean[r] = mu
            rstd[r] = inv
            for j in 0..<width {
                var v = (row[j] - mu) * inv
                if let pw { v *= pw[j] }
                if let pb { v += pb[j] }
                y[j] = v
            }
        }
    }

    var inputs = [x]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    return Tensor.record("layerNorm", output: out, inputs: inputs) { g in
        let pg = UnsafePointer(g.floats.baseAddress!)
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
                let gwSum = pp.map { $0 + chunk * 2 * width }, gbSum = gwSum.map { $0 + width }
                for r in chunkRange(chunk, of: chunks, count: rows) {
                    let row = px + r * width, gRow = pg + r * width
                    let mu = mean[r], inv = rstd[r]
                    if wantWeight || wantBias {
                        for j in 0..<width {
                            gwSum![j] += gRow[j] * (row[j] - mu) * inv
                            gbSum![j] += gRow[j]
                        }
                    }
                    guard let pgx else { continue }
                    // dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·weight.
                    var sumG: Float = 0, sumGX: Float = 0
                    for j in 0..<width {
                        let gh = gRow[j] * (pw?[j] ?? 1)
                        sumG += gh
                        sumGX += gh * (row[j] - mu) * inv
                    }
                    let meanG = sumG / Float(width), meanGX = sumGX / Float(width)
                    let dx = pgx + r * width
                    for j in 0..<width {
                        let gh = gRow[j] * (pw?[j] ?? 1)
                        dx[j] = inv * (gh - meanG - (row[j] - mu) * inv * meanGX)
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
