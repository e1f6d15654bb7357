import Foundation

/// Batch normalisation over axis 1 of `x` ([N, C], [N, C, L] or [N, C, H, W]), PyTorch's
/// `batch_norm`: training normalises with the batch statistics (biased variance) and
/// updates `runningMean`/`runningVar` in place (`running = (1 − momentum)·running +
/// momentum·batch`, unbiased variance); evaluation uses the running statistics.
public func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                      training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    precondition((2...4).contains(x.rank), "batchNorm: input must be [N, C], [N, C, L] or [N, C, H, W], got shape \(x.shape)")
    precondition(x.dtype == .float32, "batchNorm: input must be float32, got \(x.dtype)")
    let layout = ChannelLayout(batch: x.shape[0], channels: x.shape[1], spatial: x.shape.dropFirst(2).reduce(1, *))
    let c = layout.channels
    for (name, t) in [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVar", runningVar)] {
        if let t {
            precondition(t.shape == [c] && t.dtype == .float32, "batchNorm: \(name) must be float32 of shape [\(c)], got \(t.shape)")
        }
    }
    precondition((runningMean == nil) == (runningVar == nil), "batchNorm: give both running statistics or neither")
    precondition(training || runningMean != nil, "batchNorm: evaluation needs runningMean and runningVar")
    let m = layout.batch * layout.spatial
    precondition(!training || m > 1, "batchNorm: training needs more than one value per channel, got input shape \(x.shape)")

    let xp = UnsafePointer(x.floats.baseAddress!)
    // Per-channel mean and 1/√(var + eps) of whichever statistics normalise.
    var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
    if training {
        var variance = [Float](repeating: 0, count: c)
        mean.withUnsafeMutableBufferPointer { meanBuffer in
            variance.withUnsafeMutableBufferPointer { varBuffer in
                BatchNormKernels.statistics(xp, layout, mean: meanBuffer.baseAddress!, variance: varBuffer.baseAddress!)
            }
        }
        for i in 0..<c { invStd[i] = 1 / (variance[i] + eps).squareRoot() }
        if let runningMean, let runningVar {
            let rm = runningMean.floats, rv = runningVar.floats
            let unbias = Float(m) / Float(m - 1)
            for i in 0..<c {
                rm[i] = (1 - momentum) * rm[i] + momentum * mean[i]
                rv[i] = (1 - momentum) * rv[i] + momentum * variance[i] * unbias
            }
        }
    } else {
        let rm = runningMean!.floats, rv = runningVar!.floats
        for i in 0..<c {
            mean[i] = rm[i]
            invStd[i] = 1 / (rv[i] + eps).squareRoot()
        }
    }
    let gamma = weight.map { Array($0.floats) } ?? [Float](repeating: 1, count: c)
    let beta = bias.map { Array($0.floats) } ?? [Float](repeating: 0, count: c)
    // y = x·scale + shift per channel.
    var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
    for i in 0..<c {
        scale[i] = gamma[i] * invStd[i]
        shift[i] = beta[i] - mean[i] * scale[i]
    }
    let output = Tensor(shape: x.shape, uninitialized: true)
    BatchNormKernels.affine(xp, layout, scale: scale, shift: shift, output: output.floats.baseAddress!)

    var inputs = [x]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    // Saved: x (already the node's input), the per-channel mean, 1/σ and weight values
    // (copied, so an optimizer step before backward cannot change them).
    return Tensor.record("batchNorm", output: output, inputs: inputs) { gradOutput in
        let g = UnsafePointer(gradOutput.floats.baseAddress!)
        let needX = x.requiresGrad, needWeight = weight?.requiresGrad ?? false, needBias = bias?.requiresGrad ?? false
        // Σg and Σg·(x − mean) per channel: the bias and weight gradients, and (in training)
        // the terms the input gradient gets through the batch statistics.
        var sumGrad = [Float](repeating: 0, count: c), sumGradCentered = [Float](repeating: 0, count: c)
        if needWeight || needBias || (needX && training) {
            sumGrad.withUnsafeMutableBufferPointer { sg in
                sumGradCentered.withUnsafeMutableBufferPointer { sgx in
                    BatchNormKernels.gradientSums(g, xp, layout, mean: mean, sumGrad: sg.baseAddress!,
                                                  sumGradCentered: sgx.baseAddress!)
                }
            }
        }
        var gradX: Tensor?
        if needX {
            // dx = a·g + b·x + d per channel.
            var a = [Float](repeating: 0, count: c), b = [Float](repeating: 0, count: c), d = [Float](repeating: 0, count: c)
            for i in 0..<c {
                a[i] = gamma[i] * invStd[i]
                if training {
                    // dx = γ/σ · (g − Σg/M − x̂·Σ(g·x̂)/M), x̂ = (x − μ)/σ.
                    b[i] = -a[i] * invStd[i] * invStd[i] * sumGradCentered[i] / Float(m)
                    d[i] = -a[i] * sumGrad[i] / Float(m) - b[i] * mean[i]
                }
            }
            let gx = Tensor(shape: x.shape, uninitialized: true)
            BatchNormKernels.inputGradient(g, xp, layout, a: a, b: b, d: d, output: gx.floats.baseAddress!)
            gradX = gx
        }
        var grads: [Tensor?] = [gradX]
        if weight != nil {
            grads.append(needWeight ? Tensor((0..<c).map { sumGradCentered[$0] * invStd[$0] }) : nil)
        }
        if bias != nil { grads.append(needBias ? Tensor(sumGrad) : nil) }
        return grads
    }
}

