import Foundation
import SpikeTensor

// The charge–fire–reset family (IF, LIF, PLIF) as one fused kernel over [T, M]:
//   H[t] = charge(V[t−1], X[t]),  S[t] = Θ(H[t] − V_th),
//   V[t] = S[t] ? V_reset : H[t]            (hard reset)
//   V[t] = H[t] − V_th·S[t]                 (soft reset, V_reset = nil)
// and its BPTT backward, which is SpikingJelly's gradient (surrogate on H − V_th, the reset's
// gradient through S unless detach_reset). Neurons differ only in their `ChargeRule`.

/// How a neuron forms H[t] from V[t−1] and X[t], and the partial derivatives backward needs.
protocol ChargeRule {
    /// H[t] from V[t−1] and X[t], in SpikingJelly's order of operations.
    func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float>
    /// ∂L/∂X[t] from ∂L/∂H[t].
    func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float>
    /// ∂L/∂V[t−1] from ∂L/∂H[t].
    func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float>
    /// ∂H[t]/∂q for a learnable leak q = 1/τ (only PLIF has one).
    func leakDerivative(_ vPrevious: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float>
}

extension ChargeRule {
    func leakDerivative(_ vPrevious: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { SIMD8() }
}

/// IF: H = V + X.
struct IntegrateRule: ChargeRule {
    @inline(__always) func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { v + x }
    @inline(__always) func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh }
    @inline(__always) func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh }
}

/// LIF with a fixed τ: H = V + (X − (V − V_rest))/τ, or V − (V − V_rest)/τ + X without
/// decay_input. Divides by τ (not multiplies by 1/τ) as SpikingJelly does, for equal bits.
struct FixedLeakRule: ChargeRule {
    let tau: Float
    let rest: Float
    let decayInput: Bool

    @inline(__always) func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        decayInput ? v + (x - (v - rest)) / tau : v - (v - rest) / tau + x
    }
    @inline(__always) func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { decayInput ? gh / tau : gh }
    @inline(__always) func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh - gh / tau }
}

/// PLIF: LIF with 1/τ = q = sigmoid(w) learnable; H = V + (X − (V − V_rest))·q, or
/// V − (V − V_rest)·q + X without decay_input.
struct LearnedLeakRule: ChargeRule {
    let q: Float
    let rest: Float
    let decayInput: Bool

    @inline(__always) func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        decayInput ? v + (x - (v - rest)) * q : v - (v - rest) * q + x
    }
    @inline(__always) func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { decayInput ? gh * q : gh }
    @inline(__always) func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh - gh * q }
    @inline(__always) func leakDerivative(_ vPrevious: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        decayInput ? x - (vPrevious - rest) : -(vPrevious - rest)
    }
}

/// Threshold and reset of a charge–fire–reset neuron.
struct FireReset {
    let threshold: Float
    /// V_reset for a hard reset; nil for a soft reset (subtract the threshold).
    let hardReset: Float?
    let detachReset: Bool

    /// SpikingJelly fires when H ≥ V_th (Θ(0) = 1).
    @inline(__always) func fires(_ h: SIMD8<Float>) -> SIMDMask<SIMD8<Int32>> { h .>= threshold }

    /// V[t] from H[t] and the spike mask.
    @inline(__always) func reset(_ h: SIMD8<Float>, _ fired: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        if let hardReset { return h.replacing(with: hardReset, where: fired) }
        return h.replacing(with: h - threshold, where: fired)
    }
}

/// The fused forward and backward kernels over a [steps, width] row-major layout.
struct ChargeFireResetKernel<Rule: ChargeRule> {
    let rule: Rule
    let fire: FireReset
    let steps: Int
    let width: Int

    /// Neurons per cache tile: a tile's state rows stay in L1 while t advances.
    static var tileWidth: Int { 4096 }

