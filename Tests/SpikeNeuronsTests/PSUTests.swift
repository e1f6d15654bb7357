import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

/// The PSU family in Double, written from psu.md directly (no shared code with the kernels).
private enum PSUReference {
    enum Variant { case psu, ipsuLinear, ipsuSigmoid, rpsu }

    static func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

    /// (A·Y)[i, c] with A[i, j] = f(i, j) over j ≤ i.
    static func mix(_ y: [Double], t: Int, m: Int, _ f: (Int, Int) -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: t * m)
        for i in 0..<t { for j in 0...i { for c in 0..<m { out[i * m + c] += f(i, j) * y[j * m + c] } } }
        return out
    }

    /// The membrane V of every variant.
    static func membrane(_ variant: Variant, x: [Double], w: [Double], b: [Double], t: Int, m: Int,
                         tau: Double, threshold: Double) -> [Double] {
        let a: (Int, Int) -> Double = { i, j in pow(1 / tau, Double(i - j + 1)) }
        let r: (Int, Int) -> Double = { i, j in i > j ? -pow(1 / tau, Double(i - j)) : 0 }
        func masked(_ y: [Double]) -> [Double] {  // (W ⊙ M)·Y + b
            var g = mix(y, t: t, m: m) { i, j in w[i * t + j] }
            for i in 0..<t { for c in 0..<m { g[i * m + c] += b[i] } }
            return g
        }
        switch variant {
        case .psu:
            let h = mix(x, t: t, m: m, a)
            let reset = mix(h.map(sigmoid), t: t, m: m, r)
            return zip(h, reset).map { $0 + threshold * $1 }
        case .ipsuLinear:
            return zip(masked(x), mix(x, t: t, m: m, r)).map { $0 + $1 }
        case .ipsuSigmoid:
            let g = masked(x)
            return zip(g, mix(g.map(sigmoid), t: t, m: m, r)).map { $0 + $1 }
        case .rpsu:
            return zip(mix(x, t: t, m: m, a), mix(masked(x).map(sigmoid), t: t, m: m, r)).map { $0 + $1 }
        }
    }

    /// The smooth loss whose exact gradient the surrogate backward computes:
    /// L = Σ gS·g(V − V_th; α) + Σ gV·V with g the atan primitive.
    static func surrogateLoss(_ variant: Variant, x: [Double], w: [Double], b: [Double], alpha: Double,
                              gS: [Double], gV: [Double], t: Int, m: Int, tau: Double, threshold: Double) -> Double {
        let v = membrane(variant, x: x, w: w, b: b, t: t, m: m, tau: tau, threshold: threshold)
        var total = 0.0
        for i in 0..<v.count {
            let u = v[i] - threshold
            total += gS[i] * (0.5 + atan(Double.pi / 2 * alpha * u) / Double.pi) + gV[i] * v[i]
        }
        return total
    }
}

private func tensor(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = false) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.normal(shape, std: scale, rng: &rng, requiresGrad: requiresGrad)
}

@Suite("PSU family")
struct PSUTests {
    @Test("the fixed matrices A and R have the code's values at τ = 2 and are cached per (T, τ)")
    func fixedMatrices() {
        let m = PSUMatrices.cached(timeSteps: 3, tau: 2)
        #expect(m.integration == [0.5, 0, 0, 0.25, 0.5, 0, 0.125, 0.25, 0.5])
        #expect(m.reset == [0, 0, 0, -0.5, 0, 0, -0.25, -0.5, 0])
        let four = PSUMatrices(timeSteps: 2, tau: 4)
        #expect(four.integration == [0.25, 0, 0.0625, 0.25] && four.reset == [0, 0, -0.25, 0])
        #expect(PSUMatrices.cached(timeSteps: 2, tau: 4).integration == four.integration)
    }

