import SpikeTensor

/// Max pooling of a converted rate-coded SNN (Rueckauer et al. 2017's spiking max-pool): at
/// each step every window passes the input of the unit whose input summed over the steps so
/// far is largest (the first such unit on ties), so the window's output rate tends to its most
/// active unit's rate. A plain max over spikes would pass a spike whenever any unit fires,
/// which over-estimates the max of the rates at every T.
///
/// Input and output are time-folded, [T·N, C, H, W] with time outermost; padding never wins
/// (PyTorch's −∞). Inference only: the result carries no gradient (conversion does not train
/// the SNN). With T = 1 it equals `maxPool2d`.
public func gatedMaxPool2d(_ x: Tensor, timeSteps t: Int, kernel: (Int, Int), stride: (Int, Int),
                           padding: (Int, Int)) -> Tensor {
    precondition(x.rank == 4 && x.dtype == .float32, "gatedMaxPool2d: needs a float [T·N, C, H, W] tensor, got \(x.shape)")
    precondition(t >= 1 && x.shape[0] % t == 0, "gatedMaxPool2d: leading axis \(x.shape[0]) is not a multiple of T = \(t)")
    let planes = x.shape[0] / t * x.shape[1], h = x.shape[2], w = x.shape[3]
    let ho = (h + 2 * padding.0 - kernel.0) / stride.0 + 1, wo = (w + 2 * padding.1 - kernel.1) / stride.1 + 1
    precondition(ho >= 1 && wo >= 1, "gatedMaxPool2d: window \(kernel) does not fit \(h)×\(w) with padding \(padding)")
    let out = Tensor(shape: [x.shape[0], x.shape[1], ho, wo], uninitialized: true)
    let stepIn = planes * h * w, stepOut = planes * ho * wo
    let xp = UnsafePointer(x.floats.baseAddress!), op = out.floats.baseAddress!
    var sums = [Double](repeating: 0, count: stepIn)
    sums.withUnsafeMutableBufferPointer { cum in
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
                        output[(plane * ho + oy) * wo + ox] = input[bestIndex]
                    }
                }
            }
        }
    }
    return out
}
