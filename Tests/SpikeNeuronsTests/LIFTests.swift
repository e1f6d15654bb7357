import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

/// Runs IF, LIF or PLIF through the public multi-step API for a reference configuration.
private func runNeuron(_ r: ReferenceNeuron, _ x: Tensor, v0: Tensor?, w: Tensor?, alpha: Tensor?,
                       recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    let surrogate = Surrogate(r.surrogate, alpha: Float(r.alpha))
    let vReset = r.vReset.map { Float($0) }
    switch r.kind {
    case .integrate:
        let c = IFConfiguration(vThreshold: Float(r.threshold), vReset: vReset, detachReset: r.detachReset, surrogate: surrogate)
        return ifMultiStep(x, c, v0: v0, alpha: alpha, recorder: recorder)
    case .fixedLeak:
        let c = LIFConfiguration(tau: Float(r.tau), vThreshold: Float(r.threshold), vReset: vReset, decayInput: r.decayInput,
                                 detachReset: r.detachReset, surrogate: surrogate)
        return lifMultiStep(x, c, v0: v0, alpha: alpha, recorder: recorder)
    case .learnedLeak:
        let c = PLIFConfiguration(vThreshold: Float(r.threshold), vReset: vReset, decayInput: r.decayInput,
                                  detachReset: r.detachReset, surrogate: surrogate)
        return plifMultiStep(x, w: w ?? Tensor([Float(r.w)], shape: [1]), c, v0: v0, alpha: alpha, recorder: recorder)
    }
}

/// One step of the same neuron through the step-by-step API.
private func stepNeuron(_ r: ReferenceNeuron, _ x: Tensor, state: inout MembraneState, w: Tensor?) -> Tensor {
    let surrogate = Surrogate(r.surrogate, alpha: Float(r.alpha))
    let vReset = r.vReset.map { Float($0) }
    switch r.kind {
    case .integrate:
        return ifStep(x, state: &state, IFConfiguration(vThreshold: Float(r.threshold), vReset: vReset,
                                                         detachReset: r.detachReset, surrogate: surrogate))
    case .fixedLeak:
        return lifStep(x, state: &state, LIFConfiguration(tau: Float(r.tau), vThreshold: Float(r.threshold), vReset: vReset,
                                                           decayInput: r.decayInput, detachReset: r.detachReset, surrogate: surrogate))
    case .learnedLeak:
        return plifStep(x, w: w!, state: &state, PLIFConfiguration(vThreshold: Float(r.threshold), vReset: vReset,
                                                                    decayInput: r.decayInput, detachReset: r.detachReset,
                                                                    surrogate: surrogate))
    }
}

/// The same neuron through the spikes-only API (`ifSpikes`, `lifSpikes`, `plifSpikes`).
private func spikesOnly(_ r: ReferenceNeuron, _ x: Tensor, v0: Tensor?, w: Tensor?, alpha: Tensor?) -> Tensor {
    let surrogate = Surrogate(r.surrogate, alpha: Float(r.alpha))
    let vReset = r.vReset.map { Float($0) }
    switch r.kind {
    case .integrate:
        let c = IFConfiguration(vThreshold: Float(r.threshold), vReset: vReset, detachReset: r.detachReset, surrogate: surrogate)
        return ifSpikes(x, c, v0: v0, alpha: alpha)
    case .fixedLeak:
        let c = LIFConfiguration(tau: Float(r.tau), vThreshold: Float(r.threshold), vReset: vReset, decayInput: r.decayInput,
                                 detachReset: r.detachReset, surrogate: surrogate)
        return lifSpikes(x, c, v0: v0, alpha: alpha)
    case .learnedLeak:
        let c = PLIFConfiguration(vThreshold: Float(r.threshold), vReset: vReset, decayInput: r.decayInput,
                                  detachReset: r.detachReset, surrogate: surrogate)
        return plifSpikes(x, w: w ?? Tensor([Float(r.w)], shape: [1]), c, v0: v0, alpha: alpha)
    }
}

private func bits(_ t: Tensor) -> [UInt32] { t.array.map(\.bitPattern) }

