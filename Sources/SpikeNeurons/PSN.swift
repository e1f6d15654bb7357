import Foundation
import SpikeTensor

// The parallel spiking neuron family of Fang et al. 2023, with SpikingJelly's semantics
// (`spikingjelly.activation_based.neuron.PSN`, `MaskedPSN`, `SlidingPSN`, multi-step mode):
// H = W_eff·X + B over the whole window, S = Θ(H) with Θ(0) = 1, surrogate atan α = 2 by default.
// The three differ only in how the T×T matrix W_eff is made from the learnable weight.

/// PSN: S = Θ(W·X + B) for time-major X [T, ...], W [T, T], B [T] (SpikingJelly `PSN`).
public func psn(_ x: Tensor, weight: Tensor, bias: Tensor, surrogate: Surrogate = Surrogate(.atan),
                recorder: FiringRateRecorder? = nil) -> Tensor {
    let (t, _) = TimeMixing.extent(of: x.shape, "psn")
    precondition(weight.shape == [t, t], "psn: weight must be [T, T] = [\(t), \(t)] for input \(x.shape), got \(weight.shape)")
    precondition(bias.count == t, "psn: bias must hold T = \(t) values, got shape \(bias.shape)")
    return parallelSpikingNeuron(
        "psn", x, weight: weight, bias: bias, matrix: weight.array, rowBias: bias.array,
        surrogate: surrogate, recorder: recorder,
        weightGradient: { dEffective in Tensor(dEffective, shape: weight.shape) },
        biasGradient: { rowSums in Tensor(rowSums, shape: bias.shape) })
}

/// The masked-PSN mask M_k(λ) = λ·M_k + (1 − λ) (M_k[i, j] = 1 iff j ≤ i ≤ j + k − 1),
/// row-major T×T; λ ≥ 1 gives M_k itself, as SpikingJelly does.
public func maskedPSNMask(timeSteps: Int, order k: Int, lambda: Float) -> [Float] {
    precondition(k >= 1, "masked PSN order k must be at least 1, got \(k)")
    var mask = [Float](repeating: 0, count: timeSteps * timeSteps)
    for i in 0..<timeSteps {
        for j in 0..<timeSteps {
            let band: Float = (j <= i && i <= j + k - 1) ? 1 : 0
            mask[i * timeSteps + j] = lambda >= 1 ? band : lambda * band + (1 - lambda)
        }
    }
    return mask
}

/// Masked PSN of order k: S = Θ((W ⊙ M_k(λ))·X + B), λ ramped from 0 to 1 during training
/// (SpikingJelly `MaskedPSN`, multi-step).
public func maskedPSN(_ x: Tensor, weight: Tensor, bias: Tensor, order k: Int, lambda: Float,
                      surrogate: Surrogate = Surrogate(.atan),
                      recorder: FiringRateRecorder? = nil) -> Tensor {
    let (t, _) = TimeMixing.extent(of: x.shape, "maskedPSN")
    precondition(weight.shape == [t, t], "maskedPSN: weight must be [T, T] = [\(t), \(t)] for input \(x.shape), got \(weight.shape)")
    precondition(bias.count == t, "maskedPSN: bias must hold T = \(t) values, got shape \(bias.shape)")
    let mask = maskedPSNMask(timeSteps: t, order: k, lambda: lambda)
    let w = weight.array
    let effective = (0..<(t * t)).map { w[$0] * mask[$0] }
    return parallelSpikingNeuron(
        "maskedPSN", x, weight: weight, bias: bias, matrix: effective, rowBias: bias.array,
        surrogate: surrogate, recorder: recorder,
        weightGradient: { dEffective in
            Tensor((0..<(t * t)).map { dEffective[$0] * mask[$0] }, shape: weight.shape)
        },
        biasGradient: { rowSums in Tensor(rowSums, shape: bias.shape) })
}

/// The T×T matrix of a sliding PSN: row i holds w[k−1−(i−j)] at column j for 0 ≤ i − j < k
/// (the window reaches before t = 0 as zeros), as SpikingJelly's `gen_gemm_weight`.
public func slidingPSNMatrix(weight w: [Float], timeSteps: Int) -> [Float] {
    let k = w.count
    var matrix = [Float](repeating: 0, count: timeSteps * timeSteps)
    for i in 0..<timeSteps {
        for j in max(0, i - k + 1)...i { matrix[i * timeSteps + j] = w[k - 1 - (i - j)] }
    }
    return matrix
}

/// Sliding PSN of order k = weight.count: H[t] = Σ_{i<k} W_i·X[t − k + 1 + i] + B with X[< 0] = 0,
/// S = Θ(H); W [k] and the scalar B are shared over time (SpikingJelly `SlidingPSN`, multi-step).
public func slidingPSN(_ x: Tensor, weight: Tensor, bias: Tensor, surrogate: Surrogate = Surrogate(.atan),
                       recorder: FiringRateRecorder? = nil) -> Tensor {
    let (t, _) = TimeMixing.extent(of: x.shape, "slidingPSN")
    precondition(weight.rank == 1 && weight.count >= 1, "slidingPSN: weight must be [k] with k ≥ 1, got \(weight.shape)")
    precondition(bias.count == 1, "slidingPSN: bias must be one value, got shape \(bias.shape)")
    let k = weight.count
    let b = bias.array[0]
    return parallelSpikingNeuron(
        "slidingPSN", x, weight: weight, bias: bias,
        matrix: slidingPSNMatrix(weight: weight.array, timeSteps: t),
        rowBias: [Float](repeating: b, count: t), surrogate: surrogate, recorder: recorder,
        weightGradient: { dEffective in
            // W_i sits on the diagonal i − j = k − 1 − i of the matrix: sum that diagonal.
            var dw = [Float](repeating: 0, count: k)
            for i in 0..<t {
                for j in max(0, i - k + 1)...i { dw[k - 1 - (i - j)] += dEffective[i * t + j] }
            }
            return Tensor(dw, shape: weight.shape)
        },
        biasGradient: { rowSums in
            Tensor([Float(rowSums.reduce(0.0) { $0 + Double($1) })], shape: bias.shape)
        })
}

