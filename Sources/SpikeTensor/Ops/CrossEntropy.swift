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
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "crossEntropy labelSmoothing must be in [0, 1], got \(labelSmoothing)")

    let classes = logits.shape[1]
    // Logits are [N, C, S]: a position (n, s) reads its C logits with stride S.
    let spatial = logits.shape.dropFirst(2).reduce(1, *)
    let positions = targets.count
    let eps = labelSmoothing
    let ignored = ignoreIndex ?? Int32.min  // Int32.min is never a valid class
    let hasIgnore = ignoreIndex != nil
    let px = UnsafePointer(logits.floats.baseAddress!), pt = UnsafePointer(targets.int32s.baseAddress!)

    // log Σ exp per position: with the logits it restores the softmax in backward, so
    // one float per position is saved instead of C.
    let logSumExp = Tensor(shape: [positions], uninitialized: true)
    let plse = logSumExp.floats.baseAddress!
    let perPosition = reduction == .none ? Tensor(shape: targets.shape, uninitialized: true) : nil
    let pout = perPosition?.floats.baseAddress
    let minChunk = max(1, 8192 / max(1, classes))

    let total = chunkedSum(positions, minChunk: minChunk) { range in
        var partial = 0.0
        for p in range {
            let target = pt[p]
            if hasIgnore && target == ignored {
                plse[p] = 0
                pout?[p] = 0
                continue
            }
            precondition(target >= 0 && Int(target) < classes,
                         "crossEntropy: target \(target) at position \(p) is outside [0, \(classes))")
            let column = px + (p / spatial) * classes * spatial + p % spatial
            let m = AxisKernels.maximum(column, classes, spatial)
            var sumExp: Float = 0
            for c in 0..<classes { sumExp += Foundation.exp(column[c * spatial] - m) }
            let lse = m + Foundation.log(sumExp)
            plse[p] = lse
            // −Σ_c q_c log p_c with q = (1−ε)·onehot + ε/C and log p_c = x_c − lse.
            var loss = lse - (1 - eps) * column[Int(target) * spatial]
            if eps > 0 { loss -= eps * AxisKernels.sum(column, classes, spatial) / Float(classes) }
            pout?[p] = loss
            partial += Double(loss)
        }
        return partial
    }
    var counted = positions
    if hasIgnore { for p in 0..<positions where pt[p] == ignored { counted -= 1 } }

    let out: Tensor
    switch reduction {
    case .none: out = perPosition!
    case .sum: out = Tensor.scalar(Float(total))
    case .mean: out = Tensor.scalar(counted > 0 ? Float(total / Double(counted)) : 0)
    }

    // Saved: log Σ exp per position (the logits and targets are inputs already).
    return Tensor.record("crossEntropy", output: out, inputs: [logits, targets]) { g in
        guard logits.requiresGrad else { return [nil, nil] }
        let gx = Tensor(shape: logits.shape, uninitialized: true)
        let pgx = gx.floats.baseAddress!
        let scale = LossGradientScale(g, reduction: reduction, divisor: counted)
        let lse = UnsafePointer(logSumExp.floats.baseAddress!)
        let smooth = eps / Float(classes)
        parallelChunks(positions, minChunk: minChunk) { range in
            for p in range {
                let offset = (p / spatial) * classes * spatial + p % spatial
                let column = px + offset, dx = pgx + offset
                let target = pt[p]
                if hasIgnore && target == ignored {
                    for c in 0..<classes { dx[c * spatial] = 0 }
                    continue
                }
                // ∂loss/∂x_c = softmax_c − q_c, times the reduction's factor.
                let s = scale[p], shift = lse[p]
                for c in 0..<classes { dx[c * spatial] = s * (Foundation.exp(column[c * spatial] - shift) - smooth) }
                dx[Int(target) * spatial] -= s * (1 - eps)
            }
        }
        return [gx, nil]
    }
}