@Suite("IF / LIF / PLIF forward on hand-computed sequences")
struct LIFForwardHandTests {
    static func close(_ a: [Float], _ b: [Float], _ tol: Float = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol }
    }

    @Test("LIF hard reset, decay_input: charges by (X − V)/τ and resets to 0 on a crossing")
    func lifHard() {
        let x = Tensor([1.5, 1.5, 0.2, 3.0], shape: [4, 1])
        let (s, v) = lifMultiStep(x)
        // H: 0.75, 0.75 + 0.375 = 1.125 (fires), 0.1, 0.1 + 1.45 = 1.55 (fires)
        #expect(s.array == [0, 1, 0, 1])
        #expect(Self.close(v.array, [0.75, 0, 0.1, 0]))
    }

    @Test("LIF soft reset subtracts the threshold and keeps the excess")
    func lifSoft() {
        let x = Tensor([1.5, 1.5, 0.2, 3.0], shape: [4, 1])
        let (s, v) = lifMultiStep(x, LIFConfiguration(vReset: nil))
        // H: 0.75, 1.125 → 0.125, 0.125 + 0.0375 = 0.1625, 0.1625 + 1.41875 = 1.58125 → 0.58125
        #expect(s.array == [0, 1, 0, 1])
        #expect(Self.close(v.array, [0.75, 0.125, 0.1625, 0.58125]))
    }

    @Test("LIF without decay_input adds the whole input after the leak")
    func lifNoDecayInput() {
        let x = Tensor([0.6, 0.6, 0.6, 0.6], shape: [4, 1])
        let (s, v) = lifMultiStep(x, LIFConfiguration(decayInput: false))
        // H: 0.6, 0.3 + 0.6 = 0.9, 0.45 + 0.6 = 1.05 (fires), 0 + 0.6
        #expect(s.array == [0, 0, 1, 0])
        #expect(Self.close(v.array, [0.6, 0.9, 0, 0.6]))
    }

    @Test("LIF with a non-zero v_reset leaks toward it, starts at it and resets to it")
    func lifNonZeroReset() {
        let x = Tensor([3.5, 0, 1, 1], shape: [4, 1])
        let c = LIFConfiguration(vReset: -0.5)
        let (s, v) = lifMultiStep(x, c)
        // V0 = −0.5. H: −0.5 + (3.5 − 0)/2 = 1.25 (fires → −0.5); −0.5 + 0 = −0.5;
        // −0.5 + (1 − 0)/2 = 0; 0 + (1 − 0.5)/2 = 0.25
        #expect(s.array == [1, 0, 0, 0])
        #expect(Self.close(v.array, [-0.5, -0.5, 0, 0.25]))
        var state = MembraneState(shape: [1], restingPotential: c.restingPotential)
        #expect(state.v.array == [-0.5])
        _ = lifStep(Tensor([3.5], shape: [1]), state: &state, c)
        #expect(state.v.array == [-0.5])
    }

    @Test("IF fires exactly at the threshold (Θ(0) = 1) and integrates without leak")
    func ifAtThreshold() {
        let x = Tensor([0.5, 0.5, 0.25, 2, 0.25, 0.5], shape: [3, 2])
        let (s, v) = ifMultiStep(x)
        // neuron 0: 0.5, 0.75, exactly 1.0 → fires at t2; neuron 1: 0.5, 2.5 → fires at t1, then 0.5
        #expect(s.array == [0, 0, 0, 1, 1, 0])
        #expect(v.array == [0.5, 0.5, 0.75, 0, 0, 0.5])
        // Soft: neuron 1 keeps 1.5 after t1, reaches 2.0 at t2 and keeps 1.0.
        let soft = ifMultiStep(x, IFConfiguration(vReset: nil))
        #expect(soft.membrane.array == [0.5, 0.5, 0.75, 1.5, 0, 1])
        #expect(soft.spikes.array == [0, 0, 0, 1, 1, 1])
    }

    @Test("PLIF with w = 0 (1/τ = ½) matches LIF with τ = 2, and w₀ = −ln(τ₀ − 1)")
    func plifMatchesLIF() {
        let x = Tensor(lifTestNormals(3 * 17, mean: 1.2, seed: 3), shape: [3, 17])
        let lif = lifMultiStep(x)
        let plif = plifMultiStep(x, w: Tensor([0], shape: [1]))
        #expect(plif.spikes.array == lif.spikes.array)
        #expect(bits(plif.membrane) == bits(lif.membrane))  // ·0.5 and /2 round the same
        #expect(abs(PLIFConfiguration(initTau: 2).initialWeight().item) == 0)
        let w = PLIFConfiguration(initTau: 4).initialWeight()
        #expect(w.requiresGrad && w.shape == [1])
        #expect(abs(1 / (1 + exp(-w.item)) - 0.25) < 1e-7)
    }

    @Test("a large layer equals a plain scalar loop bit for bit (chunks, tiles, ragged lanes)")
    func largeLayerMatchesScalarLoop() {
        // Forward tiles hold 65536 neurons: 140011 neurons make full and ragged tiles in each
        // of one or two parallel chunks, and ragged eight-lane groups at the end.
        let steps = 5, width = 140_011
        let x = Tensor(lifTestNormals(steps * width, mean: 1.0, seed: 21), shape: [steps, width])
        for c in [LIFConfiguration(), LIFConfiguration(tau: 3, vThreshold: 0.7, vReset: nil, decayInput: false),
                  LIFConfiguration(vReset: 0.2)] {
            let (s, v) = lifMultiStep(x, c)
            var expectS = [Float](), expectV = [Float]()
            expectS.reserveCapacity(steps * width); expectV.reserveCapacity(steps * width)
            var state = [Float](repeating: c.restingPotential, count: width)
            let rest = c.restingPotential
            for t in 0..<steps {
                for m in 0..<width {
                    let xv = x.floats[t * width + m], vv = state[m]
                    let h = c.decayInput ? vv + (xv - (vv - rest)) / c.tau : vv - (vv - rest) / c.tau + xv
                    let fired = h >= c.vThreshold
                    state[m] = fired ? (c.vReset ?? (h - c.vThreshold)) : h
                    expectS.append(fired ? 1 : 0)
                    expectV.append(state[m])
                }
            }
            #expect(s.array == expectS)
            #expect(v.array.map(\.bitPattern) == expectV.map(\.bitPattern))
            #expect(lifSpikes(x, c).array == expectS)
        }
    }

    @Test("outputs keep the input's shape and nothing is recorded without gradients")
    func shapesAndNoGraph() {
        let x = Tensor(lifTestNormals(2 * 3 * 4, seed: 1), shape: [2, 3, 4])
        let (s, v) = lifMultiStep(x)
        #expect(s.shape == [2, 3, 4] && v.shape == [2, 3, 4])
        #expect(s.gradFn == nil && !s.requiresGrad)
        let empty = lifMultiStep(Tensor(shape: [0, 5]))
        #expect(empty.spikes.shape == [0, 5])
    }
}

