import Foundation
import SpikeTensor

/// Scales the gradients of `parameters` together so their joint norm is at most `maxNorm`;
/// returns the joint norm before scaling — PyTorch's `torch.nn.utils.clip_grad_norm_`.
///
/// The joint norm is the `normType`-norm of all gradient elements together (`.infinity`: the
/// largest magnitude). Gradients are multiplied by `maxNorm / (norm + 1e-6)` only when that
/// is below 1 (or NaN, so a non-finite norm poisons the gradients as in PyTorch). Parameters
/// without a gradient are skipped; with none at all the norm is 0.
///
/// The norm is accumulated in Double in a fixed order (fixed-size blocks combined in order),
/// so it does not depend on the thread count.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float, normType: Float = 2) -> Float {
    precondition(maxNorm >= 0, "clipGradientNorm: maxNorm must be non-negative, got \(maxNorm)")
    precondition(normType > 0, "clipGradientNorm: normType must be positive or .infinity, got \(normType)")
    let gradients = parameters.compactMap(\.grad)
    guard !gradients.isEmpty else { return 0 }
    for g in gradients {
        precondition(g.dtype == .float32, "clipGradientNorm: gradients must be float32, got \(g.dtype)")
    }

    let total: Float
    if normType == .infinity {
        var largest: Float = 0
        for g in gradients {
            let m = largestMagnitude(g)
            if m > largest || m.isNaN { largest = m }
        }
        total = largest
    } else {
        var sum = 0.0
        for g in gradients { sum += powerSum(g, Double(normType)) }
        switch normType {
        case 1: total = Float(sum)
        case 2: total = Float(sum.squareRoot())
        default: total = Float(pow(sum, 1 / Double(normType)))
        }
    }

    let coefficient = maxNorm / (total + 1e-6)
    if coefficient < 1 || coefficient.isNaN {
        for g in gradients { scaleInPlace(g, by: coefficient) }
    }
    return total
}

/// `clipGradientNorm` over named parameters.
@discardableResult
public func clipGradientNorm(_ parameters: [NamedParameter], maxNorm: Float, normType: Float = 2) -> Float {
    clipGradientNorm(parameters.map(\.tensor), maxNorm: maxNorm, normType: normType)
}

/// Elements per block of the norm's fixed summation order.
private let normBlock = 1 << 14

/// Σ |x|^p over the elements of `t`, in Double: each block of `normBlock` elements is summed
/// in four fixed lanes, then blocks are added in order — the same bits for any thread count.
private func powerSum(_ t: Tensor, _ p: Double) -> Double {
    let x = UnsafePointer(t.floats.baseAddress!)
    let n = t.count
    let blocks = (n + normBlock - 1) / normBlock
    var partials = [Double](repeating: 0, count: blocks)
    partials.withUnsafeMutableBufferPointer { partials in
        let out = partials.baseAddress!
        parallelChunks(blocks, minChunk: 2) { blockRange in
            for b in blockRange {
                let end = min(n, (b + 1) * normBlock)
                var acc = SIMD4<Double>()
                var i = b * normBlock
                while i + 4 <= end {
                    let v = SIMD4<Double>(Double(abs(x[i])), Double(abs(x[i + 1])),
                                          Double(abs(x[i + 2])), Double(abs(x[i + 3])))
                    switch p {
                    case 2: acc += v * v
                    case 1: acc += v
                    default: acc += SIMD4(pow(v[0], p), pow(v[1], p), pow(v[2], p), pow(v[3], p))
                    }
                    i += 4
                }
                var sum = (acc[0] + acc[1]) + (acc[2] + acc[3])
                while i < end {
                    let v = Double(abs(x[i]))
                    sum += p == 2 ? v * v : p == 1 ? v : pow(v, p)
                    i += 1
                }
                out[b] = sum
            }
        }
    }
    return partials.reduce(0, +)
}

/// max |x| over the elements of `t` (NaN if any element is NaN).
private func largestMagnitude(_ t: Tensor) -> Float {
    var largest: Float = 0
    for v in t.floats {
        let m = abs(v)
        if m > largest || m.isNaN { largest = m }
    }
    return largest
}