    @Test("PSU forward on a hand-computed sequence; V = V_th exactly does not fire")
    func psuHandValues() {
        // X = [2, 2], τ = 2, V_th = 1: H = [1, 1.5]; V0 = 1, V1 = 1.5 − 0.5·σ(1) = 1.13447071
        let (s, v) = psu(Tensor([2, 2], shape: [2, 1]), alpha: makePSUAlpha())
        #expect(s.array == [0, 1])
        #expect(abs(v.array[0] - 1) < 1e-7 && abs(v.array[1] - 1.134_470_7) < 1e-6)
    }

    @Test("IPSU (both resets) and RPSU forward on hand-computed sequences")
    func variantsHandValues() {
        // W = [[1, 5], [0.5, 1]] (the 5 is masked out), b = [0, 0.25], X = [1, 2]
        let x = Tensor([1, 2], shape: [2, 1])
        let w = Tensor([1, 5, 0.5, 1], shape: [2, 2]), b = Tensor([0, 0.25])
        let sig1 = 1 / (1 + Float(Foundation.exp(-1.0)))
        // IPSU linear: G = [1, 2.75], R·X = [0, −0.5] → V = [1, 2.25]
        let lin = ipsu(x, weight: w, bias: b, alpha: makePSUAlpha())
        #expect(lin.membrane.array == [1, 2.25] && lin.spikes.array == [0, 1])
        // IPSU sigmoid: V = [1, 2.75 − 0.5·σ(1)]
        let sig = ipsu(x, weight: w, bias: b, alpha: makePSUAlpha(), ipsuReset: .sigmoid)
        #expect(abs(sig.membrane.array[1] - (2.75 - 0.5 * sig1)) < 1e-6 && sig.spikes.array == [0, 1])
        // RPSU: A·X = [0.5, 1.25], R·σ(G) = [0, −0.5·σ(1)] → V = [0.5, 0.88447]; V_th 0.5 → [0, 1]
        let r = rpsu(x, weight: w, bias: b, alpha: makePSUAlpha(), threshold: 0.5)
        #expect(abs(r.membrane.array[1] - (1.25 - 0.5 * sig1)) < 1e-6 && r.membrane.array[0] == 0.5)
        #expect(r.spikes.array == [0, 1])
    }

    @Test("PSU equals a sequential soft-reset LIF whose reset spike is σ(H) of the reset-free membrane")
    func equalsSequentialLIF() {
        let t = 12, m = 7, threshold: Float = 0.5
        let x = tensor([t, m], seed: 5, scale: 1.5)
        let (s, v) = psu(x, alpha: makePSUAlpha(), threshold: threshold)
        var worst = 0.0
        for c in 0..<m {
            var free = 0.0, mem = 0.0  // reset-free membrane H and the LIF membrane
            for step in 0..<t {
                let input = Double(x.floats[step * m + c])
                free += (input - free) / 2
                mem += (input - mem) / 2
                let charged = mem
                worst = max(worst, abs(charged - Double(v.floats[step * m + c])))
                if abs(charged - Double(threshold)) > 1e-4 {
                    #expect(s.floats[step * m + c] == (charged > Double(threshold) ? 1 : 0))
                }
                mem = charged - Double(threshold) / (1 + exp(-free))  // soft reset by V_th·σ(H)
            }
        }
        #expect(worst < 1e-5)
    }

