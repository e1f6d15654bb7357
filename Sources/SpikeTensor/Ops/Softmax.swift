import Foundation

/// `exp(x) / Σ exp(x)` along `axis` (negative counts from the end), computed stably.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    normalizedExponential(x, axis: axis, log: false)
}

/// `x − log Σ exp(x)` along `axis` (negative counts from the end), computed stably.
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    normalizedExponential(x, axis: axis, log: true)
}

/// Shared body of softmax and log-softmax: both see the tensor as `[outer, length, inner]`
/// around the axis and normalise each of the `outer·inner` columns alone.
private func normalizedExponential(_ x: Tensor, axis: Int, log: Bool) -> Tensor {
    let name = log ? "logSoftmax" : "softmax"
    precondition(x.dtype == .float32, "\(name) needs a float32 tensor, got \(x.dtype)")
    precondition(x.rank >= 1, "\(name) needs a tensor of rank 1 or more, got a 0-d tensor")
    precondition(axis >= -x.rank && axis < x.rank,
                 "\(name): axis \(axis) is out of range for shape \(x.shape)")
    let a = axis < 0 ? axis + x.rank : axis
    let length = x.shape[a]
    let inner = x.shape[(a + 1)...].reduce(1, *)
    let outer = x.shape[..<a].reduce(1, *)
    let out = Tensor(shape: x.shape, uninitialized: true)
    let src = UnsafePointer(x.floats.baseAddress!), dst = out.floats.baseAddress!
    typealias Vector = VectorMath.Vector

    // Subtracting the column maximum keeps every exponent ≤ 0, so nothing overflows.
    AxisKernels.forEachBlock(outer: outer, length: length, inner: inner) { block in
        switch block {
        case .lanes(let base):
            let xs = src + base, ys = dst + base
            let m = AxisKernels.laneMaximum(xs, length, inner)
            var sum = Vector()
            for j in 0..<length {
                let e = VectorMath.exp(VectorMath.load(xs + j * inner) - m)
                VectorMath.store(e, to: ys + j * inner)
                sum += e
            }
            if log {
                let shift = m + AxisKernels.laneLog(sum)
                for j in 0..<length { VectorMath.store(VectorMath.load(xs + j * inner) - shift, to: ys + j * inner) }
            } else {
                let scale = 1 / sum
                for j in 0..<length { VectorMath.store(VectorMath.load(ys + j * inner) * scale, to: ys + j * inner) }
            }
        case .column(let base):
            let xs = src + base, ys = dst + base
            let m = AxisKernels.maximum(xs, length, inner)
            let sum = AxisKernels.sumOfShiftedExp(xs, length, inner, shift: m, writingTo: ys)
            if log {
                let shift = m + Foundation.log(sum)
                for j in 0..<length { ys[j * inner] = xs[j * inner] - shift }
            } else {
                let scale = 1 / sum
                for j in 0..<length { ys[j * inner] *= scale }
            }
        }
    }

    // Saved: the output only (a storage-sharing view without graph links, so the closure
    // does not keep its own node alive). Both gradients are functions of y alone.
    let y = out.detached()
    return Tensor.record(name, output: out, inputs: [x]) { g in
        let gx = Tensor(shape: x.shape, uninitialized: true)
        let pg = UnsafePointer(g.floats.baseAddress!), py = UnsafePointer(y.floats.baseAddress!)
        let pgx = gx.floats.baseAddress!
        // log-softmax: dx = g − softmax·Σg with softmax = exp(y); softmax: dx = y ⊙ (g − ⟨g, y⟩).
        AxisKernels.forEachBlock(outer: outer, length: length, inner: inner) { block in
            switch block {
            case .lanes(let base):
                let gs = pg + base, ys = py + base, dx = pgx + base
                if log {
                    let total = AxisKernels.laneSum(gs, length, inner)
                    for j in 0..<length {
                        let k = j * inner
                        VectorMath.store(VectorMath.load(gs + k) - VectorMath.exp(VectorMath.load(ys + k)) * total, to: dx + k)
                    }
                } else {
                    var dot = Vector()
                    for j in 0..<length { dot += VectorMath.load(gs + j * inner) * VectorMath.load(ys + j * inner) }
                    for j in 0..<length {
                        let k = j * inner
                        VectorMath.store(VectorMath.load(ys + k) * (VectorMath.load(gs + k) - dot), to: dx + k)
                    }
                }
            case .column(let base):
                let gs = pg + base, ys = py + base, dx = pgx + base
                if log {
                    let total = AxisKernels.sum(gs, length, inner)
                    // e^y via the shifted-exp helper (shift 0), written into dx, then combined.
                    _ = AxisKernels.sumOfShiftedExp(ys, length, inner, shift: 0, writingTo: dx)
                    for j in 0..<length { dx[j * inner] = gs[j * inner] - dx[j * inner] * total }
                } else {
                    let dot = AxisKernels.dot(gs, ys, length, inner)
                    for j in 0..<length { dx[j * inner] = ys[j * inner] * (gs[j * inner] - dot) }
                }
            }
        }
        return [gx]
    }
}
