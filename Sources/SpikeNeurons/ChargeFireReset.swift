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
/// The gradients multiply by 1/τ instead (a division costs several multiplies; gradients are
/// compared to SpikingJelly within 1e-5, not bit for bit as the forward is).
struct FixedLeakRule: ChargeRule {
    let tau: Float
    let rest: Float
    let decayInput: Bool
    let inverseTau: Float

    init(tau: Float, rest: Float, decayInput: Bool) {
        self.tau = tau
        self.rest = rest
        self.decayInput = decayInput
        inverseTau = 1 / tau
    }

    @inline(__always) func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        decayInput ? v + (x - (v - rest)) / tau : v - (v - rest) / tau + x
    }
    @inline(__always) func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { decayInput ? gh * inverseTau : gh }
    @inline(__always) func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh - gh * inverseTau }
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

    /// `fires` as all-ones / zero lanes: H − V_th ≥ 0 ⇔ its sign bit is clear (a difference of
    /// two unequal floats is never zero, and H = V_th gives +0).
    @inline(__always) func firedBits(_ h: SIMD8<Float>) -> SIMD8<UInt32> { ~Lanes8.signMask(h - threshold) }

    /// `reset` from `firedBits`.
    @inline(__always) func reset(_ h: SIMD8<Float>, bits fired: SIMD8<UInt32>) -> SIMD8<Float> {
        if let hardReset { return Lanes8.select(fired, SIMD8(repeating: hardReset), h) }
        return Lanes8.select(fired, h - threshold, h)
    }

    /// V[t] from H[t] and the spike mask.
    @inline(__always) func reset(_ h: SIMD8<Float>, _ fired: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        if let hardReset { return h.replacing(with: hardReset, where: fired) }
        return h.replacing(with: h - threshold, where: fired)
    }
}

/// The fused forward and backward kernels over a [steps, width] row-major layout.
///
/// Nothing but the inputs is kept for backward: the forward writes the spikes (and V only when
/// the caller takes the membrane), and the backward recomputes H[t] tile by tile from x and v0
/// — the same code on the same values, so bit for bit what the forward had — into an
/// L2-sized scratch, then runs BPTT over that tile. Per neuron-step that is 4 bytes of x read
/// again instead of 4 bytes of H written and read back, and no [T, M] tensor saved at all.
struct ChargeFireResetKernel<Rule: ChargeRule>: EightLaneKernel {
    let rule: Rule
    let fire: FireReset
    let steps: Int
    let width: Int
    /// V before the first step where no v0 tensor is given (the resting potential).
    let rest: Float

    /// Neurons per forward tile (a multiple of 8): the tile's state (256 KiB) stays in L2 while
    /// t advances, and each row of x and S the tile touches is one sequential run of 256 KiB.
    /// Runs that long are what the hardware prefetchers need to stream from memory: 4096-neuron
    /// tiles (state in L1, 16 KiB runs) took 1.5× the time (docs/neurons.md, "Tile widths").
    /// Values never depend on it (tests set small tiles to cross many tile edges).
    var forwardTileWidth = 65_536

    /// Most bytes of recomputed H and carry a backward tile holds: 4 MiB (L2 spills to L3,
    /// which costs less than short runs through x, g and ∂x: a 256 KiB budget took 1.3× the
    /// time; docs/neurons.md, "Tile widths"). Per-element values never depend on it.
    var backwardScratchBytes = 4 << 20

    /// Neurons per backward tile: T + 1 rows of 4-byte values within `backwardScratchBytes`.
    var backwardTileWidth: Int { max(64, (backwardScratchBytes / (4 * (steps + 1))) / 8 * 8) }

    /// V before the first step for the lanes at `m` (`rest` when there is no v0).
    @inline(__always) func initial(_ v0: UnsafePointer<Float>?, _ m: Int, _ n: Int) -> SIMD8<Float> {
        if let v0 { return Lanes8.load(v0 + m, n) }
        return SIMD8(repeating: rest)
    }