    @Test("gradients of x, W, b and α equal the exact gradient of the surrogate loss (Double differences)",
          arguments: [IPSUReset.linear, .sigmoid])
    func gradientsMatchReference(reset: IPSUReset) {
        let t = 5, m = 4, shape = [t, 2, 2], tau: Float = 2, threshold: Float = 0.7
        for variant in [PSUReference.Variant.psu, reset == .linear ? .ipsuLinear : .ipsuSigmoid, .rpsu] {
            let x = tensor(shape, seed: 31, scale: 1.2, requiresGrad: true)
            var rng = PhiloxGenerator(seed: 32)
            let (w, b) = makePSUParameters(timeSteps: t, rng: &rng)
            noGrad { for i in 0..<t { b.floats[i] = 0.1 * Float(i) - 0.2 } }
            let alpha = makePSUAlpha(1.7)
            let gS = tensor(shape, seed: 33), gV = tensor(shape, seed: 34)
            let out: (spikes: Tensor, membrane: Tensor)
            switch variant {
            case .psu: out = psu(x, alpha: alpha, threshold: threshold, tau: tau)
            case .rpsu: out = rpsu(x, weight: w, bias: b, alpha: alpha, threshold: threshold, tau: tau)
            default: out = ipsu(x, weight: w, bias: b, alpha: alpha, ipsuReset: reset, threshold: threshold, tau: tau)
            }
            // One backward through both outputs: L = ⟨gS, S⟩ + ⟨gV, V⟩.
            let both = Tensor.record("pair", output: Tensor.zeros([1]), inputs: [out.spikes, out.membrane]) { _ in [gS, gV] }
            both.backward(Tensor.ones([1]))

            let xd = x.array.map(Double.init), wd = w.array.map(Double.init), bd = b.array.map(Double.init)
            let gSd = gS.array.map(Double.init), gVd = gV.array.map(Double.init)
            func loss(x: [Double], w: [Double], b: [Double], alpha: Double = 1.7) -> Double {
                PSUReference.surrogateLoss(variant, x: x, w: w, b: b, alpha: alpha, gS: gSd, gV: gVd, t: t, m: m,
                                           tau: Double(tau), threshold: Double(threshold))
            }
            let h = 1e-6
            func numeric(_ values: [Double], _ f: ([Double]) -> Double) -> [Double] {
                values.indices.map { i in
                    var up = values, down = values
                    up[i] += h; down[i] -= h
                    return (f(up) - f(down)) / (2 * h)
                }
            }
            func worst(_ analytic: [Float], _ reference: [Double]) -> Double {
                zip(analytic, reference).reduce(0) { max($0, abs(Double($1.0) - $1.1) / max(1, abs($1.1))) }
            }
            let dx = numeric(xd) { loss(x: $0, w: wd, b: bd) }
            #expect(worst(x.grad!.array, dx) < 1e-4, "\(variant) dX")
            let dAlpha = numeric([1.7]) { loss(x: xd, w: wd, b: bd, alpha: $0[0]) }
            #expect(worst(alpha.grad!.array, dAlpha) < 1e-4, "\(variant) dα")
            if variant != .psu {
                // W enters masked: the numeric gradient of an upper entry is zero as well.
                #expect(worst(w.grad!.array, numeric(wd) { loss(x: xd, w: $0, b: bd) }) < 1e-4, "\(variant) dW")
                #expect(worst(b.grad!.array, numeric(bd) { loss(x: xd, w: wd, b: $0) }) < 1e-4, "\(variant) db")
                #expect(w.grad!.array[1] == 0)
            }
        }
    }

