import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

/// One IPSU/RPSU configuration the fused kernel is compared on.
enum LearnedPSUForm: String, CaseIterable, CustomStringConvertible {
    case ipsuLinear, ipsuSigmoid, rpsu
    var description: String { rawValue }
}

/// Everything one forward + backward of IPSU/RPSU produces.
private struct LearnedRun {
    var spikes: [Float], membrane: [Float], dx: [Float], dw: [Float], db: [Float], dAlpha: Float

    var bits: [[UInt32]] {
        [spikes, membrane, dx, dw, db, [dAlpha]].map { $0.map(\.bitPattern) }
    }
}

private func values(_ shape: [Int], seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.normal(shape, std: scale, rng: &rng).array
}

/// Runs one form on fixed data: the GEMM form (`fused` false) or the fused kernel with `tileWidth`
/// (nil: its default), backward through both outputs, L = ⟨gS, S⟩ + ⟨gV, V⟩.
private func runLearned(_ form: LearnedPSUForm, steps t: Int, neurons m: Int, fused: Bool, tileWidth: Int? = nil,
                        surrogate: Surrogate.Kind = .atan, threshold: Float = 0.6, tau: Float = 2,
                        spikesOnly: Bool = false) -> LearnedRun {
    let x = Tensor(values([t, m], seed: 61, scale: 1.5), shape: [t, m], requiresGrad: true)
    var rng = PhiloxGenerator(seed: 62)
    let (w, b) = makePSUParameters(timeSteps: t, rng: &rng)
    noGrad { for i in 0..<t { b.floats[i] = 0.1 * Float(i % 5) - 0.2 } }
    let alpha = makePSUAlpha(1.7)
    let gS = Tensor(values([t, m], seed: 63), shape: [t, m]), gV = Tensor(values([t, m], seed: 64), shape: [t, m])
    let spikes: Tensor, membrane: Tensor?
    if fused {
        let kernelForm: LearnedPSUKernel.Form = switch form {
        case .ipsuLinear: .ipsuLinear
        case .ipsuSigmoid: .ipsuSigmoid
        case .rpsu: .rpsu
        }
        (spikes, membrane) = runLearnedPSU("test", kernelForm, x, weight: w, bias: b, alpha: alpha, threshold: threshold,
                                           tau: tau, surrogate: surrogate, keepMembrane: !spikesOnly, recorder: nil,
                                           tileWidth: tileWidth)
    } else {
        let out = switch form {
        case .ipsuLinear: ipsuByTimeMixing(x, weight: w, bias: b, alpha: alpha, ipsuReset: .linear, threshold: threshold,
                                           tau: tau, surrogate: surrogate)
        case .ipsuSigmoid: ipsuByTimeMixing(x, weight: w, bias: b, alpha: alpha, ipsuReset: .sigmoid,
                                            threshold: threshold, tau: tau, surrogate: surrogate)
        case .rpsu: rpsuByTimeMixing(x, weight: w, bias: b, alpha: alpha, threshold: threshold, tau: tau, surrogate: surrogate)
        }
        (spikes, membrane) = (out.spikes, spikesOnly ? nil : out.membrane)
    }
    if let membrane {
        let both = Tensor.record("pair", output: Tensor.zeros([1]), inputs: [spikes, membrane]) { _ in [gS, gV] }
        both.backward(Tensor.ones([1]))
    } else {
        spikes.backward(gS)
    }
    return LearnedRun(spikes: spikes.array, membrane: membrane?.array ?? [], dx: x.grad!.array, dw: w.grad!.array,
                      db: b.grad!.array, dAlpha: alpha.grad!.item)
}

/// max |a − b| / max(1, max |b|): an error relative to the array's scale (sums over many
/// neurons may cancel to values far below their terms).
private func scaledError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(1, b.map(abs).max() ?? 0)
    return zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) } / scale
}