    /// Runs the recurrence; writes S for every step, and V when `membrane` is given (otherwise
    /// V lives only in a tile-local buffer).
    func forward(x: UnsafePointer<Float>, v0: UnsafePointer<Float>?, spikes: UnsafeMutablePointer<Float>,
                 membrane: UnsafeMutablePointer<Float>?) {
        let groups = (width + 7) / 8, M = width
        parallelChunks(groups, minChunk: minGroupsPerChunk) { range in
            let span = neurons(range)
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: forwardTileWidth / 8) { stateBuffer in
                let state = stateBuffer.baseAddress!
                var tile = span.lowerBound
                while tile < span.upperBound {
                    let tileEnd = min(tile + forwardTileWidth, span.upperBound)
                    for t in 0..<steps {
                        let row = t * M
                        var m = tile
                        while m < tileEnd {
                            let n = min(8, tileEnd - m), lane = (m - tile) / 8
                            let previous = t == 0 ? initial(v0, m, n) : state[lane]
                            let h = rule.charge(previous, Lanes8.load(x + row + m, n))
                            let fired = fire.fires(h)
                            let v = fire.reset(h, fired)
                            state[lane] = v
                            if let membrane { Lanes8.store(v, membrane + row + m, n) }
                            Lanes8.store(Lanes8.indicator(fired), spikes + row + m, n)
                            m += 8
                        }
                    }
                    tile = tileEnd
                }
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

    /// BPTT from the output gradients (nil pointers read as zero), recomputing H from x and v0.
    ///
    /// Per step and neuron, with G_V = ∂L/∂V[t] (output gradient + carry from H[t+1]):
    ///   ∂L/∂S[t] = g_S[t] + G_V·∂V/∂S   (∂V/∂S = V_reset − H hard, −V_th soft, 0 if detached)
    ///   ∂L/∂H[t] = ∂L/∂S[t]·g′(H − V_th) + G_V·∂V/∂H   (∂V/∂H = 1 − S hard, 1 soft)
    ///   ∂L/∂X[t], carry = ∂L/∂V[t−1]: from the charge rule.
    /// V[t−1] (for the leak gradient) comes from H[t−1] by the reset, as forward made it.
    func backward(x: UnsafePointer<Float>, v0: UnsafePointer<Float>?, gradSpikes: UnsafePointer<Float>?,
                  gradMembrane: UnsafePointer<Float>?, surrogate kind: Surrogate.Kind, alpha: Float,
                  gradInput: UnsafeMutablePointer<Float>?, gradInitial: UnsafeMutablePointer<Float>?,
                  wantAlpha: Bool, wantLeak: Bool) -> Reductions {
        // One specialised loop per surrogate kind: no per-vector switch on the kind.
        switch kind {
        case .sigmoid:
            backward(SigmoidLanes.self, x: x, v0: v0, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                     gradInput: gradInput, gradInitial: gradInitial, wantAlpha: wantAlpha, wantLeak: wantLeak)
        case .atan:
            backward(AtanLanes.self, x: x, v0: v0, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                     gradInput: gradInput, gradInitial: gradInitial, wantAlpha: wantAlpha, wantLeak: wantLeak)
        case .rectangle:
            backward(RectangleLanes.self, x: x, v0: v0, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                     gradInput: gradInput, gradInitial: gradInitial, wantAlpha: wantAlpha, wantLeak: wantLeak)
        case .triangle:
            backward(TriangleLanes.self, x: x, v0: v0, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                     gradInput: gradInput, gradInitial: gradInitial, wantAlpha: wantAlpha, wantLeak: wantLeak)
        }
    }

    /// `backward` for the surrogate `S`.
    private func backward<S: LaneSurrogate>(
        _ surrogate: S.Type, x: UnsafePointer<Float>, v0: UnsafePointer<Float>?, gradSpikes: UnsafePointer<Float>?,
        gradMembrane: UnsafePointer<Float>?, alpha: Float, gradInput: UnsafeMutablePointer<Float>?,
        gradInitial: UnsafeMutablePointer<Float>?, wantAlpha: Bool, wantLeak: Bool
    ) -> Reductions {
        let groups = (width + 7) / 8, M = width
        let chunks = chunkCount(groups, minChunk: minGroupsPerChunk)
        // One partial per chunk, combined in chunk order: deterministic for a thread count.
        var partials = [Reductions](repeating: Reductions(), count: chunks)
        let hard = fire.hardReset != nil, resetValue = fire.hardReset ?? 0
        let threshold = fire.threshold, detach = fire.detachReset
        let tileWidth = backwardTileWidth, lanes = tileWidth / 8
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            let partial = partialBuffer.baseAddress!
            parallelChunks(chunks, minChunk: 1) { chunkIndices in
                for c in chunkIndices {
                    let span = neurons(chunkRange(c, of: chunks, count: groups))
                    var alphaSum = SIMD8<Double>(), leakSum = SIMD8<Double>()
                    // [steps] rows of `lanes` recomputed H vectors, then the carry row.
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes * (steps + 1)) { buffer in
                        let charged = buffer.baseAddress!, carry = charged + steps * lanes
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let tileEnd = min(tile + tileWidth, span.upperBound)
                            // The forward again, keeping H: same operations, same bits.
                            for t in 0..<steps {
                                let row = t * M, hRow = charged + t * lanes
                                var m = tile
                                while m < tileEnd {
                                    let n = min(8, tileEnd - m), lane = (m - tile) / 8
                                    let previous: SIMD8<Float>
                                    if t == 0 {
                                        previous = initial(v0, m, n)
                                    } else {
                                        let hp = hRow[lane - lanes]
                                        previous = fire.reset(hp, bits: fire.firedBits(hp))
                                    }
                                    hRow[lane] = rule.charge(previous, Lanes8.load(x + row + m, n))
                                    m += 8
                                }
                            }
                            carry.initialize(repeating: SIMD8(), count: lanes)
                            for t in stride(from: steps - 1, through: 0, by: -1) {
                                let row = t * M, hRow = charged + t * lanes
                                var m = tile
                                while m < tileEnd {
                                    let n = min(8, tileEnd - m), lane = (m - tile) / 8
                                    let h = hRow[lane]
                                    let u = h - threshold
                                    let fired = ~Lanes8.signMask(u)
                                    var gV = carry[lane]
                                    if let gradMembrane { gV += Lanes8.load(gradMembrane + row + m, n) }
                                    var gS = gradSpikes.map { Lanes8.load($0 + row + m, n) } ?? SIMD8()
                                    if !detach { gS += gV * (hard ? (resetValue - h) : SIMD8(repeating: -threshold)) }
                                    let direct = hard ? Lanes8.select(fired, SIMD8(), gV) : gV
                                    let gh = gS * S.derivative(alpha, u) + direct
                                    if let gradInput { Lanes8.store(rule.inputGradient(gh), gradInput + row + m, n) }
                                    carry[lane] = rule.stateGradient(gh)
                                    // Padded lanes (n < 8) have zero gradients throughout, so they add 0 below.
                                    if wantAlpha {
                                        alphaSum += SIMD8<Double>(gS * S.alphaDerivative(alpha, u))
                                    }
                                    if wantLeak {
                                        let vPrevious: SIMD8<Float>
                                        if t > 0 {
                                            let hp = hRow[lane - lanes]
                                            vPrevious = fire.reset(hp, bits: fire.firedBits(hp))
                                        } else {
                                            vPrevious = initial(v0, m, n)
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
/// `keepMembrane`: whether V is written out (the second result; nil otherwise). A network
/// layer takes only the spikes, so its forward writes 8 bytes per neuron-step instead of 12.
///
/// Inputs recorded, in order: x, v0 (if given), leak weight w (PLIF), alpha (if given).
/// Saved for backward: nothing beyond x and v0, which the graph holds anyway. The backward
/// recomputes H[t] from them (bit for bit; S[t] = Θ(H − V_th) and V[t] follow from H), so a
/// layer costs no [T, M] tensor of saved values and the backward reads x instead of H.
/// Nothing is recorded when no input requires a gradient.
func runChargeFireReset<Rule: ChargeRule>(
    _ name: String, x: Tensor, steps: Int, stateShape: [Int], v0: Tensor?, rule: Rule,
    fire: FireReset, surrogate: Surrogate, alpha: Tensor?, leakWeight: Tensor? = nil,
    leak: Float = 0, keepMembrane: Bool = true, recorder: FiringRateRecorder?
) -> (spikes: Tensor, membrane: Tensor?) {
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

    let alphaValue = alpha?.floats[0] ?? surrogate.alpha
    let kernel = ChargeFireResetKernel(rule: rule, fire: fire, steps: steps, width: width, rest: fire.hardReset ?? 0)
    let spikes = Tensor(shape: x.shape, uninitialized: true)
    let membrane = keepMembrane ? Tensor(shape: x.shape, uninitialized: true) : nil
    kernel.forward(x: x.floats.baseAddress!, v0: v0.map { UnsafePointer($0.floats.baseAddress!) },
                   spikes: spikes.floats.baseAddress!, membrane: membrane?.floats.baseAddress)
    recorder?.record(spikes: spikes)
    guard Tensor.shouldRecord(inputs) else { return (spikes, membrane) }

    let outputs = Tensor.record(name, outputs: membrane.map { [spikes, $0] } ?? [spikes], inputs: inputs) { grads in
        let gradInput = x.requiresGrad ? Tensor(shape: x.shape, uninitialized: true) : nil
        let gradInitial = (v0?.requiresGrad ?? false) ? Tensor(shape: stateShape, uninitialized: true) : nil
        let wantAlpha = alpha?.requiresGrad ?? false
        let wantLeak = leakWeight?.requiresGrad ?? false
        let sums = kernel.backward(
            x: x.floats.baseAddress!, v0: v0.map { UnsafePointer($0.floats.baseAddress!) },
            gradSpikes: grads[0].map { UnsafePointer($0.floats.baseAddress!) },
            gradMembrane: grads.count > 1 ? grads[1].map { UnsafePointer($0.floats.baseAddress!) } : nil,
            surrogate: surrogate.kind, alpha: alphaValue,
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
    return (outputs[0], membrane == nil ? nil : outputs[1])
}