    @Test("the membrane output passes finite-difference gradient checks (smooth in x, W, b)")
    func membraneFiniteDifferences() {
        // The membrane is smooth (linear + sigmoid): step 1e-2 with a Float32 forward, tolerance 2e-3.
        let t = 4, shape = [t, 3]
        let x = tensor(shape, seed: 41, requiresGrad: true)
        var rng = PhiloxGenerator(seed: 42)
        let (w, b) = makePSUParameters(timeSteps: t, rng: &rng)
        let alpha = makePSUAlpha(learnable: false)
        let checks = [
            gradientCheck([x]) { psu($0[0], alpha: alpha, threshold: 0.5).membrane },
            gradientCheck([x, w, b]) { ipsu($0[0], weight: $0[1], bias: $0[2], alpha: alpha).membrane },
            gradientCheck([x, w, b]) { ipsu($0[0], weight: $0[1], bias: $0[2], alpha: alpha, ipsuReset: .sigmoid).membrane },
            gradientCheck([x, w, b]) { rpsu($0[0], weight: $0[1], bias: $0[2], alpha: alpha).membrane },
        ]
        for check in checks { #expect(check.maxError < 2e-3, "\(check)") }
    }

    @Test("initialisation: W Kaiming-normal with fan-out T, b = 0, α = 2 learnable")
    func initialisation() {
        var rng = PhiloxGenerator(seed: 7)
        let (w, b) = makePSUParameters(timeSteps: 64, rng: &rng)
        let values = w.array.map(Double.init)
        let std = (values.reduce(0) { $0 + $1 * $1 } / Double(values.count)).squareRoot()
        #expect(abs(std - (2.0 / 64).squareRoot()) < 0.01)
        #expect(b.array == [Float](repeating: 0, count: 64) && w.requiresGrad && b.requiresGrad)
        let alpha = makePSUAlpha()
        #expect(alpha.item == 2 && alpha.requiresGrad && alpha.shape == [1])
    }

    @Test("the fused PSU equals the time-mixing (GEMM) form: V, spikes and the gradients of x and α",
          arguments: [1, 4, 16, 64])
    func fusedEqualsTimeMixing(steps t: Int) {
        // 3001 neurons: ragged lane groups, and at T = 64 several backward tiles (1024 neurons each).
        let m = 3001, threshold: Float = 0.6
        let xs = tensor([t, m], seed: 51, scale: 1.5).array
        let gS = tensor([t, m], seed: 52), gV = tensor([t, m], seed: 53)
        func run(_ fused: Bool) -> (s: [Float], v: [Float], dx: [Float], dAlpha: Float) {
            let x = Tensor(xs, shape: [t, m], requiresGrad: true)
            let alpha = makePSUAlpha(1.7)
            let out = fused ? psu(x, alpha: alpha, threshold: threshold, tau: 2)
                            : psuByTimeMixing(x, alpha: alpha, threshold: threshold, tau: 2)
            let both = Tensor.record("pair", output: Tensor.zeros([1]), inputs: [out.spikes, out.membrane]) { _ in [gS, gV] }
            both.backward(Tensor.ones([1]))
            return (out.spikes.array, out.membrane.array, x.grad!.array, alpha.grad!.item)
        }
        let fused = run(true), product = run(false)
        var flips = 0
        for i in 0..<(t * m) {
            #expect(abs(fused.v[i] - product.v[i]) <= 1e-5 * max(1, abs(product.v[i])), "V at \(i)")
            // Only a membrane within rounding of the threshold may fire differently.
            if fused.s[i] != product.s[i] {
                flips += 1
                #expect(abs(product.v[i] - threshold) < 1e-5, "spike at \(i)")
            }
        }
        #expect(flips <= 2)
        let worst = zip(fused.dx, product.dx).reduce(Float(0)) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
        #expect(worst < 1e-4, "dX differs by \(worst)")
        #expect(abs(fused.dAlpha - product.dAlpha) <= 1e-4 * max(1, abs(product.dAlpha)), "dα \(fused.dAlpha) vs \(product.dAlpha)")
        #expect(fused.s.contains(1) && fused.s.contains(0))
    }

    @Test("the fused PSU's values do not depend on its tile widths: S, V, dX and dα bit for bit, every surrogate",
          arguments: [Surrogate.Kind.sigmoid, .atan, .rectangle, .triangle])
    func tileWidthInvariance(kind: Surrogate.Kind) {
        // 1003 neurons: many tiles of 8 and 24 (ragged last group), one at the default widths.
        let t = 6, m = 1003
        let x = tensor([t, m], seed: 56, scale: 1.5).array, gS = tensor([t, m], seed: 57).array
        let gV = tensor([t, m], seed: 58).array
        func run(_ tile: Int?) -> [[UInt32]] {
            let kernel = PSUKernel(decay: 0.5, threshold: 0.6, steps: t, width: m, tileWidth: tile)
            var s = [Float](repeating: 0, count: t * m), v = s, dx = s
            var dAlpha = 0.0
            x.withUnsafeBufferPointer { xp in
                kernel.forward(x: xp.baseAddress!, spikes: &s, membrane: &v)
                gS.withUnsafeBufferPointer { gs in
                    gV.withUnsafeBufferPointer { gv in
                        dAlpha = kernel.backward(x: xp.baseAddress!, gradSpikes: gs.baseAddress!, gradMembrane: gv.baseAddress!,
                                                 surrogate: kind, alpha: 1.7, gradInput: &dx, wantAlpha: true)
                    }
                }
            }
            return [s.map(\.bitPattern), v.map(\.bitPattern), dx.map(\.bitPattern),
                    [UInt32(truncatingIfNeeded: dAlpha.bitPattern), UInt32(truncatingIfNeeded: dAlpha.bitPattern >> 32)]]
        }
        let reference = run(nil)
        #expect(reference[0].contains(Float(1).bitPattern) && reference[0].contains(0))
        for tile in [8, 24] { #expect(run(tile) == reference, "\(kind) tile \(tile)") }
    }

    @Test("psuSpikes equals psu's spikes and gradients bit for bit, without writing V")
    func spikesOnlyEqualsFull() {
        let t = 8, m = 1003
        let xs = tensor([t, m], seed: 54, scale: 1.5).array, g = tensor([t, m], seed: 55)
        func run(_ spikesOnly: Bool) -> ([UInt32], [UInt32], Float) {
            let x = Tensor(xs, shape: [t, m], requiresGrad: true)
            let alpha = makePSUAlpha()
            let s = spikesOnly ? psuSpikes(x, alpha: alpha, threshold: 0.7) : psu(x, alpha: alpha, threshold: 0.7).spikes
            s.backward(g)
            return (s.array.map(\.bitPattern), x.grad!.array.map(\.bitPattern), alpha.grad!.item)
        }
        let full = run(false), only = run(true)
        #expect(only.0 == full.0 && only.1 == full.1 && only.2 == full.2)
    }

    @Test("the vector atan, rectangle and triangle surrogates equal Surrogate's scalar ones bit for bit",
          arguments: [Surrogate.Kind.atan, .rectangle, .triangle])
    func vectorSurrogates(kind: Surrogate.Kind) {
        let values: [Float] = [-40, -3, -1, -0.6, -0.5, -0.37, -1e-3, -0.0, 0, 2e-4, 0.25, 0.5, 0.9999, 1, 1.65, 7, 1e4]
        for alpha: Float in [0.5, 1, 2, 3.3] {
            for start in stride(from: 0, to: values.count, by: 8) {
                var lanes = SIMD8<Float>()
                let n = min(8, values.count - start)
                for i in 0..<n { lanes[i] = values[start + i] }
                let d = Lanes8.surrogateDerivative(kind, alpha, lanes), a = Lanes8.surrogateAlphaDerivative(kind, alpha, lanes)
                for i in 0..<n {
                    #expect(d[i].bitPattern == Surrogate.derivative(kind, alpha, lanes[i]).bitPattern,
                            "\(kind) α=\(alpha) x=\(lanes[i])")
                    #expect(a[i].bitPattern == Surrogate.alphaDerivative(kind, alpha, lanes[i]).bitPattern,
                            "\(kind) α=\(alpha) x=\(lanes[i])")
                }
            }
        }
    }

    @Test("a firing-rate recorder counts PSU spikes")
    func recordsFiringRate() {
        let recorder = FiringRateRecorder()
        _ = psu(Tensor([2, 2], shape: [2, 1]), alpha: makePSUAlpha(), recorder: recorder)
        #expect(recorder.spikeCount == 1 && recorder.elementCount == 2)
    }
}