@Suite("IF / LIF / PLIF backward against a Double autodiff reference")
struct LIFBackwardReferenceTests {
    /// Every option combination: neuron × reset (hard 0, hard non-zero, soft) × decay_input ×
    /// detach_reset, cycling the surrogate kinds.
    static let combinations: [ReferenceNeuron] = {
        var all = [ReferenceNeuron]()
        let kinds = Surrogate.Kind.allCases
        var k = 0
        for kind in [ReferenceNeuron.Kind.integrate, .fixedLeak, .learnedLeak] {
            for reset in [Optional(0.0), -0.3, nil] {
                for decay in kind == .integrate ? [true] : [true, false] {
                    for detach in [false, true] {
                        let s = kinds[k % kinds.count]
                        k += 1
                        all.append(ReferenceNeuron(
                            kind: kind, tau: 2.5, w: 0.4, threshold: 0.9, vReset: reset, decayInput: decay,
                            detachReset: detach, surrogate: s, alpha: s == .sigmoid ? 4 : (s == .atan ? 2 : 1.2)))
                    }
                }
            }
        }
        return all
    }()

    @Test("spikes, membrane and the gradients of x, v0, w and learnable α", arguments: combinations)
    func matchesReference(_ r: ReferenceNeuron) {
        let steps = 6, width = 19
        let xs = lifTestNormals(steps * width, mean: r.kind == .integrate || !r.decayInput ? 0.45 : 1.1, std: 0.8, seed: 5)
        let v0s = lifTestNormals(width, mean: 0, std: 0.3, seed: 6)
        let gS = lifTestNormals(steps * width, seed: 7), gV = lifTestNormals(steps * width, seed: 8)
        let expected = r.run(x: xs, v0: v0s, gradSpikes: gS, gradMembrane: gV, steps: steps)

        let x = Tensor(xs, shape: [steps, width], requiresGrad: true)
        let v0 = Tensor(v0s, shape: [width], requiresGrad: true)
        let w = Tensor([Float(r.w)], shape: [1], requiresGrad: true)
        let alpha = Tensor([Float(r.alpha)], shape: [1], requiresGrad: true)
        let (s, v) = runNeuron(r, x, v0: v0, w: w, alpha: alpha)
        #expect(s.array == expected.spikes, "\(r)")
        #expect(zip(v.array, expected.membrane).allSatisfy { abs(Double($0) - $1) < 1e-5 }, "\(r)")
        #expect(expected.spikes.contains(1) && expected.spikes.contains(0), "the probe should fire sometimes: \(r)")

        lifTestWeightedSum([(s, gS), (v, gV)]).backward()
        func close(_ a: [Float], _ b: [Double]) -> Bool {
            zip(a, b).allSatisfy { abs(Double($0) - $1) <= 1e-4 * max(1, abs($1)) }
        }
        #expect(close(x.grad!.array, expected.gradX), "x gradient \(r)")
        #expect(close(v0.grad!.array, expected.gradV0), "v0 gradient \(r)")
        #expect(close(alpha.grad!.array, [expected.gradAlpha]), "alpha gradient \(alpha.grad!.item) vs \(expected.gradAlpha) \(r)")
        if r.kind == .learnedLeak {
            #expect(close(w.grad!.array, [expected.gradW]), "w gradient \(w.grad!.item) vs \(expected.gradW) \(r)")
        } else {
            #expect(w.grad == nil)
        }
    }

