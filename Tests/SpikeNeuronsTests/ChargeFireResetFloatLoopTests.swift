import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

// The IF / LIF / PLIF kernel runs its steps as loops over Floats (`FloatLane`, `FloatRow`) that
// replaced loops over `SIMD8<Float>` (docs/neurons.md, "Float loops in the IF / LIF / PLIF
// kernels"). These tests hold the Float loops to the bits of the SIMD8 ones: per function, and
// for the whole kernel against the SIMD8 kernel as it was (kept below as the reference).

/// Values where the surrogates change branch or round differently: zeros of both signs, the
/// edges ±α/2 and ±α and their neighbours, tiny and huge magnitudes, and a dense grid.
private func surrogateProbes(alpha: Float) -> [Float] {
    var values: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 100, -100, 1e20, -1e20, 87, -87, 88, -88]
    for edge in [alpha / 2, alpha] {
        for e in [edge, -edge] { values += [e, e.nextUp, e.nextDown] }
    }
    var state: UInt64 = 7
    for _ in 0..<2000 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        values.append((Float(state >> 40) / Float(1 << 24) - 0.5) * 8 * alpha)
    }
    return values
}

/// `f8` on `values` eight at a time against `f1` on each, as bit patterns (NaN included).
private func sameBits(_ values: [Float], _ f8: (SIMD8<Float>) -> SIMD8<Float>, _ f1: (Float) -> Float) -> Bool {
    var padded = values
    while padded.count % 8 != 0 { padded.append(0) }
    for start in stride(from: 0, to: padded.count, by: 8) {
        var v = SIMD8<Float>()
        for i in 0..<8 { v[i] = padded[start + i] }
        let lanes = f8(v)
        for i in 0..<8 where lanes[i].bitPattern != f1(v[i]).bitPattern { return false }
    }
    return true
}