    /// Groups of eight neurons per parallel chunk: about 32 Ki neuron-steps of work each.
    var minGroupsPerChunk: Int { max(1, (1 << 15) / (8 * max(1, steps))) }

    /// The neuron range `0..<width` covered by eight-lane groups `groups`.
    @inline(__always) func neurons(_ groups: Range<Int>) -> Range<Int> {
        (groups.lowerBound * 8)..<min(groups.upperBound * 8, width)
    }

    /// Runs the recurrence; writes S, V and (when backward will run) H for every step.
    func forward(x: UnsafePointer<Float>, v0: UnsafePointer<Float>, spikes: UnsafeMutablePointer<Float>,
                 membrane: UnsafeMutablePointer<Float>, charged: UnsafeMutablePointer<Float>?) {
        let groups = (width + 7) / 8, M = width
        parallelChunks(groups, minChunk: minGroupsPerChunk) { range in
            let span = neurons(range)
            var tile = span.lowerBound
            while tile < span.upperBound {
                let tileEnd = min(tile + Self.tileWidth, span.upperBound)
                for t in 0..<steps {
                    let row = t * M
                    let previous = t == 0 ? v0 : UnsafePointer(membrane + (row - M))
                    var m = tile
                    while m < tileEnd {
                        let n = min(8, tileEnd - m)
                        let h = rule.charge(Lanes8.load(previous + m, n), Lanes8.load(x + row + m, n))
                        let fired = fire.fires(h)
                        Lanes8.store(fire.reset(h, fired), membrane + row + m, n)
                        Lanes8.store(Lanes8.indicator(fired), spikes + row + m, n)
                        if let charged { Lanes8.store(h, charged + row + m, n) }
                        m += 8
                    }
                }
                tile = tileEnd
            }
        }
    }

    /// What backward computes besides the per-element gradients.
    struct Reductions {
        /// Σ ∂L/∂S[t]·∂g/∂α over all neurons and steps (learnable surrogate α).
        var alpha: Double = 0
        /// Σ ∂L/∂H[t]·∂H[t]/∂q (PLIF's leak q = sigmoid(w)).
        var leak: Double = 0
    }