    @Test("only the inputs that require a gradient get one; spikes-only and membrane-only seeds work")
    func partialGradients() {
        let r = ReferenceNeuron(kind: .fixedLeak, threshold: 1, vReset: 0)
        let xs = lifTestNormals(4 * 9, mean: 1.2, seed: 9), gS = lifTestNormals(4 * 9, seed: 10)
        let expected = r.run(x: xs, v0: [Float](repeating: 0, count: 9), gradSpikes: gS,
                             gradMembrane: [Float](repeating: 0, count: 36), steps: 4)
        let x = Tensor(xs, shape: [4, 9], requiresGrad: true)
        let v0 = Tensor.zeros([9])  // no gradient wanted
        let (s, _) = lifMultiStep(x, v0: v0)
        s.backward(Tensor(gS, shape: [4, 9]))
        #expect(v0.grad == nil)
        #expect(zip(x.grad!.array, expected.gradX).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }
}

@Suite("IF / LIF / PLIF spikes-only forms and the recomputing backward")
struct LIFSpikesOnlyTests {
    @Test("spikes bit for bit and the gradients of x, v0, w and α bit for bit against the multi-step form",
          arguments: LIFBackwardReferenceTests.combinations)
    func spikesOnlyEqualsMultiStep(_ r: ReferenceNeuron) {
        // 4099 neurons: parallel chunks and a ragged last lane group.
        let steps = 6, width = 4099
        let xs = lifTestNormals(steps * width, mean: r.kind == .integrate || !r.decayInput ? 0.45 : 1.1, std: 0.8, seed: 31)
        let v0s = lifTestNormals(width, mean: 0, std: 0.3, seed: 32), gS = lifTestNormals(steps * width, seed: 33)
        func run(_ spikesOnlyForm: Bool) -> (spikes: [UInt32], grads: [[UInt32]]) {
            let x = Tensor(xs, shape: [steps, width], requiresGrad: true)
            let v0 = Tensor(v0s, shape: [width], requiresGrad: true)
            let w = Tensor([Float(r.w)], shape: [1], requiresGrad: true)
            let alpha = Tensor([Float(r.alpha)], shape: [1], requiresGrad: true)
            let s = spikesOnlyForm ? spikesOnly(r, x, v0: v0, w: w, alpha: alpha)
                                   : runNeuron(r, x, v0: v0, w: w, alpha: alpha).spikes
            s.backward(Tensor(gS, shape: [steps, width]))
            let grads = [x.grad!, v0.grad!, alpha.grad!] + (r.kind == .learnedLeak ? [w.grad!] : [])
            return (bits(s), grads.map(bits))
        }
        let full = run(false), only = run(true)
        #expect(only.spikes == full.spikes, "\(r)")
        #expect(only.grads == full.grads, "\(r)")
    }