/// The kernel's forward and backward as they were before the Float loops: SIMD8 vectors over
/// groups of eight neurons, with the ragged end loaded and stored partially. The reference the
/// Float loops must match bit for bit (spikes, V, ∂x, ∂v0, and the α and leak sums, which add
/// in the same order when the tile width is the same).
extension ChargeFireResetKernel {
    func simd8Forward(x: UnsafePointer<Float>, v0: UnsafePointer<Float>?, spikes: UnsafeMutablePointer<Float>,
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
                            let fired = h .>= fire.threshold
                            let v = fire.hardReset.map { h.replacing(with: $0, where: fired) }
                                ?? h.replacing(with: h - fire.threshold, where: fired)
                            state[lane] = v
                            if let membrane { Lanes8.store(v, membrane + row + m, n) }
                            Lanes8.store(SIMD8<Float>(repeating: 0).replacing(with: 1, where: fired), spikes + row + m, n)
                            m += 8
                        }
                    }
                    tile = tileEnd
                }
            }
        }
    }

    func simd8Backward<S: LaneSurrogate>(
        _ surrogate: S.Type, x: UnsafePointer<Float>, v0: UnsafePointer<Float>?, gradSpikes: UnsafePointer<Float>?,
        gradMembrane: UnsafePointer<Float>?, alpha: Float, gradInput: UnsafeMutablePointer<Float>?,
        gradInitial: UnsafeMutablePointer<Float>?, wantAlpha: Bool, wantLeak: Bool
    ) -> Reductions {
        let groups = (width + 7) / 8, M = width
        let chunks = chunkCount(groups, minChunk: minGroupsPerChunk)
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
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes * (steps + 1)) { buffer in
                        let charged = buffer.baseAddress!, carry = charged + steps * lanes
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let tileEnd = min(tile + tileWidth, span.upperBound)
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
                                    if wantAlpha { alphaSum += SIMD8<Double>(gS * S.alphaDerivative(alpha, u)) }
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

/// Which inputs and outputs one kernel run has.
private struct KernelOptions: CustomStringConvertible {
    var v0 = false, gradSpikes = true, gradMembrane = false, gradInput = true, wantAlpha = false, wantLeak = false
    var description: String {
        "v0 \(v0) gS \(gradSpikes) gV \(gradMembrane) dx \(gradInput) α \(wantAlpha) leak \(wantLeak)"
    }
}

/// Every output of one forward and backward, through the Float-loop kernel or the SIMD8 one.
private struct KernelOutputs: Equatable {
    var spikes: [UInt32], membrane: [UInt32], spikesOnly: [UInt32], gradInput: [UInt32], gradInitial: [UInt32]
    var alpha: UInt64, leak: UInt64
}

private func runKernel<R: ChargeRule>(_ kernel: ChargeFireResetKernel<R>, simd8: Bool, kind: Surrogate.Kind,
                                      alpha: Float, options o: KernelOptions, x: [Float], v0: [Float],
                                      gS: [Float], gV: [Float]) -> KernelOutputs {
    let n = kernel.steps * kernel.width
    var s = [Float](repeating: 7, count: n), v = s, s2 = s, dx = s, dv0 = [Float](repeating: 7, count: kernel.width)
    var sums = ChargeFireResetKernel<R>.Reductions()
    x.withUnsafeBufferPointer { xp in
        v0.withUnsafeBufferPointer { v0p in
            gS.withUnsafeBufferPointer { gsp in
                gV.withUnsafeBufferPointer { gvp in
                    let v0Pointer = o.v0 ? v0p.baseAddress! : nil
                    s.withUnsafeMutableBufferPointer { sp in
                        v.withUnsafeMutableBufferPointer { vp in
                            if simd8 {
                                kernel.simd8Forward(x: xp.baseAddress!, v0: v0Pointer, spikes: sp.baseAddress!,
                                                    membrane: vp.baseAddress!)
                            } else {
                                kernel.forward(x: xp.baseAddress!, v0: v0Pointer, spikes: sp.baseAddress!,
                                               membrane: vp.baseAddress!)
                            }
                        }
                    }
                    s2.withUnsafeMutableBufferPointer { sp in
                        if simd8 {
                            kernel.simd8Forward(x: xp.baseAddress!, v0: v0Pointer, spikes: sp.baseAddress!, membrane: nil)
                        } else {
                            kernel.forward(x: xp.baseAddress!, v0: v0Pointer, spikes: sp.baseAddress!, membrane: nil)
                        }
                    }
                    dx.withUnsafeMutableBufferPointer { dxp in
                        dv0.withUnsafeMutableBufferPointer { dv0p in
                            let gsPointer = o.gradSpikes ? gsp.baseAddress! : nil
                            let gvPointer = o.gradMembrane ? gvp.baseAddress! : nil
                            let dxPointer = o.gradInput ? dxp.baseAddress! : nil
                            let dv0Pointer = o.v0 ? dv0p.baseAddress! : nil
                            func run<S: LaneSurrogate>(_ lanes: S.Type) -> ChargeFireResetKernel<R>.Reductions {
                                simd8 ? kernel.simd8Backward(
                                    S.self, x: xp.baseAddress!, v0: v0Pointer, gradSpikes: gsPointer,
                                    gradMembrane: gvPointer, alpha: alpha, gradInput: dxPointer,
                                    gradInitial: dv0Pointer, wantAlpha: o.wantAlpha, wantLeak: o.wantLeak)
                                    : kernel.backward(
                                        x: xp.baseAddress!, v0: v0Pointer, gradSpikes: gsPointer,
                                        gradMembrane: gvPointer, surrogate: S.kind, alpha: alpha, gradInput: dxPointer,
                                        gradInitial: dv0Pointer, wantAlpha: o.wantAlpha, wantLeak: o.wantLeak)
                            }
                            switch kind {
                            case .sigmoid: sums = run(SigmoidLanes.self)
                            case .atan: sums = run(AtanLanes.self)
                            case .rectangle: sums = run(RectangleLanes.self)
                            case .triangle: sums = run(TriangleLanes.self)
                            }
                        }
                    }
                }
            }
        }
    }
    return KernelOutputs(spikes: s.map(\.bitPattern), membrane: v.map(\.bitPattern), spikesOnly: s2.map(\.bitPattern),
                         gradInput: dx.map(\.bitPattern), gradInitial: dv0.map(\.bitPattern),
                         alpha: sums.alpha.bitPattern, leak: sums.leak.bitPattern)
}

@Suite("IF / LIF / PLIF Float loops give the SIMD8 kernel's bits")
struct ChargeFireResetFloatLoopTests {
    @Test("FloatLane's surrogate derivatives, α derivatives and exp equal Lanes8's lane by lane, bit for bit")
    func floatLaneMatchesLanes8() {
        for kind in Surrogate.Kind.allCases {
            for alpha in [kind.defaultAlpha, 0.37, 3.3] {
                let probes = surrogateProbes(alpha: alpha)
                #expect(sameBits(probes, { Lanes8.surrogateDerivative(kind, alpha, $0) },
                                 { FloatLane.surrogateDerivative(kind, alpha, $0) }), "\(kind) α = \(alpha)")
                #expect(sameBits(probes, { Lanes8.surrogateAlphaDerivative(kind, alpha, $0) },
                                 { FloatLane.surrogateAlphaDerivative(kind, alpha, $0) }), "\(kind) ∂/∂α, α = \(alpha)")
            }
        }
        let nonPositive = surrogateProbes(alpha: 30).map { -abs($0) }
        #expect(sameBits(nonPositive, Lanes8.expNonPositive, FloatLane.expNonPositive))
        #expect(sameBits(surrogateProbes(alpha: 30), Lanes8.logisticSlope, FloatLane.logisticSlope))
    }

    /// Every rule, surrogate, reset kind and detach setting, with every combination of the
    /// optional inputs and outputs, over a width that is not a multiple of 8, with the default
    /// tiles (one tile) and with 64-neuron tiles (many tile edges, a ragged last tile).
    @Test("forward and backward equal the SIMD8 kernel's bit for bit: spikes, V, ∂x, ∂v0, α and leak sums")
    func kernelMatchesSIMD8Kernel() {
        let steps = 5, width = 203
        let x = lifTestNormals(steps * width, mean: 0.9, std: 0.8, seed: 51)
        let v0 = lifTestNormals(width, mean: 0.2, std: 0.5, seed: 52)
        let gS = lifTestNormals(steps * width, seed: 53), gV = lifTestNormals(steps * width, seed: 54)
        var optionSets: [KernelOptions] = []
        for bits in 0..<64 {
            optionSets.append(KernelOptions(v0: bits & 1 != 0, gradSpikes: bits & 2 == 0, gradMembrane: bits & 4 != 0,
                                            gradInput: bits & 8 == 0, wantAlpha: bits & 16 != 0, wantLeak: bits & 32 != 0))
        }
        var failures = 0, runs = 0, sawSpikes = false, sawSilence = false
        func check<R: ChargeRule>(_ rule: R, _ name: String) {
            for kind in Surrogate.Kind.allCases {
                for hardReset in [nil, 0, -0.3] as [Float?] {
                    for detach in [false, true] {
                        var kernel = ChargeFireResetKernel(
                            rule: rule, fire: FireReset(threshold: 1, hardReset: hardReset, detachReset: detach),
                            steps: steps, width: width, rest: hardReset ?? 0)
                        for small in [false, true] {
                            if small {
                                kernel.forwardTileWidth = 64
                                kernel.backwardScratchBytes = 64 * 4 * (steps + 1)
                            }
                            // Every option set with sigmoid; a spread of them with the others (the
                            // surrogate only enters the per-element arithmetic the α sets cover).
                            for (i, o) in optionSets.enumerated() where kind == .sigmoid || i % 5 == 0 || i == 63 {
                                let alpha = kind.defaultAlpha * 1.3
                                let a = runKernel(kernel, simd8: false, kind: kind, alpha: alpha, options: o,
                                                  x: x, v0: v0, gS: gS, gV: gV)
                                let b = runKernel(kernel, simd8: true, kind: kind, alpha: alpha, options: o,
                                                  x: x, v0: v0, gS: gS, gV: gV)
                                runs += 1
                                sawSpikes = sawSpikes || a.spikes.contains(Float(1).bitPattern)
                                sawSilence = sawSilence || a.spikes.contains(Float(0).bitPattern)
                                if a != b {
                                    failures += 1
                                    if failures <= 5 {
                                        let reset = hardReset.map { "hard \($0)" } ?? "soft"
                                        Issue.record("\(name) \(kind) \(reset) detach \(detach) small tiles \(small) \(o)")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        check(IntegrateRule(), "IF")
        check(FixedLeakRule(tau: 1.7, rest: 0.1, decayInput: true), "LIF")
        check(FixedLeakRule(tau: 1.7, rest: 0, decayInput: false), "LIF without decay_input")
        check(LearnedLeakRule(q: 0.4378, rest: 0, decayInput: true), "PLIF")
        check(LearnedLeakRule(q: 0.4378, rest: 0.1, decayInput: false), "PLIF without decay_input")
        #expect(failures == 0, "\(failures) of \(runs) runs differ")
        #expect(sawSpikes && sawSilence)
    }
}
