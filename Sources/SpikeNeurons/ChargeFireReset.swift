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
    /// `charge` for one neuron: the same operations, so one lane's bits (for Float loops).
    func charge(_ v: Float, _ x: Float) -> Float
    /// `inputGradient` for one neuron.
    func inputGradient(_ gh: Float) -> Float
    /// `stateGradient` for one neuron.
    func stateGradient(_ gh: Float) -> Float
    /// `body(r)` with `r` equal to this rule but built from literal flags, so that a Float loop
    /// inlined into `body` has them as constants: an invariant `decayInput ?` inside the loop
    /// kept LLVM from vectorising it.
    func withConstantFlags<Result>(_ body: (Self) -> Result) -> Result
}

extension ChargeRule {
    @inline(__always) func withConstantFlags<Result>(_ body: (Self) -> Result) -> Result { body(self) }
}

extension ChargeRule {
    func leakDerivative(_ vPrevious: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { SIMD8() }
}

/// IF: H = V + X.
struct IntegrateRule: ChargeRule {
    @inline(__always) func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { v + x }
    @inline(__always) func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh }
    @inline(__always) func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh }
    @inline(__always) func charge(_ v: Float, _ x: Float) -> Float { v + x }
    @inline(__always) func inputGradient(_ gh: Float) -> Float { gh }
    @inline(__always) func stateGradient(_ gh: Float) -> Float { gh }
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

    @inline(__always) func withConstantFlags<Result>(_ body: (Self) -> Result) -> Result {
        decayInput ? body(FixedLeakRule(tau: tau, rest: rest, decayInput: true))
            : body(FixedLeakRule(tau: tau, rest: rest, decayInput: false))
    }

    @inline(__always) func charge(_ v: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        decayInput ? v + (x - (v - rest)) / tau : v - (v - rest) / tau + x
    }
    @inline(__always) func inputGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { decayInput ? gh * inverseTau : gh }
    @inline(__always) func stateGradient(_ gh: SIMD8<Float>) -> SIMD8<Float> { gh - gh * inverseTau }
    @inline(__always) func charge(_ v: Float, _ x: Float) -> Float {
        decayInput ? v + (x - (v - rest)) / tau : v - (v - rest) / tau + x
    }
    @inline(__always) func inputGradient(_ gh: Float) -> Float { decayInput ? gh * inverseTau : gh }
    @inline(__always) func stateGradient(_ gh: Float) -> Float { gh - gh * inverseTau }
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
    @inline(__always) func charge(_ v: Float, _ x: Float) -> Float {
        decayInput ? v + (x - (v - rest)) * q : v - (v - rest) * q + x
    }
    @inline(__always) func inputGradient(_ gh: Float) -> Float { decayInput ? gh * q : gh }
    @inline(__always) func stateGradient(_ gh: Float) -> Float { gh - gh * q }
    @inline(__always) func withConstantFlags<Result>(_ body: (Self) -> Result) -> Result {
        decayInput ? body(LearnedLeakRule(q: q, rest: rest, decayInput: true))
            : body(LearnedLeakRule(q: q, rest: rest, decayInput: false))
    }
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

    /// SpikingJelly fires when H ≥ V_th (Θ(0) = 1); this is that as all-ones / zero lanes:
    /// H − V_th ≥ 0 ⇔ its sign bit is clear (a difference of two unequal floats is never zero,
    /// and H = V_th gives +0). The forward tests H ≥ V_th itself, as it always has.
    @inline(__always) func firedBits(_ h: SIMD8<Float>) -> SIMD8<UInt32> { ~Lanes8.signMask(h - threshold) }

    /// V[t] from H[t] and `firedBits`.
    @inline(__always) func reset(_ h: SIMD8<Float>, bits fired: SIMD8<UInt32>) -> SIMD8<Float> {
        if let hardReset { return Lanes8.select(fired, SIMD8(repeating: hardReset), h) }
        return Lanes8.select(fired, h - threshold, h)
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
    /// (The scratch has four more rows, used only when a gradient is absent or a sum is wanted;
    /// the width stays as it was, since it sets the order in which the α and leak sums add.)
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
                    let count = tileEnd - tile, v = FloatRow(state)
                    // V before the first step into the state row, so every step runs the same loop.
                    if let v0 {
                        for k in 0..<count { v[k] = v0[tile + k] }
                    } else {
                        for k in 0..<count { v[k] = rest }
                    }
                    for t in 0..<steps {
                        let row = t * M + tile
                        forwardRow(v, x + row, spikes: spikes + row, membrane: membrane.map { $0 + row }, count: count)
                    }
                    tile = tileEnd
                }
            }
        }
    }

    /// The first `n` lanes of a scratch vector, the rest zero (the Float loops leave lanes past
    /// a tile's last neuron unwritten).
    @inline(__always) static func lanes(_ p: UnsafeMutablePointer<SIMD8<Float>>, _ n: Int) -> SIMD8<Float> {
        if n == 8 { return p.pointee }
        var v = SIMD8<Float>()
        for i in 0..<n { v[i] = FloatRow(p)[i] }
        return v
    }

    /// H[t] = charge(V[t − 1], X[t]) for `count` neurons, V[t − 1] = reset(H[t − 1]) (`previous`),
    /// else the `initial` row (v0), else `rest`, as loops over Floats: one lane of
    /// the SIMD8 recurrence each, so the same bits.
    ///
    /// Not inlined on purpose: inlined into the loop over t, LLVM's run-time overlap check for
    /// the vectorised loop was hoisted out of it and spanned every row of the scratch, so it
    /// always found H[t − 1] and H[t] overlapping and ran the scalar loop (IF backward 5× slower).
    /// Here the rows are plain arguments and the check covers this row only. The reset kind and
    /// the rule's flags are unswitched into separate loops: an invariant test inside a loop also
    /// kept it from being vectorised.
    @inline(never)
    private func chargeRow(_ previous: FloatRow?, _ initial: UnsafePointer<Float>?, _ x: UnsafePointer<Float>,
                           into charged: FloatRow, count: Int) {
        rule.withConstantFlags { rule in
            if let previous {
                if let hardReset = fire.hardReset {
                    chargeLoop(rule, previous, x, into: charged, count: count, hardReset: hardReset)
                } else {
                    chargeLoop(rule, previous, x, into: charged, count: count, hardReset: nil)
                }
            } else if let initial {
                for k in 0..<count { charged[k] = rule.charge(initial[k], x[k]) }
            } else {
                let rest = self.rest
                for k in 0..<count { charged[k] = rule.charge(rest, x[k]) }
            }
        }
    }

    /// `chargeRow` for one rule form and reset kind (`hardReset` nil: soft reset).
    @inline(__always)
    private func chargeLoop(_ rule: Rule, _ previous: FloatRow, _ x: UnsafePointer<Float>, into charged: FloatRow,
                            count: Int, hardReset: Float?) {
        let threshold = fire.threshold
        for k in 0..<count {
            let h = previous[k]
            let fired = ~FloatLane.signMask(h - threshold)
            let v = hardReset.map { FloatLane.select(fired, $0, h) } ?? FloatLane.select(fired, h - threshold, h)
            charged[k] = rule.charge(v, x[k])
        }
    }

    /// The rows one BPTT step reads and writes (every one present: see `backward`).
    struct BackwardRows {
        /// H[t] in; ∂L/∂H[t] out when the sums need it.
        let charged: FloatRow
        /// ∂L/∂V[t] from step t + 1 in, ∂L/∂V[t − 1] out.
        let carry: FloatRow
        let gradSpikes: FloatRow
        let gradMembrane: FloatRow
        let gradInput: FloatRow
        /// g_S·∂g/∂α out when the α sum is wanted.
        let products: FloatRow
        // Absent gradients are rows of +0 (g_S), −0 (∂L/∂V) and a discarded ∂x (`backward`).
    }

    /// One BPTT step over `count` neurons as a loop over Floats, which LLVM vectorises at full
    /// width (the SIMD8 form left half of it in 128-bit halves). The same operations in the same
    /// order per neuron as the SIMD8 loop had, so the same bits. `withMembraneGradient`: add
    /// ∂L/∂V[t] from outside (without it, the −0 row would cost a read per neuron). `keep`: write
    /// ∂L/∂H[t] over H[t] (not read again) and the α products, for the sums. Not inlined, and
    /// unswitched on these and the rule's flags, for the reasons `chargeRow` gives.
    @inline(never)
    private func bpttRow<S: LaneSurrogate>(_: S.Type, _ rows: BackwardRows, count: Int, alpha: Float,
                                           withMembraneGradient: Bool, keep: Bool, wantAlpha: Bool) {
        rule.withConstantFlags { rule in
            if keep {
                bpttLoop(S.self, rule, rows, count: count, alpha: alpha, withMembraneGradient: true, keep: true,
                         wantAlpha: wantAlpha)
            } else if withMembraneGradient {
                bpttLoop(S.self, rule, rows, count: count, alpha: alpha, withMembraneGradient: true, keep: false,
                         wantAlpha: false)
            } else {
                bpttLoop(S.self, rule, rows, count: count, alpha: alpha, withMembraneGradient: false, keep: false,
                         wantAlpha: false)
            }
        }
    }

    /// `bpttRow` for one rule form and one choice of the flags.
    @inline(__always)
    private func bpttLoop<S: LaneSurrogate>(_: S.Type, _ rule: Rule, _ rows: BackwardRows, count: Int, alpha: Float,
                                            withMembraneGradient: Bool, keep: Bool, wantAlpha: Bool) {
        let threshold = fire.threshold, detach = fire.detachReset
        let hard = fire.hardReset != nil, resetValue = fire.hardReset ?? 0
        for k in 0..<count {
            let h = rows.charged[k]
            let u = h - threshold
            let fired = ~FloatLane.signMask(u)
            let gV = withMembraneGradient ? rows.carry[k] + rows.gradMembrane[k] : rows.carry[k]
            var gS = rows.gradSpikes[k]
            if !detach { gS += gV * (hard ? (resetValue - h) : -threshold) }
            let direct = hard ? FloatLane.select(fired, 0, gV) : gV
            let gh = gS * S.derivative(alpha, u) + direct
            rows.gradInput[k] = rule.inputGradient(gh)
            rows.carry[k] = rule.stateGradient(gh)
            if keep {
                rows.charged[k] = gh
                rows.products[k] = wantAlpha ? gS * S.alphaDerivative(alpha, u) : 0
            }
        }
    }

    /// One forward step over `count` neurons as loops over Floats: V[t − 1] from `state` in,
    /// V[t] out; S[t] (and V[t] when `membrane` is given) written. Per neuron the SIMD8 loop's
    /// operations (the `≥` comparison and its select), so the same bits. Not inlined, and
    /// unswitched on the reset kind, the rule's flags and `membrane`, for the reasons
    /// `chargeRow` gives.
    @inline(never)
    private func forwardRow(_ state: FloatRow, _ x: UnsafePointer<Float>, spikes: UnsafeMutablePointer<Float>,
                            membrane: UnsafeMutablePointer<Float>?, count: Int) {
        rule.withConstantFlags { rule in
            if let hardReset = fire.hardReset {
                if let membrane {
                    forwardLoop(rule, state, x, spikes, membrane, count: count, hardReset: hardReset, keepMembrane: true)
                } else {
                    forwardLoop(rule, state, x, spikes, spikes, count: count, hardReset: hardReset, keepMembrane: false)
                }
            } else {
                if let membrane {
                    forwardLoop(rule, state, x, spikes, membrane, count: count, hardReset: nil, keepMembrane: true)
                } else {
                    forwardLoop(rule, state, x, spikes, spikes, count: count, hardReset: nil, keepMembrane: false)
                }
            }
        }
    }

    /// `forwardRow` for one rule form, reset kind (nil: soft) and `keepMembrane`.
    @inline(__always)
    private func forwardLoop(_ rule: Rule, _ state: FloatRow, _ x: UnsafePointer<Float>,
                             _ spikes: UnsafeMutablePointer<Float>, _ membrane: UnsafeMutablePointer<Float>,
                             count: Int, hardReset: Float?, keepMembrane: Bool) {
        let threshold = fire.threshold
        for k in 0..<count {
            let h = rule.charge(state[k], x[k])
            let fired = h >= threshold
            let v = fired ? (hardReset ?? h - threshold) : h
            state[k] = v
            if keepMembrane { membrane[k] = v }
            spikes[k] = fired ? 1 : 0
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
        let tileWidth = backwardTileWidth, lanes = tileWidth / 8
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            let partial = partialBuffer.baseAddress!
            parallelChunks(chunks, minChunk: 1) { chunkIndices in
                for c in chunkIndices {
                    let span = neurons(chunkRange(c, of: chunks, count: groups))
                    var alphaSum = SIMD8<Double>(), leakSum = SIMD8<Double>()
                    // [steps] rows of `lanes` recomputed H vectors, the carry row, a row for the α
                    // products, and zeros, negative zeros and a discarded ∂x for absent gradients
                    // (the tile width is as before: it decides the order the sums add in).
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes * (steps + 5)) { buffer in
                        let charged = buffer.baseAddress!, carry = charged + steps * lanes, products = carry + lanes
                        let zeros = products + lanes, negativeZeros = zeros + lanes, discarded = negativeZeros + lanes
                        if gradSpikes == nil { zeros.initialize(repeating: SIMD8(), count: lanes) }
                        if gradMembrane == nil { negativeZeros.initialize(repeating: SIMD8(repeating: -0.0), count: lanes) }
                        let reduce = wantAlpha || wantLeak
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let tileEnd = min(tile + tileWidth, span.upperBound), count = tileEnd - tile
                            // The forward again, keeping H: same operations, same bits.
                            for t in 0..<steps {
                                let xRow = x + t * M + tile, hRow = FloatRow(charged + t * lanes)
                                chargeRow(t > 0 ? FloatRow(charged + (t - 1) * lanes) : nil, v0.map { $0 + tile },
                                          xRow, into: hRow, count: count)
                            }
                            carry.initialize(repeating: SIMD8(), count: lanes)
                            for t in stride(from: steps - 1, through: 0, by: -1) {
                                let row = t * M + tile
                                // Absent gradients read from constant rows, and an unwanted ∂x goes to a
                                // spare row, so the loop has no conditional loads or stores (LLVM made
                                // them AVX masked moves, 30× slower). The same bits: a missing g_S is
                                // the +0 the SIMD8 loop started from, and c + (−0) = c for every c
                                // (the −0 row is only read for PLIF-style sums; see bpttRow).
                                let rows = BackwardRows(
                                    charged: FloatRow(charged + t * lanes), carry: FloatRow(carry),
                                    gradSpikes: gradSpikes.map { FloatRow($0 + row) } ?? FloatRow(zeros),
                                    gradMembrane: gradMembrane.map { FloatRow($0 + row) } ?? FloatRow(negativeZeros),
                                    gradInput: gradInput.map { FloatRow($0 + row) } ?? FloatRow(discarded),
                                    products: FloatRow(products))
                                bpttRow(S.self, rows, count: count, alpha: alpha, withMembraneGradient: gradMembrane != nil,
                                        keep: reduce, wantAlpha: wantAlpha)
                                if reduce {
                                    // The sums in eight Double lanes, in the order of the SIMD8 loop before.
                                    // (Forming the leak products in a Float loop too, into a row summed
                                    // here, made PLIF's backward slower: docs/neurons.md.)
                                    var m = tile
                                    while m < tileEnd {
                                        let n = min(8, tileEnd - m), lane = (m - tile) / 8
                                        if wantAlpha { alphaSum += SIMD8<Double>(Self.lanes(products + lane, n)) }
                                        if wantLeak {
                                            let vPrevious: SIMD8<Float>
                                            if t > 0 {
                                                let hp = Self.lanes(charged + (t - 1) * lanes + lane, n)
                                                vPrevious = fire.reset(hp, bits: fire.firedBits(hp))
                                            } else {
                                                vPrevious = initial(v0, m, n)
                                            }
                                            let gh = Self.lanes(charged + t * lanes + lane, n)
                                            let xs = Lanes8.load(x + row + m - tile, n)
                                            leakSum += SIMD8<Double>(gh * rule.leakDerivative(vPrevious, xs))
                                        }
                                        m += 8
                                    }
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