    @Test("a long sequence matches the Double reference (T = 40, 4003 neurons)")
    func longSequenceAcrossTiles() {
        // Each tile recomputes 40 steps of H before running BPTT over them. (Backward tiles at
        // T = 40 hold 25568 neurons, so this is one tile per chunk; tile edges are checked by
        // `tileWidthsDoNotChangeValues`. More neurons would not do here: the Double reference
        // then sees some membrane land on the other side of the threshold than Float does.)
        let steps = 40, width = 4003
        for r in [ReferenceNeuron(kind: .fixedLeak, tau: 2, threshold: 1, vReset: 0),
                  ReferenceNeuron(kind: .learnedLeak, w: 0.2, threshold: 0.8, vReset: nil, surrogate: .atan, alpha: 2)] {
            let xs = lifTestNormals(steps * width, mean: 0.9, std: 0.8, seed: 34)
            let v0s = lifTestNormals(width, mean: 0, std: 0.3, seed: 35), gS = lifTestNormals(steps * width, seed: 36)
            let expected = r.run(x: xs, v0: v0s, gradSpikes: gS, gradMembrane: [Float](repeating: 0, count: steps * width),
                                 steps: steps)
            let x = Tensor(xs, shape: [steps, width], requiresGrad: true)
            let v0 = Tensor(v0s, shape: [width], requiresGrad: true)
            let w = Tensor([Float(r.w)], shape: [1], requiresGrad: true)
            let s = spikesOnly(r, x, v0: v0, w: w, alpha: nil)
            #expect(s.array == expected.spikes, "\(r)")
            s.backward(Tensor(gS, shape: [steps, width]))
            func close(_ a: [Float], _ b: [Double]) -> Bool {
                zip(a, b).allSatisfy { abs(Double($0) - $1) <= 1e-4 * max(1, abs($1)) }
            }
            #expect(close(x.grad!.array, expected.gradX), "x gradient \(r)")
            #expect(close(v0.grad!.array, expected.gradV0), "v0 gradient \(r)")
            if r.kind == .learnedLeak {
                #expect(abs(Double(w.grad!.item) - expected.gradW) <= 1e-3 * max(1, abs(expected.gradW)),
                        "w gradient \(w.grad!.item) vs \(expected.gradW)")
            }
        }
    }

    @Test("64-neuron tiles give the bits of the default tiles: spikes, V, ∂x, ∂v0; α and leak sums to 1e-9")
    func tileWidthsDoNotChangeValues() {
        // 5003 neurons (ragged lanes at the end), T = 9: with 64-neuron tiles every chunk
        // crosses dozens of forward and backward tile edges; with the defaults there are none.
        let steps = 9, width = 5003
        let x = lifTestNormals(steps * width, mean: 0.9, std: 0.8, seed: 41)
        let v0 = lifTestNormals(width, mean: 0, std: 0.3, seed: 42)
        let gS = lifTestNormals(steps * width, seed: 43), gV = lifTestNormals(steps * width, seed: 44)
        func run<R: ChargeRule>(_ rule: R, _ fire: FireReset, _ kind: Surrogate.Kind, small: Bool)
            -> (s: [Float], v: [Float], dx: [Float], dv0: [Float], sums: ChargeFireResetKernel<R>.Reductions) {
            var kernel = ChargeFireResetKernel(rule: rule, fire: fire, steps: steps, width: width, rest: 0)
            if small {
                kernel.forwardTileWidth = 64
                kernel.backwardScratchBytes = 64 * 4 * (steps + 1)
                #expect(kernel.backwardTileWidth == 64)
            }
            var s = [Float](repeating: 0, count: steps * width), v = s, dx = s
            var dv0 = [Float](repeating: 0, count: width)
            var sums = ChargeFireResetKernel<R>.Reductions()
            x.withUnsafeBufferPointer { xp in
                v0.withUnsafeBufferPointer { v0p in
                    gS.withUnsafeBufferPointer { gsp in
                        gV.withUnsafeBufferPointer { gvp in
                            s.withUnsafeMutableBufferPointer { sp in
                                v.withUnsafeMutableBufferPointer { vp in
                                    kernel.forward(x: xp.baseAddress!, v0: v0p.baseAddress!, spikes: sp.baseAddress!,
                                                   membrane: vp.baseAddress!)
                                }
                            }
                            dx.withUnsafeMutableBufferPointer { dxp in
                                dv0.withUnsafeMutableBufferPointer { dv0p in
                                    sums = kernel.backward(
                                        x: xp.baseAddress!, v0: v0p.baseAddress!, gradSpikes: gsp.baseAddress!,
                                        gradMembrane: gvp.baseAddress!, surrogate: kind, alpha: 2,
                                        gradInput: dxp.baseAddress!, gradInitial: dv0p.baseAddress!,
                                        wantAlpha: true, wantLeak: true)
                                }
                            }
                        }
                    }
                }
            }
            return (s, v, dx, dv0, sums)
        }
        func check<R: ChargeRule>(_ rule: R, _ fire: FireReset, _ kind: Surrogate.Kind) {
            let a = run(rule, fire, kind, small: false), b = run(rule, fire, kind, small: true)
            #expect(a.s == b.s && a.s.contains(1) && a.s.contains(0))
            #expect(a.v.map(\.bitPattern) == b.v.map(\.bitPattern))
            #expect(a.dx.map(\.bitPattern) == b.dx.map(\.bitPattern))
            #expect(a.dv0.map(\.bitPattern) == b.dv0.map(\.bitPattern))
            // The sums add the same terms per lane in another order (tile by tile).
            #expect(abs(a.sums.alpha - b.sums.alpha) <= 1e-9 * max(1, abs(a.sums.alpha)))
            #expect(abs(a.sums.leak - b.sums.leak) <= 1e-9 * max(1, abs(a.sums.leak)))
        }
        check(FixedLeakRule(tau: 2, rest: 0, decayInput: true), FireReset(threshold: 1, hardReset: 0, detachReset: false),
              .sigmoid)
        check(LearnedLeakRule(q: 0.45, rest: 0, decayInput: true),
              FireReset(threshold: 0.8, hardReset: nil, detachReset: true), .atan)
        check(IntegrateRule(), FireReset(threshold: 1, hardReset: 0.1, detachReset: false), .triangle)
    }
}

