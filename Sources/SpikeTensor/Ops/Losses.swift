import Foundation

/// Mean squared error `(x − y)²`, PyTorch's `mse_loss` (shapes must match).
public func mseLoss(_ x: Tensor, _ y: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkPairedLoss("mseLoss", x, y)
    let px = UnsafePointer(x.floats.baseAddress!), py = UnsafePointer(y.floats.baseAddress!)
    let out = reduceLoss(shape: x.shape, reduction: reduction) { i in
        let d = px[i] - py[i]
        return d * d
    }
    // Saved: nothing beyond the inputs.
    return Tensor.record("mseLoss", output: out, inputs: [x, y]) { g in
        let scale = LossGradientScale(g, reduction: reduction, divisor: x.count)
        return pairedGradients(x, y) { i in 2 * (px[i] - py[i]) * scale[i] }
    }
}

/// Huber-style smooth L1, PyTorch's `smooth_l1_loss`: `0.5·d²/β` where `|d| < β`, else
/// `|d| − 0.5·β` (plain L1 when β = 0), with d = x − y.
public func smoothL1Loss(_ x: Tensor, _ y: Tensor, beta: Float = 1, reduction: Reduction = .mean) -> Tensor {
    checkPairedLoss("smoothL1Loss", x, y)
    precondition(beta >= 0, "smoothL1Loss beta must be non-negative, got \(beta)")
    let px = UnsafePointer(x.floats.baseAddress!), py = UnsafePointer(y.floats.baseAddress!)
    let out = reduceLoss(shape: x.shape, reduction: reduction) { i in
        let d = px[i] - py[i], ad = abs(d)
        // With β = 0 the quadratic branch is never taken, so there is no division by zero.
        return ad < beta ? 0.5 * d * d / beta : ad - 0.5 * beta
    }
    // Saved: nothing beyond the inputs.
    return Tensor.record("smoothL1Loss", output: out, inputs: [x, y]) { g in
        let scale = LossGradientScale(g, reduction: reduction, divisor: x.count)
        return pairedGradients(x, y) { i in
            let d = px[i] - py[i]
            let slope: Float = abs(d) < beta ? d / beta : (d > 0 ? 1 : (d < 0 ? -1 : 0))
            return slope * scale[i]
        }
    }
}

/// Binary cross-entropy on logits, PyTorch's `binary_cross_entropy_with_logits`:
/// `−[p·y·log σ(x) + (1−y)·log(1−σ(x))]` with `p = posWeight` (broadcast over the leading
/// axes; its shape must be a suffix of the logits' shape), computed in a form that never
/// overflows.
public func bceWithLogitsLoss(_ logits: Tensor, _ targets: Tensor, posWeight: Tensor? = nil,
                              reduction: Reduction = .mean) -> Tensor {
    checkPairedLoss("bceWithLogitsLoss", logits, targets)
    if let posWeight {
        precondition(posWeight.dtype == .float32, "bceWithLogitsLoss posWeight must be float32, got \(posWeight.dtype)")
        precondition(posWeight.rank <= logits.rank && Array(logits.shape.suffix(posWeight.rank)) == posWeight.shape,
                     "bceWithLogitsLoss posWeight shape \(posWeight.shape) must be a suffix of the logits shape \(logits.shape)")
    }
    let px = UnsafePointer(logits.floats.baseAddress!), py = UnsafePointer(targets.floats.baseAddress!)
    let pw = posWeight.map { UnsafePointer($0.floats.baseAddress!) }
    let period = max(1, posWeight?.count ?? 1)

    // softplus(−x) = log(1 + e^−x) = log1p(e^−|x|) + max(−x, 0): the exponent is never positive.
    @inline(__always) func softplusOfNegative(_ x: Float) -> Float { log1p(exp(-abs(x))) + max(-x, 0) }

    let out = reduceLoss(shape: logits.shape, reduction: reduction) { i in
        let x = px[i], y = py[i]
        let weight = pw.map { 1 + ($0[i % period] - 1) * y } ?? 1
        return (1 - y) * x + weight * softplusOfNegative(x)
    }

    let inputs = posWeight.map { [logits, targets, $0] } ?? [logits, targets]
    // Saved: nothing beyond the inputs.
    return Tensor.record("bceWithLogitsLoss", output: out, inputs: inputs) { g in
        let scale = LossGradientScale(g, reduction: reduction, divisor: logits.count)
        var grads = pairedGradients(logits, targets, first: { i in
            let x = px[i], y = py[i]
            let weight = pw.map { 1 + ($0[i % period] - 1) * y } ?? 1
            // σ(−x) without overflow: e^−|x| / (1 + e^−|x|) or its complement.
            let e = exp(-abs(x))
            let sigmoidOfNegative = x >= 0 ? e / (1 + e) : 1 / (1 + e)
            return ((1 - y) - weight * sigmoidOfNegative) * scale[i]
        }, second: { i in
            let x = px[i]
            let extra = pw.map { ($0[i % period] - 1) * softplusOfNegative(x) } ?? 0
            return (extra - x) * scale[i]
        })
        if let posWeight {
            if posWeight.requiresGrad {
                // ∂/∂p = y·softplus(−x), summed over the broadcast rows in row order.
                let gp = Tensor(shape: posWeight.shape)
                let pgp = gp.floats.baseAddress!
                for row in 0..<(logits.count / period) {
                    for k in 0..<period {
                        let i = row * period + k
                        pgp[k] += py[i] * softplusOfNegative(px[i]) * scale[i]
                    }
                }
                grads.append(gp)
            } else {
                grads.append(nil)
            }
        }
        return grads
    }
}

/// Preconditions shared by the losses that compare two float tensors element by element.
private func checkPairedLoss(_ name: String, _ x: Tensor, _ y: Tensor) {
    precondition(x.dtype == .float32 && y.dtype == .float32,
                 "\(name) needs float32 tensors, got \(x.dtype) and \(y.dtype)")
    precondition(x.shape == y.shape, "\(name): input shape \(x.shape) differs from target shape \(y.shape)")
}

/// Gradients of an element-wise loss of (x, y) whose y-derivative is the negated x-derivative.
@inline(__always)
private func pairedGradients(_ x: Tensor, _ y: Tensor, _ dx: (Int) -> Float) -> [Tensor?] {
    pairedGradients(x, y, first: dx, second: { -dx($0) })
}

/// Gradients of an element-wise loss of (x, y), each computed only where required.
@inline(__always)
private func pairedGradients(_ x: Tensor, _ y: Tensor, first: (Int) -> Float,
                             second: (Int) -> Float) -> [Tensor?] {
    func fill(_ f: (Int) -> Float) -> Tensor {
        let t = Tensor(shape: x.shape, uninitialized: true)
        let p = t.floats.baseAddress!
        parallelChunks(x.count, minChunk: 1 << 15) { range in for i in range { p[i] = f(i) } }
        return t
    }
    return [x.requiresGrad ? fill(first) : nil, y.requiresGrad ? fill(second) : nil]
}