@Suite("IPSU / RPSU fused kernel")
struct LearnedPSUKernelTests {
    @Test("the fused IPSU/RPSU equals the GEMM form: V, spikes and the gradients of x, W, b and α",
          arguments: LearnedPSUForm.allCases, [1, 2, 3, 7, 8, 16, 33])
    func fusedEqualsTimeMixing(form: LearnedPSUForm, steps t: Int) {
        // 1001 neurons: a ragged last lane group; tiles of 64 neurons: many tiles, the last one partial.
        let m = 1001, threshold: Float = 0.6
        let product = runLearned(form, steps: t, neurons: m, fused: false, threshold: threshold)
        for tile in [64, nil] as [Int?] {
            let fused = runLearned(form, steps: t, neurons: m, fused: true, tileWidth: tile, threshold: threshold)
            var flips = 0
            for i in 0..<(t * m) {
                #expect(abs(fused.membrane[i] - product.membrane[i]) <= 1e-5 * max(1, abs(product.membrane[i])),
                        "\(form) T=\(t) V at \(i)")
                // Only a membrane within rounding of the threshold may fire differently.
                if fused.spikes[i] != product.spikes[i] {
                    flips += 1
                    #expect(abs(product.membrane[i] - threshold) < 1e-5, "\(form) T=\(t) spike at \(i)")
                }
            }
            #expect(flips <= 2)
            #expect(scaledError(fused.dx, product.dx) < 1e-5, "\(form) T=\(t) dX")
            #expect(scaledError(fused.dw, product.dw) < 1e-5, "\(form) T=\(t) dW")
            #expect(scaledError(fused.db, product.db) < 1e-5, "\(form) T=\(t) db")
            #expect(abs(fused.dAlpha - product.dAlpha) <= 1e-5 * max(1, abs(product.dAlpha)), "\(form) T=\(t) dα")
            // The causal mask: W's upper entries get no gradient.
            for i in 0..<t { for j in (i + 1)..<max(i + 1, t) { #expect(fused.dw[i * t + j] == 0) } }
            #expect(fused.spikes.contains(1) && fused.spikes.contains(0))
        }
    }

    @Test("spikes alone (no membrane gradient) and every surrogate kind match the GEMM form",
          arguments: [Surrogate.Kind.sigmoid, .atan, .rectangle, .triangle])
    func surrogatesAndSpikesOnly(kind: Surrogate.Kind) {
        for form in LearnedPSUForm.allCases {
            let product = runLearned(form, steps: 5, neurons: 77, fused: false, surrogate: kind, spikesOnly: true)
            let fused = runLearned(form, steps: 5, neurons: 77, fused: true, tileWidth: 16, surrogate: kind, spikesOnly: true)
            #expect(fused.spikes == product.spikes, "\(form) \(kind)")
            #expect(scaledError(fused.dx, product.dx) < 1e-5, "\(form) \(kind) dX")
            #expect(scaledError(fused.dw, product.dw) < 1e-5, "\(form) \(kind) dW")
            #expect(scaledError(fused.db, product.db) < 1e-5, "\(form) \(kind) db")
            #expect(abs(fused.dAlpha - product.dAlpha) <= 1e-5 * max(1, abs(product.dAlpha)), "\(form) \(kind) dα")
        }
    }

    @Test("per neuron the fused arithmetic does not depend on the tile: S, V and dX bit for bit across tile widths")
    func tileWidthInvariance() {
        for form in LearnedPSUForm.allCases {
            let reference = runLearned(form, steps: 9, neurons: 531, fused: true, tileWidth: 8)
            for tile in [24, 96, nil] as [Int?] {
                let other = runLearned(form, steps: 9, neurons: 531, fused: true, tileWidth: tile)
                #expect(other.spikes == reference.spikes && other.membrane.map(\.bitPattern) == reference.membrane.map(\.bitPattern)
                        && other.dx.map(\.bitPattern) == reference.dx.map(\.bitPattern), "\(form) tile \(tile ?? 0)")
                // dW, db, dα only add their per-tile sums in another order.
                #expect(scaledError(other.dw, reference.dw) < 1e-5 && scaledError(other.db, reference.db) < 1e-5)
            }
        }
    }