    /// BPTT from the output gradients (nil pointers read as zero).
    ///
    /// Per step and neuron, with G_V = ∂L/∂V[t] (output gradient + carry from H[t+1]):
    ///   ∂L/∂S[t] = g_S[t] + G_V·∂V/∂S   (∂V/∂S = V_reset − H hard, −V_th soft, 0 if detached)
    ///   ∂L/∂H[t] = ∂L/∂S[t]·g′(H − V_th) + G_V·∂V/∂H   (∂V/∂H = 1 − S hard, 1 soft)
    ///   ∂L/∂X[t], carry = ∂L/∂V[t−1]: from the charge rule.
    /// `x` and `v0` are read only for the leak gradient (V[t−1] is recomputed from H[t−1],
    /// exactly as forward made it, so it need not be saved).
    func backward(charged: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?,
                  gradMembrane: UnsafePointer<Float>?, surrogate kind: Surrogate.Kind, alpha: Float,
                  x: UnsafePointer<Float>?, v0: UnsafePointer<Float>?,
                  gradInput: UnsafeMutablePointer<Float>?, gradInitial: UnsafeMutablePointer<Float>?,
                  wantAlpha: Bool, wantLeak: Bool) -> Reductions {
        precondition(!wantLeak || (x != nil && v0 != nil), "leak gradient needs x and v0")
        let groups = (width + 7) / 8, M = width
        let chunks = chunkCount(groups, minChunk: minGroupsPerChunk)
        // One partial per chunk, combined in chunk order: deterministic for a thread count.
        var partials = [Reductions](repeating: Reductions(), count: chunks)
        let hard = fire.hardReset != nil, resetValue = fire.hardReset ?? 0
        let threshold = fire.threshold, detach = fire.detachReset
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            let partial = partialBuffer.baseAddress!
            parallelChunks(chunks, minChunk: 1) { chunkIndices in
                for c in chunkIndices {
                    let span = neurons(chunkRange(c, of: chunks, count: groups))
                    var alphaSum = SIMD8<Double>(), leakSum = SIMD8<Double>()
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: Self.tileWidth / 8) { carryBuffer in
                        let carry = carryBuffer.baseAddress!
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let tileEnd = min(tile + Self.tileWidth, span.upperBound)
                            carry.initialize(repeating: SIMD8(), count: Self.tileWidth / 8)
                            for t in stride(from: steps - 1, through: 0, by: -1) {
                                let row = t * M
                                var m = tile
                                while m < tileEnd {
                                    let n = min(8, tileEnd - m), lane = (m - tile) / 8
                                    let h = Lanes8.load(charged + row + m, n)
                                    let fired = h .>= threshold
                                    let u = h - threshold
                                    var gV = carry[lane]
                                    if let gradMembrane { gV += Lanes8.load(gradMembrane + row + m, n) }
                                    var gS = gradSpikes.map { Lanes8.load($0 + row + m, n) } ?? SIMD8()
                                    if !detach { gS += gV * (hard ? (resetValue - h) : SIMD8(repeating: -threshold)) }
                                    let direct = hard ? gV.replacing(with: 0, where: fired) : gV
                                    let gh = gS * Lanes8.surrogateDerivative(kind, alpha, u) + direct
                                    if let gradInput { Lanes8.store(rule.inputGradient(gh), gradInput + row + m, n) }
                                    carry[lane] = rule.stateGradient(gh)
                                    // Padded lanes (n < 8) hold zeros throughout, so they add 0 below.
                                    if wantAlpha {
                                        alphaSum += SIMD8<Double>(gS * Lanes8.surrogateAlphaDerivative(kind, alpha, u))
                                    }
                                    if wantLeak, let x, let v0 {
                                        let vPrevious: SIMD8<Float>
                                        if t > 0 {
                                            let hp = Lanes8.load(charged + (row - M) + m, n)
                                            vPrevious = fire.reset(hp, fire.fires(hp))
                                        } else {
                                            vPrevious = Lanes8.load(v0 + m, n)
                                        }
                                        leakSum += SIMD8<Double>(gh * rule.leakDerivative(vPrevious, Lanes8.load(x + row + m, n)))
                                    }
                                    m += 8
                                }
                            }
                            if let gradInitial {
                                var m = tile
                                while m < tileEnd {
                                    Lanes8.store(carry[(m - tile) / 8], gradInitial + m, min(8, tileEnd - m))
                                    m += 8
                                }
                            }
                            tile = tileEnd
                        }
                    }
                    partial[c] = Reductions(alpha: alphaSum.sum(), leak: leakSum.sum())
                }
            }
        }
        return partials.reduce(into: Reductions()) { total, p in
            total.alpha += p.alpha
            total.leak += p.leak
        }
    }
}