/// A tensor seen as [batch, channels, spatial] with spatial contiguous.
struct ChannelLayout {
    var batch, channels, spatial: Int
    var count: Int { batch * channels * spatial }
}

/// Vectorised passes of batch normalisation. Every pass walks the tensor in memory order,
/// one [spatial] row per (n, c), split into contiguous chunks of rows across threads, so
/// each thread streams through memory (walking one channel at a time jumps C·S floats
/// between rows, which measured ~2× slower). Per-channel sums are kept per chunk and
/// combined in chunk order: the same thread count gives the same bytes.
enum BatchNormKernels {
    /// Rows per chunk: enough elements per chunk to be worth a thread.
    @inline(__always)
    static func minRows(_ layout: ChannelLayout) -> Int { max(1, (1 << 15) / max(1, layout.spatial)) }

    /// Runs `body(chunk, rows)` over the chunks of rows in parallel; returns the chunk count.
    @inline(__always)
    static func forEachChunk(_ layout: ChannelLayout, _ body: (Int, Range<Int>) -> Void) -> Int {
        let rows = layout.batch * layout.channels
        let chunks = chunkCount(rows, minChunk: minRows(layout))
        // Each chunk writes only its own slice of the partial sums.
        withoutActuallyEscaping(body) { escapable in
            let shared = unsafeBitCast(escapable, to: (@Sendable (Int, Range<Int>) -> Void).self)
            if chunks == 1 {
                shared(0, 0..<rows)
            } else {
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    shared(c, chunkRange(c, of: chunks, count: rows))
                }
            }
        }
        return chunks
    }

    /// Σ(x − k) and Σ(x − k)² over `count` contiguous values, in Float over at most 4096
    /// values at a time and in Double beyond.
    @inline(__always)
    static func shiftedSums(_ p: UnsafePointer<Float>, count: Int, shift k: Float) -> (Double, Double) {
        let kv = SIMD8<Float>(repeating: k), raw = UnsafeRawPointer(p)
        var sum = 0.0, squares = 0.0
        var start = 0
        while start < count {
            let end = min(count, start + 4096)
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
            var i = start
            while i + 16 <= end {
                let v0 = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - kv
                let v1 = raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) - kv
                s0 += v0; s1 += v1
                q0 += v0 * v0; q1 += v1 * v1
                i += 16
            }
            var partSum = (s0 + s1).sum(), partSquares = (q0 + q1).sum()
            while i < end {
                let v = p[i] - k
                partSum += v; partSquares += v * v
                i += 1
            }
            sum += Double(partSum); squares += Double(partSquares)
            start = end
        }
        return (sum, squares)
    }

    /// Batch mean and biased variance per channel.
    ///
    /// Sums of (x − k) and (x − k)² with k the channel's first value: the shift keeps the
    /// sum of squares from cancelling when |mean| ≫ σ.
    static func statistics(_ x: UnsafePointer<Float>, _ layout: ChannelLayout,
                           mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        let (c, s) = (layout.channels, layout.spatial)
        let maxChunks = chunkCount(layout.batch * c, minChunk: minRows(layout))
        var partials = [Double](repeating: 0, count: maxChunks * c * 2)
        let chunks = partials.withUnsafeMutableBufferPointer { buffer in
            let partial = buffer.baseAddress!
            return forEachChunk(layout) { chunk, rows in
                let sums = partial + chunk * c * 2
                for row in rows {
                    let ch = row % c
                    let (sum, squares) = shiftedSums(x + row * s, count: s, shift: x[ch * s])
                    sums[2 * ch] += sum
                    sums[2 * ch + 1] += squares
                }
            }
        }
        let count = Double(layout.batch * s)
        for ch in 0..<c {
            var sum = 0.0, squares = 0.0
            for chunk in 0..<chunks {
                sum += partials[(chunk * c + ch) * 2]
                squares += partials[(chunk * c + ch) * 2 + 1]
            }
            let shiftedMean = sum / count
            mean[ch] = Float(Double(x[ch * s]) + shiftedMean)
            variance[ch] = Float(max(0, squares / count - shiftedMean * shiftedMean))
        }
    }

    /// output = x·scale[c] + shift[c].
    static func affine(_ x: UnsafePointer<Float>, _ layout: ChannelLayout, scale: [Float], shift: [Float],
                       output: UnsafeMutablePointer<Float>) {
        let (c, s) = (layout.channels, layout.spatial)
        scale.withUnsafeBufferPointer { scaleBuffer in
            shift.withUnsafeBufferPointer { shiftBuffer in
                let scales = scaleBuffer.baseAddress!, shifts = shiftBuffer.baseAddress!
                parallelChunks(layout.batch * c, minChunk: minRows(layout)) { rows in
                    for row in rows {
                        let ch = row % c
                        multiplyAdd(x + row * s, by: scales[ch], plus: shifts[ch], into: output + row * s, count: s)
                    }
                }
            }
        }
    }

    /// Σg and Σg·(x − mean) per channel.
    static func gradientSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ layout: ChannelLayout,
                             mean: [Float], sumGrad: UnsafeMutablePointer<Float>,
                             sumGradCentered: UnsafeMutablePointer<Float>) {
        let (c, s) = (layout.channels, layout.spatial)
        let maxChunks = chunkCount(layout.batch * c, minChunk: minRows(layout))
        var partials = [Double](repeating: 0, count: maxChunks * c * 2)
        let chunks = mean.withUnsafeBufferPointer { meanBuffer in
            partials.withUnsafeMutableBufferPointer { buffer in
                let means = meanBuffer.baseAddress!, partial = buffer.baseAddress!
                return forEachChunk(layout) { chunk, rows in
                    let sums = partial + chunk * c * 2
                    for row in rows {
                        let ch = row % c
                        let (sg, sgx) = gradientRowSums(g + row * s, x + row * s, count: s, mean: means[ch])
                        sums[2 * ch] += sg
                        sums[2 * ch + 1] += sgx
                    }
                }
            }
        }
        for ch in 0..<c {
            var sg = 0.0, sgx = 0.0
            for chunk in 0..<chunks {
                sg += partials[(chunk * c + ch) * 2]
                sgx += partials[(chunk * c + ch) * 2 + 1]
            }
            sumGrad[ch] = Float(sg)
            sumGradCentered[ch] = Float(sgx)
        }
    }

    /// Σg and Σg·(x − mean) over `count` contiguous values (Float within 4096, then Double).
    @inline(__always)
    static func gradientRowSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int,
                                mean mu: Float) -> (Double, Double) {
        let muv = SIMD8<Float>(repeating: mu)
        let gr = UnsafeRawPointer(g), xr = UnsafeRawPointer(x)
        var sg = 0.0, sgx = 0.0
        var start = 0
        while start < count {
            let end = min(count, start + 4096)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), p0 = SIMD8<Float>(), p1 = SIMD8<Float>()
            var i = start
            while i + 16 <= end {
                let g0 = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let g1 = gr.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                let x0 = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - muv
                let x1 = xr.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) - muv
                a0 += g0; a1 += g1
                p0 += g0 * x0; p1 += g1 * x1
                i += 16
            }
            var partG = (a0 + a1).sum(), partGX = (p0 + p1).sum()
            while i < end {
                partG += g[i]; partGX += g[i] * (x[i] - mu)
                i += 1
            }
            sg += Double(partG); sgx += Double(partGX)
            start = end
        }
        return (sg, sgx)
    }

    /// output = a[c]·g + b[c]·x + d[c].
    static func inputGradient(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ layout: ChannelLayout,
                              a: [Float], b: [Float], d: [Float], output: UnsafeMutablePointer<Float>) {
        let (c, s) = (layout.channels, layout.spatial)
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                d.withUnsafeBufferPointer { db in
                    let aa = ab.baseAddress!, bbp = bb.baseAddress!, dd = db.baseAddress!
                    parallelChunks(layout.batch * c, minChunk: minRows(layout)) { rows in
                        for row in rows {
                            let ch = row % c, offset = row * s
                            let av = SIMD8<Float>(repeating: aa[ch]), bv = SIMD8<Float>(repeating: bbp[ch])
                            let dv = SIMD8<Float>(repeating: dd[ch])
                            let gr = UnsafeRawPointer(g + offset), xr = UnsafeRawPointer(x + offset)
                            let out = UnsafeMutableRawPointer(output + offset)
                            var i = 0
                            while i + 8 <= s {
                                let gv = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                                let xv = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                                out.storeBytes(of: av * gv + bv * xv + dv, toByteOffset: i * 4, as: SIMD8<Float>.self)
                                i += 8
                            }
                            while i < s {
                                output[offset + i] = aa[ch] * g[offset + i] + bbp[ch] * x[offset + i] + dd[ch]
                                i += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// out[i] = p[i]·scale + shift for `count` values.
    @inline(__always)
    static func multiplyAdd(_ p: UnsafePointer<Float>, by scale: Float, plus shift: Float,
                            into out: UnsafeMutablePointer<Float>, count: Int) {
        let sv = SIMD8<Float>(repeating: scale), tv = SIMD8<Float>(repeating: shift)
        let src = UnsafeRawPointer(p), dst = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 8 <= count {
            let v = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            dst.storeBytes(of: v * sv + tv, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            out[i] = p[i] * scale + shift
            i += 1
        }
    }
}