@Suite("IF / LIF / PLIF finite differences where the neuron is smooth")
struct LIFFiniteDifferenceTests {
    // Threshold 100 keeps every neuron silent, so the membrane output is linear in x and v0
    // and smooth in w. Step 1e-2 with a Float32 forward: tolerate 2e-3.
    static let silent: Float = 100

    @Test("membrane gradients of x and v0 for IF and LIF (both decay_input settings)")
    func integrateAndFixedLeak() {
        for decay in [true, false] {
            let x = Tensor(lifTestNormals(5 * 7, seed: 12), shape: [5, 7], requiresGrad: true)
            let v0 = Tensor(lifTestNormals(7, seed: 13), shape: [7], requiresGrad: true)
            let c = LIFConfiguration(tau: 3, vThreshold: Self.silent, vReset: 0.2, decayInput: decay)
            let lif = gradientCheck([x, v0], step: 1e-2) { lifMultiStep($0[0], c, v0: $0[1]).membrane }
            #expect(lif.maxError < 2e-3, "LIF decayInput=\(decay): \(lif)")
        }
        let x = Tensor(lifTestNormals(5 * 7, seed: 14), shape: [5, 7], requiresGrad: true)
        let v0 = Tensor(lifTestNormals(7, seed: 15), shape: [7], requiresGrad: true)
        let ifc = gradientCheck([x, v0], step: 1e-2) { ifMultiStep($0[0], IFConfiguration(vThreshold: Self.silent), v0: $0[1]).membrane }
        #expect(ifc.maxError < 2e-3, "IF: \(ifc)")
    }

    @Test("PLIF membrane gradient of w, x and v0 before any spike")
    func plifLeak() {
        for decay in [true, false] {
            let x = Tensor(lifTestNormals(6 * 5, mean: 0.5, seed: 16), shape: [6, 5], requiresGrad: true)
            let v0 = Tensor(lifTestNormals(5, seed: 17), shape: [5], requiresGrad: true)
            let w = Tensor([0.3], shape: [1], requiresGrad: true)
            let c = PLIFConfiguration(vThreshold: Self.silent, vReset: -0.1, decayInput: decay)
            let result = gradientCheck([x, v0, w], step: 1e-2) { plifMultiStep($0[0], w: $0[2], c, v0: $0[1]).membrane }
            #expect(result.maxError < 2e-3, "PLIF decayInput=\(decay): \(result)")
        }
    }

    @Test("learnable α: one step's spike gradient is ∂g/∂α, the finite difference of the primitive")
    func alphaAtOneStep() {
        // With one step and a spike-only loss the surrogate model is Σ gS·g(H − V_th; α), so the
        // α gradient must be its derivative in α (smooth for sigmoid and atan).
        for kind in [Surrogate.Kind.sigmoid, .atan] {
            let xs = lifTestNormals(13, mean: 1, seed: 18), gS = lifTestNormals(13, seed: 19)
            let alpha = Tensor([1.7], shape: [1], requiresGrad: true)
            let c = LIFConfiguration(vThreshold: 0.6, surrogate: Surrogate(kind))
            let (s, _) = lifMultiStep(Tensor(xs, shape: [1, 13]), c, alpha: alpha)
            s.backward(Tensor(gS, shape: [1, 13]))
            func model(_ a: Float) -> Double {
                (0..<13).reduce(0.0) { sum, m in
                    sum + Double(gS[m]) * Double(Surrogate.primitive(kind, a, xs[m] / 2 - 0.6))
                }
            }
            let h: Float = 1e-2
            let numeric = (model(1.7 + h) - model(1.7 - h)) / Double(2 * h)
            #expect(abs(Double(alpha.grad!.item) - numeric) < 2e-3 * max(1, abs(numeric)), "\(kind): \(alpha.grad!.item) vs \(numeric)")
        }
    }
}