    @Test("two runs give the same bits (fixed tiles and reduction order), over several parallel chunks")
    func deterministic() {
        // 2^15 neurons at T = 8: several chunks when more than one thread is configured.
        for form in LearnedPSUForm.allCases {
            let first = runLearned(form, steps: 8, neurons: 1 << 15, fused: true)
            let second = runLearned(form, steps: 8, neurons: 1 << 15, fused: true)
            #expect(first.bits == second.bits, "\(form)")
        }
    }

    @Test("the fused kernel passes finite-difference gradient checks of its membrane (x, W, b) on ragged tiles")
    func finiteDifferences() {
        // The membrane is smooth (linear + sigmoid): step 1e-2 with a Float32 forward, tolerance 2e-3.
        let t = 7, shape = [t, 13]
        var rng = PhiloxGenerator(seed: 71)
        let x = Tensor.normal(shape, std: 1, rng: &rng, requiresGrad: true)
        let (w, b) = makePSUParameters(timeSteps: t, rng: &rng)
        let alpha = makePSUAlpha(learnable: false)
        for form in [LearnedPSUKernel.Form.ipsuLinear, .ipsuSigmoid, .rpsu] {
            let check = gradientCheck([x, w, b]) {
                runLearnedPSU("test", form, $0[0], weight: $0[1], bias: $0[2], alpha: alpha, threshold: 1, tau: 2,
                              surrogate: .atan, keepMembrane: true, recorder: nil, tileWidth: 8).membrane!
            }
            #expect(check.maxError < 2e-3, "\(form): \(check)")
        }
    }

    @Test("ipsuSpikes and rpsuSpikes equal the spikes and gradients of ipsu and rpsu bit for bit")
    func spikesOnlyEqualsFull() {
        let t = 8, m = 1003
        let xs = values([t, m], seed: 72, scale: 1.5), g = Tensor(values([t, m], seed: 73), shape: [t, m])
        for variant in ["ipsu-linear", "ipsu-sigmoid", "rpsu"] {
            func run(_ spikesOnly: Bool) -> [[UInt32]] {
                let x = Tensor(xs, shape: [t, m], requiresGrad: true)
                var rng = PhiloxGenerator(seed: 74)
                let (w, b) = makePSUParameters(timeSteps: t, rng: &rng)
                let alpha = makePSUAlpha()
                let s: Tensor
                switch (variant, spikesOnly) {
                case ("rpsu", true): s = rpsuSpikes(x, weight: w, bias: b, alpha: alpha, threshold: 0.7)
                case ("rpsu", false): s = rpsu(x, weight: w, bias: b, alpha: alpha, threshold: 0.7).spikes
                case (_, true):
                    s = ipsuSpikes(x, weight: w, bias: b, alpha: alpha, ipsuReset: variant == "ipsu-linear" ? .linear : .sigmoid,
                                   threshold: 0.7)
                default:
                    s = ipsu(x, weight: w, bias: b, alpha: alpha, ipsuReset: variant == "ipsu-linear" ? .linear : .sigmoid,
                             threshold: 0.7).spikes
                }
                s.backward(g)
                return [s.array, x.grad!.array, w.grad!.array, b.grad!.array, alpha.grad!.array].map { $0.map(\.bitPattern) }
            }
            #expect(run(true) == run(false), "\(variant)")
        }
    }

    @Test("parameters that do not learn get no gradient, and x without requiresGrad gets none")
    func frozenInputs() {
        let t = 4, m = 19
        let x = Tensor(values([t, m], seed: 75), shape: [t, m])
        let w = Tensor(values([t, t], seed: 76), shape: [t, t]), b = Tensor.zeros([t], requiresGrad: true)
        let alpha = makePSUAlpha()
        let s = rpsuSpikes(x, weight: w, bias: b, alpha: alpha)
        s.backward(Tensor.ones([t, m]))
        #expect(x.grad == nil && w.grad == nil && b.grad != nil && alpha.grad != nil)
    }
}
