import SpikeTensor

/// How a converted rate-coded SNN max-pools its spike trains (docs/conversion.md, "Pooling").
public enum SpikingMaxPoolRule: String, Sendable, CaseIterable {
    /// Each window emits what raises the largest running input sum in the window: after t
    /// steps its output summed over the steps equals the largest input sum, exactly. For
    /// spikes of one amplitude θ the output is again a spike train of amplitude θ.
    case cumulative
    /// Rueckauer et al. (2017)'s gate: each step passes the input of the unit whose running
    /// sum (this step's input included) is largest, the first such unit on ties.
    case gated
}

/// Max pooling of a converted rate-coded SNN under `rule`. Input and output are time-folded,
/// [T·N, C, H, W] with time outermost; padding never wins (PyTorch's −∞). Inference only: the
/// result carries no gradient (conversion does not train the SNN). With T = 1 both rules equal
/// `maxPool2d`.
///
/// A plain max over each step's spikes passes a spike whenever any unit fires and
/// over-estimates the max of the rates at every T. The gate passes the spike of the unit
/// leading so far, but when units of nearly equal rate take turns in the lead (common: units of
/// equal rate fire in different phases), a unit that fires draws level with the leader by that
/// very spike and passes it when it comes first in the window: the pooled count then exceeds
/// the largest count by up to one spike per lead change, an error that does not shrink with T
/// (measured in docs/conversion.md). The cumulative rule has no such error: its output count
/// after any step is the window's largest input count.
public func spikingMaxPool2d(_ x: Tensor, timeSteps t: Int, kernel: (Int, Int), stride: (Int, Int),
                             padding: (Int, Int), rule: SpikingMaxPoolRule) -> Tensor {
    precondition(x.rank == 4 && x.dtype == .float32, "spikingMaxPool2d: needs a float [T·N, C, H, W] tensor, got \(x.shape)")
    precondition(t >= 1 && x.shape[0] % t == 0, "spikingMaxPool2d: leading axis \(x.shape[0]) is not a multiple of T = \(t)")
    let planes = x.shape[0] / t * x.shape[1], h = x.shape[2], w = x.shape[3]
    let ho = (h + 2 * padding.0 - kernel.0) / stride.0 + 1, wo = (w + 2 * padding.1 - kernel.1) / stride.1 + 1
    precondition(ho >= 1 && wo >= 1, "spikingMaxPool2d: window \(kernel) does not fit \(h)×\(w) with padding \(padding)")
    let out = Tensor(shape: [x.shape[0], x.shape[1], ho, wo], uninitialized: true)
    let stepIn = planes * h * w, stepOut = planes * ho * wo
    let xp = UnsafePointer(x.floats.baseAddress!), op = out.floats.baseAddress!
    // Running sums in Double: sums of up to 2^29 copies of one Float θ stay exact, so the
    // cumulative rule's differences are exactly θ or 0.
    var sums = [Double](repeating: 0, count: stepIn)
    var emitted = [Double](repeating: 0, count: rule == .cumulative ? stepOut : 0)
    sums.withUnsafeMutableBufferPointer { cum in
        emitted.withUnsafeMutableBufferPointer { previous in
            for step in 0..<t {
                let input = xp + step * stepIn, output = op + step * stepOut
                for i in 0..<stepIn { cum[i] += Double(input[i]) }
                for plane in 0..<planes {
                    let base = plane * h * w
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var best = -Double.infinity, bestIndex = -1
                            for ky in 0..<kernel.0 {
                                let y = oy * stride.0 - padding.0 + ky
                                guard y >= 0 && y < h else { continue }
                                for kx in 0..<kernel.1 {
                                    let xx = ox * stride.1 - padding.1 + kx
                                    guard xx >= 0 && xx < w else { continue }
                                    let index = base + y * w + xx
                                    if cum[index] > best { best = cum[index]; bestIndex = index }
                                }
                            }
                            let o = (plane * ho + oy) * wo + ox
                            switch rule {
                            case .gated:
                                output[o] = input[bestIndex]
                            case .cumulative:
                                output[o] = Float(best - previous[o])
                                previous[o] = best
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// Rueckauer et al. (2017)'s gated spiking max-pool: `spikingMaxPool2d` with rule `.gated`.
public func gatedMaxPool2d(_ x: Tensor, timeSteps t: Int, kernel: (Int, Int), stride: (Int, Int),
                           padding: (Int, Int)) -> Tensor {
    spikingMaxPool2d(x, timeSteps: t, kernel: kernel, stride: stride, padding: padding, rule: .gated)
}