@Suite("step-by-step forms equal the multi-step forms")
struct LIFStepTests {
    static let neurons: [ReferenceNeuron] = [
        ReferenceNeuron(kind: .integrate, threshold: 1, vReset: nil),
        ReferenceNeuron(kind: .fixedLeak, tau: 2, threshold: 1, vReset: 0),
        ReferenceNeuron(kind: .fixedLeak, tau: 3, threshold: 0.8, vReset: -0.2, decayInput: false),
        ReferenceNeuron(kind: .learnedLeak, w: -0.3, threshold: 1, vReset: nil, detachReset: true),
    ]

    @Test("spikes and membranes bit for bit, and the same gradients", arguments: neurons)
    func stepEqualsMultiStep(_ r: ReferenceNeuron) {
        let steps = 7, shape = [3, 1001]  // several tiles and a ragged lane group
        let width = 3003
        let xs = lifTestNormals(steps * width, mean: 0.9, seed: 22)
        let gS = lifTestNormals(steps * width, seed: 23)
        let x = Tensor(xs, shape: [steps] + shape, requiresGrad: true)
        let w = Tensor([Float(r.w)], shape: [1], requiresGrad: true)
        let multi = runNeuron(r, x, v0: nil, w: w, alpha: nil)
        lifTestWeightedSum([(multi.spikes, gS)]).backward()
        let multiGradW = w.grad
        w.grad = nil

        let rest = Float(r.vReset ?? 0)
        var state = MembraneState(shape: shape, restingPotential: rest)
        var stepInputs = [Tensor](), pairs = [(Tensor, [Float])]()
        for t in 0..<steps {
            let xt = Tensor(Array(xs[(t * width)..<((t + 1) * width)]), shape: shape, requiresGrad: true)
            stepInputs.append(xt)
            let s = stepNeuron(r, xt, state: &state, w: w)
            #expect(bits(s) == Array(bits(multi.spikes)[(t * width)..<((t + 1) * width)]), "spikes at t=\(t) \(r)")
            #expect(bits(state.v) == Array(bits(multi.membrane)[(t * width)..<((t + 1) * width)]), "membrane at t=\(t) \(r)")
            pairs.append((s, Array(gS[(t * width)..<((t + 1) * width)])))
        }
        lifTestWeightedSum(pairs).backward()
        let multiGrad = x.grad!.array
        for t in 0..<steps {
            let g = stepInputs[t].grad!.array, expected = Array(multiGrad[(t * width)..<((t + 1) * width)])
            #expect(zip(g, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "gradient at t=\(t) \(r)")
        }
        if r.kind == .learnedLeak {
            #expect(abs(w.grad!.item - multiGradW!.item) <= 1e-4 * max(1, abs(multiGradW!.item)))
        }
    }

    @Test("a state of the wrong shape is refused before any work (precondition text)")
    func stateShape() {
        // Preconditions trap, so only the matching case runs here; the message is in lifStep.
        var state = MembraneState(shape: [2], restingPotential: 0)
        let s = lifStep(Tensor([2, 0], shape: [2]), state: &state)
        #expect(s.array == [1, 0] && state.v.array == [0, 0])
    }
}

@Suite("SpikingJelly fixtures (make_lif_fixtures.py)")
struct LIFSpikingJellyFixtureTests {
    struct Case: Decodable, CustomStringConvertible {
        var name: String, neuron: String, shape: [Int]
        var tau: Float?, w: Float?, decayInput: Bool, vThreshold: Float, vReset: Float?, detachReset: Bool
        var surrogate: String, alpha: Float
        var x: [Float], v0: [Float], gradSpikes: [Float], gradMembrane: [Float]
        var spikes: [Float], membrane: [Float], gradX: [Float], gradV0: [Float], gradW: Float?
        var description: String { name }
    }
    struct File: Decodable { var cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/lif_fixtures.json")
        let data = try! Data(contentsOf: url)
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()

    @Test("fixtures cover LIF hard/soft × detach both ways, IF, and PLIF")
    func coverage() {
        let names = Set(Self.cases.map(\.name))
        for n in ["lif_hard", "lif_hard_detach", "lif_soft", "lif_soft_detach", "plif_hard", "plif_soft", "if_hard"] {
            #expect(names.contains(n))
        }
    }

