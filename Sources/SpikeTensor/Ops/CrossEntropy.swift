import Foundation

/// Cross-entropy of class logits against integer targets, PyTorch's `cross_entropy`:
/// logits `[N, C]` or `[N, C, d1, …]`, targets `Int32` `[N]` or `[N, d1, …]`.
///
/// With label smoothing ε the target distribution is `(1−ε)·onehot + ε/C`. Targets equal to
/// `ignoreIndex` contribute nothing, and `.mean` averages over the other targets only (a
/// mean over none is 0).
public func crossEntropy(_ logits: Tensor, _ targets: Tensor, labelSmoothing: Float = 0,
                         ignoreIndex: Int32? = nil, reduction: Reduction = .mean) -> Tensor {
    precondition(logits.dtype == .float32, "crossEntropy logits must be float32, got \(logits.dtype)")
    precondition(targets.dtype == .int32, "crossEntropy targets must be int32 class indices, got \(targets.dtype)")
    precondition(logits.rank >= 2, "crossEntropy logits must be [N, C] or [N, C, d1, …], got shape \(logits.shape)")
    let expectedTargets = [logits.shape[0]] + Array(logits.shape.dropFirst(2))
    precondition(targets.shape == expectedTargets,
                 "crossEntropy: targets shape \(targets.shape) does not match logits \(logits.shape) (expected \(expectedTargets))")
    precondition(logits.shape[1] >= 1, "crossEntropy needs at least one class, got logits \(logits.shape)")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "crossEntropy labelSmoothing must be in [0, 1], got \(labelSmoothing)")

    let classes = logits.shape[1]
    // Logits are [N, C, S]: position p = n·S + s reads its C logits with stride S.
    let spatial = logits.shape.dropFirst(2).reduce(1, *)
    let positions = targets.count
    let eps = labelSmoothing
    let ignored = ignoreIndex
    let px = UnsafePointer(logits.floats.baseAddress!), pt = UnsafePointer(targets.int32s.baseAddress!)
    typealias Vector = VectorMath.Vector

    // log Σ exp per position: with the logits it restores the softmax in backward, so
    // one float per position is saved instead of C.
    let logSumExp = Tensor(shape: [positions], uninitialized: true)
    let plse = logSumExp.floats.baseAddress!
    // Per-position losses (0 where ignored), summed afterwards in a fixed order.
    let losses = Tensor(shape: targets.shape, uninitialized: true)
    let ploss = losses.floats.baseAddress!

    /// The loss at position p from its log Σ exp, target logit and mean logit:
    /// −Σ_c q_c·log p_c with q = (1−ε)·onehot + ε/C and log p_c = x_c − lse.
    @inline(__always) func positionLoss(_ p: Int, lse: Float, column: UnsafePointer<Float>, meanLogit: Float) -> Float {
        let target = pt[p]
        if target == ignored { return 0 }
        precondition(target >= 0 && Int(target) < classes,
                     "crossEntropy: target \(target) at position \(p) is outside [0, \(classes))")
        return lse - (1 - eps) * column[Int(target) * spatial] - eps * meanLogit
    }

    AxisKernels.forEachBlock(outer: logits.shape[0], length: classes, inner: spatial) { block in
        switch block {
        case .lanes(let base):
            let column = px + base
            let p0 = (base / (classes * spatial)) * spatial + base % (classes * spatial)
            let m = AxisKernels.laneMaximum(column, classes, spatial)
            var sumExp = Vector()
            for c in 0..<classes { sumExp += VectorMath.exp(VectorMath.load(column + c * spatial) - m) }
            let lse = m + AxisKernels.laneLog(sumExp)
            let meanLogit = eps > 0 ? AxisKernels.laneSum(column, classes, spatial) / Float(classes) : Vector()
            VectorMath.store(lse, to: plse + p0)
            for k in 0..<8 { ploss[p0 + k] = positionLoss(p0 + k, lse: lse[k], column: column + k, meanLogit: meanLogit[k]) }
        case .column(let base):
            let column = px + base
            let p = (base / (classes * spatial)) * spatial + base % (classes * spatial)
            let m = AxisKernels.maximum(column, classes, spatial)
            let lse = m + Foundation.log(AxisKernels.sumOfShiftedExp(column, classes, spatial, shift: m, writingTo: nil))
            plse[p] = lse
            let meanLogit = eps > 0 ? AxisKernels.sum(column, classes, spatial) / Float(classes) : 0
            ploss[p] = positionLoss(p, lse: lse, column: column, meanLogit: meanLogit)
        }
    }
    var counted = positions
    if let ignored { for p in 0..<positions where pt[p] == ignored { counted -= 1 } }

    let out: Tensor
    switch reduction {
    case .none:
        out = losses
    case .sum, .mean:
        let total = chunkedSum(positions, minChunk: 1 << 15) { range in
            var s = 0.0
            for p in range { s += Double(ploss[p]) }
            return s
        }
        out = Tensor.scalar(reduction == .sum ? Float(total) : (counted > 0 ? Float(total / Double(counted)) : 0))
    }

    // Saved: log Σ exp per position (the logits and targets are inputs already).
    return Tensor.record("crossEntropy", output: out, inputs: [logits, targets]) { g in
        guard logits.requiresGrad else { return [nil, nil] }
        let gx = Tensor(shape: logits.shape, uninitialized: true)
        let pgx = gx.floats.baseAddress!
        let scale = LossGradientScale(g, reduction: reduction, divisor: counted)
        let lse = UnsafePointer(logSumExp.floats.baseAddress!)
        let smooth = eps / Float(classes)
        /// The reduction's factor at position p (0 where the target is ignored).
        @inline(__always) func factor(_ p: Int) -> Float { pt[p] == ignored ? 0 : scale[p] }
        // ∂loss/∂x_c = (softmax_c − q_c)·factor, softmax_c = e^{x_c − lse}.
        AxisKernels.forEachBlock(outer: logits.shape[0], length: classes, inner: spatial) { block in
            switch block {
            case .lanes(let base):
                let column = px + base, dx = pgx + base
                let p0 = (base / (classes * spatial)) * spatial + base % (classes * spatial)
                var s = Vector()
                for k in 0..<8 { s[k] = factor(p0 + k) }
                let shift = VectorMath.load(lse + p0), q = Vector(repeating: smooth)
                for c in 0..<classes {
                    let e = VectorMath.exp(VectorMath.load(column + c * spatial) - shift)
                    VectorMath.store(s * (e - q), to: dx + c * spatial)
                }
                for k in 0..<8 where pt[p0 + k] != ignored { dx[Int(pt[p0 + k]) * spatial + k] -= s[k] * (1 - eps) }
            case .column(let base):
                let column = px + base, dx = pgx + base
                let p = (base / (classes * spatial)) * spatial + base % (classes * spatial)
                let s = factor(p)
                _ = AxisKernels.sumOfShiftedExp(column, classes, spatial, shift: lse[p], writingTo: dx)
                for c in 0..<classes { dx[c * spatial] = s * (dx[c * spatial] - smooth) }
                if pt[p] != ignored { dx[Int(pt[p]) * spatial] -= s * (1 - eps) }
            }
        }
        return [gx, nil]
    }
}