/// The shared kernel: H = matrix·X + rowBias (one GEMM), S = Θ(H).
///
/// Saves H, the surrogate's input, as one float per element: it is exactly what dS/dH needs
/// (X is held by the graph anyway for dW; the T×T matrix is copied, it is tiny).
private func parallelSpikingNeuron(
    _ name: String, _ x: Tensor, weight: Tensor, bias: Tensor, matrix: [Float], rowBias: [Float],
    surrogate: Surrogate, recorder: FiringRateRecorder?,
    weightGradient: @escaping ([Float]) -> Tensor, biasGradient: @escaping ([Float]) -> Tensor
) -> Tensor {
    precondition(x.dtype == .float32 && weight.dtype == .float32 && bias.dtype == .float32,
                 "\(name): float32 tensors required")
    let (t, m) = TimeMixing.extent(of: x.shape, name)
    let h = Tensor(shape: [t, m], uninitialized: true)
    let hp = h.floats.baseAddress!
    TimeMixing.fillRows(hp, rowBias, columns: m)
    matrix.withUnsafeBufferPointer { a in
        TimeMixing.multiply(a.baseAddress!, x.floats.baseAddress!, into: hp, timeSteps: t, columns: m,
                            accumulate: true)
    }
    let spikes = Tensor(shape: x.shape, uninitialized: true)
    let sp = spikes.floats.baseAddress!
    parallelChunks(t * m, minChunk: 1 << 15) { range in
        for i in range { sp[i] = hp[i] >= 0 ? 1 : 0 }
    }
    recorder?.record(spikes: spikes)

    let kind = surrogate.kind, alpha = surrogate.alpha
    return Tensor.record(name, output: spikes, inputs: [x, weight, bias]) { gS in
        // dH = dS ⊙ g′(H)
        let dh = Tensor(shape: [t, m], uninitialized: true)
        let dp = dh.floats.baseAddress!, gp = UnsafePointer(gS.floats.baseAddress!)
        let hs = UnsafePointer(h.floats.baseAddress!)
        parallelChunks(t * m, minChunk: 1 << 14) { range in
            for i in range { dp[i] = gp[i] * Surrogate.derivative(kind, alpha, hs[i]) }
        }
        var dx: Tensor?, dw: Tensor?, db: Tensor?
        if x.requiresGrad {
            let g = Tensor(shape: x.shape, uninitialized: true)
            matrix.withUnsafeBufferPointer { a in
                TimeMixing.multiply(a.baseAddress!, dp, into: g.floats.baseAddress!, timeSteps: t,
                                    columns: m, transposed: true)
            }
            dx = g
        }
        if weight.requiresGrad {
            var dEffective = [Float](repeating: 0, count: t * t)
            dEffective.withUnsafeMutableBufferPointer { g in
                TimeMixing.matrixGradient(dp, x.floats.baseAddress!, into: g.baseAddress!,
                                          timeSteps: t, columns: m)
            }
            dw = weightGradient(dEffective)
        }
        if bias.requiresGrad {
            db = biasGradient(TimeMixing.rowSums(dp, timeSteps: t, columns: m))
        }
        return [dx, dw, db]
    }
}

/// PSN weight and bias initialised as SpikingJelly does: W [T, T] Kaiming-uniform with a = √5
/// (bound 1/√T), B [T] = −1. Both require gradients.
public func makePSNParameters(timeSteps: Int, rng: inout PhiloxGenerator) -> (weight: Tensor, bias: Tensor) {
    precondition(timeSteps >= 1, "PSN needs at least one time step, got \(timeSteps)")
    let weight = Tensor.kaimingUniform([timeSteps, timeSteps], a: Float(5).squareRoot(), rng: &rng,
                                       requiresGrad: true)
    return (weight, Tensor.full([timeSteps], -1, requiresGrad: true))
}

/// Masked PSN weight and bias: the same initialisation as PSN in SpikingJelly (the mask is
/// applied in the forward pass, not baked into W).
public func makeMaskedPSNParameters(timeSteps: Int, rng: inout PhiloxGenerator) -> (weight: Tensor, bias: Tensor) {
    makePSNParameters(timeSteps: timeSteps, rng: &rng)
}

/// Sliding PSN weight [k] and scalar bias (shape []), as SpikingJelly: W = (…, 1/4, 1/2, 1) when
/// `exponential` (its default), else Kaiming-uniform a = √5 over [1, k] (bound 1/√k); B = −1.
public func makeSlidingPSNParameters(order k: Int, exponential: Bool = true,
                                     rng: inout PhiloxGenerator) -> (weight: Tensor, bias: Tensor) {
    precondition(k >= 1, "sliding PSN order k must be at least 1, got \(k)")
    let weight: Tensor
    if exponential {
        weight = Tensor((0..<k).map { Float(Foundation.pow(2.0, Double($0 - (k - 1)))) }, shape: [k],
                        requiresGrad: true)
    } else {
        let w = Tensor.kaimingUniform([1, k], a: Float(5).squareRoot(), rng: &rng)
        weight = Tensor(w.array, shape: [k], requiresGrad: true)
    }
    return (weight, Tensor.scalar(-1, requiresGrad: true))
}