    @Test("spikes, v_seq and the gradients of x, v0 (and w) match to 1e-5", arguments: cases)
    func matches(_ c: Case) {
        let stateShape = Array(c.shape.dropFirst())
        let x = Tensor(c.x, shape: c.shape, requiresGrad: true)
        let v0 = Tensor(c.v0, shape: stateShape, requiresGrad: true)
        let surrogate = Surrogate(Surrogate.Kind(rawValue: c.surrogate)!, alpha: c.alpha)
        var w: Tensor?
        let (s, v): (Tensor, Tensor)
        switch c.neuron {
        case "lif":
            (s, v) = lifMultiStep(x, LIFConfiguration(tau: c.tau!, vThreshold: c.vThreshold, vReset: c.vReset,
                                                      decayInput: c.decayInput, detachReset: c.detachReset,
                                                      surrogate: surrogate), v0: v0)
        case "if":
            (s, v) = ifMultiStep(x, IFConfiguration(vThreshold: c.vThreshold, vReset: c.vReset, detachReset: c.detachReset,
                                                    surrogate: surrogate), v0: v0)
        default:
            w = Tensor([c.w!], shape: [], requiresGrad: true)
            (s, v) = plifMultiStep(x, w: w!, PLIFConfiguration(vThreshold: c.vThreshold, vReset: c.vReset,
                                                               decayInput: c.decayInput, detachReset: c.detachReset,
                                                               surrogate: surrogate), v0: v0)
        }
        func close(_ a: [Float], _ b: [Float]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }
        }
        #expect(s.array == c.spikes, "spikes \(c.name)")
        #expect(close(v.array, c.membrane), "v_seq \(c.name)")
        lifTestWeightedSum([(s, c.gradSpikes), (v, c.gradMembrane)]).backward()
        #expect(close(x.grad!.array, c.gradX), "x gradient \(c.name)")
        #expect(close(v0.grad!.array, c.gradV0), "v0 gradient \(c.name)")
        if let w, let expected = c.gradW {
            #expect(w.grad!.shape == [])
            #expect(close(w.grad!.array, [expected]), "w gradient \(w.grad!.item) vs \(expected) \(c.name)")
        }
    }
}

@Suite("vectorised sigmoid surrogate")
struct LIFVectorSigmoidTests {
    @Test("the SIMD exp stays within 2 ulp of exp on [−100, 0]")
    func expAccuracy() {
        var worst: Float = 0
        var x: Float = -100
        while x <= 0 {
            var v = SIMD8<Float>()
            for i in 0..<8 { v[i] = min(0, x + Float(i) * 1e-3) }
            let e = Lanes8.expNonPositive(v)
            for i in 0..<8 where v[i] >= -87 {
                let exact = Float(Foundation.exp(Double(v[i])))
                worst = max(worst, abs(e[i] - exact) / exact.ulp)
            }
            x += 0.0371
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(Lanes8.expNonPositive(SIMD8(repeating: 0)) == SIMD8(repeating: 1))
        #expect(Lanes8.expNonPositive(SIMD8(repeating: -.infinity))[0] < 1e-37)
    }

    @Test("sigmoid derivative and α-derivative within 1e-6 of Double, also in the far tails")
    func matchesDouble() {
        // The scalar Float formula α·s·(1 − s) loses digits to cancellation once s ≈ 1, so the
        // truth here is Double: with z = αx rounded to Float as the kernel forms it,
        // s(1 − s) = e/(1 + e)², e = exp(−|z|).
        for alpha: Float in [0.5, 4, 10] {
            var x: Float = -30
            while x < 30 {
                var v = SIMD8<Float>()
                for i in 0..<8 { v[i] = x + Float(i) * 0.0013 }
                let d = Lanes8.surrogateDerivative(.sigmoid, alpha, v)
                let a = Lanes8.surrogateAlphaDerivative(.sigmoid, alpha, v)
                for i in 0..<8 {
                    let e = Foundation.exp(-abs(Double(alpha * v[i]))), slope = e / ((1 + e) * (1 + e))
                    let ed = Double(alpha) * slope, ea = Double(v[i]) * slope
                    #expect(abs(Double(d[i]) - ed) <= 1e-6 * abs(ed) + 1e-36, "α=\(alpha) x=\(v[i]): \(d[i]) vs \(ed)")
                    #expect(abs(Double(a[i]) - ea) <= 1e-6 * abs(ea) + 1e-36, "∂/∂α α=\(alpha) x=\(v[i]): \(a[i]) vs \(ea)")
                }
                x += 0.173
            }
        }
    }
}