/// Runs a charge–fire–reset neuron on `x` viewed as [steps, width] and records its backward.
///
/// Inputs recorded, in order: x, v0 (if given), leak weight w (PLIF), alpha (if given).
/// Saved for backward: H[t] as Float — the surrogate needs H − V_th, a hard reset's gradient
/// needs V_reset − H, and S[t] = Θ(H − V_th) is recomputed from it bit for bit, so spikes are
/// not saved at all (4 bytes per neuron-step in total). PLIF additionally keeps x and v0
/// (inputs the graph holds anyway) for ∂H/∂q; V[t−1] is recomputed from H[t−1].
/// Nothing is saved when no input requires a gradient.
func runChargeFireReset<Rule: ChargeRule>(
    _ name: String, x: Tensor, steps: Int, stateShape: [Int], v0: Tensor?, rule: Rule,
    fire: FireReset, surrogate: Surrogate, alpha: Tensor?, leakWeight: Tensor? = nil,
    leak: Float = 0, recorder: FiringRateRecorder?
) -> (spikes: Tensor, membrane: Tensor) {
    precondition(x.dtype == .float32, "\(name): input must be float32, got \(x.dtype)")
    let width = Tensor.elementCount(stateShape)
    precondition(steps * width == x.count, "\(name): input of shape \(x.shape) is not \(steps) steps of \(stateShape)")
    if let v0 {
        precondition(v0.dtype == .float32 && v0.shape == stateShape,
                     "\(name): v0 must be float32 of shape \(stateShape) (one step of the input), got \(v0.dtype) \(v0.shape)")
    }
    if let alpha {
        precondition(alpha.dtype == .float32 && alpha.count == 1,
                     "\(name): alpha must be a one-element float32 tensor, got \(alpha.dtype) \(alpha.shape)")
    }
    var inputs = [x]
    if let v0 { inputs.append(v0) }
    let leakIndex = leakWeight.map { _ in inputs.count }
    if let leakWeight { inputs.append(leakWeight) }
    let alphaIndex = alpha.map { _ in inputs.count }
    if let alpha { inputs.append(alpha) }

    let initial = v0 ?? Tensor.full(stateShape, fire.hardReset ?? 0)
    let alphaValue = alpha?.floats[0] ?? surrogate.alpha
    let kernel = ChargeFireResetKernel(rule: rule, fire: fire, steps: steps, width: width)
    let recording = Tensor.shouldRecord(inputs)
    let spikes = Tensor(shape: x.shape, uninitialized: true)
    let membrane = Tensor(shape: x.shape, uninitialized: true)
    let charged = recording ? Tensor(shape: x.shape, uninitialized: true) : nil
    kernel.forward(x: x.floats.baseAddress!, v0: initial.floats.baseAddress!,
                   spikes: spikes.floats.baseAddress!, membrane: membrane.floats.baseAddress!,
                   charged: charged?.floats.baseAddress)
    recorder?.record(spikes: spikes)
    guard let charged else { return (spikes, membrane) }

    let wantLeak = leakWeight?.requiresGrad ?? false
    // x and v0 are kept only when the leak gradient needs them.
    let leakInputs = wantLeak ? (x, initial) : nil
    let outputs = Tensor.record(name, outputs: [spikes, membrane], inputs: inputs) { grads in
        let gradInput = x.requiresGrad ? Tensor(shape: x.shape, uninitialized: true) : nil
        let gradInitial = (v0?.requiresGrad ?? false) ? Tensor(shape: stateShape, uninitialized: true) : nil
        let wantAlpha = alpha?.requiresGrad ?? false
        let sums = kernel.backward(
            charged: charged.floats.baseAddress!,
            gradSpikes: grads[0].map { UnsafePointer($0.floats.baseAddress!) },
            gradMembrane: grads[1].map { UnsafePointer($0.floats.baseAddress!) },
            surrogate: surrogate.kind, alpha: alphaValue,
            x: leakInputs.map { UnsafePointer($0.0.floats.baseAddress!) },
            v0: leakInputs.map { UnsafePointer($0.1.floats.baseAddress!) },
            gradInput: gradInput?.floats.baseAddress, gradInitial: gradInitial?.floats.baseAddress,
            wantAlpha: wantAlpha, wantLeak: wantLeak)
        var result = [Tensor?](repeating: nil, count: inputs.count)
        result[0] = gradInput
        if v0 != nil { result[1] = gradInitial }
        if let leakIndex, wantLeak, let leakWeight {
            // dq/dw = q(1 − q) for q = sigmoid(w).
            result[leakIndex] = Tensor.full(leakWeight.shape, Float(sums.leak * Double(leak) * Double(1 - leak)))
        }
        if let alphaIndex, wantAlpha, let alpha {
            result[alphaIndex] = Tensor.full(alpha.shape, Float(sums.alpha))
        }
        return result
    }
    return (outputs[0], outputs[1])
}
