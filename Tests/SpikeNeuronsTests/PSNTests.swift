import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

/// Slow obvious references in Double for the PSN family: H = W_eff·X + B, S = Θ(H),
/// dH = dS·g′(H), dX = W_effᵀ·dH, dW_eff = dH·Xᵀ, dB = Σ_m dH.
private struct PSNReference {
    let t: Int, m: Int
    let effective: [Double]  // T×T
    let bias: [Double]       // per row
    let x: [Double]

    var h: [Double] {
        var out = [Double](repeating: 0, count: t * m)
        for i in 0..<t {
            for c in 0..<m {
                var s = bias[i]
                for j in 0..<t { s += effective[i * t + j] * x[j * m + c] }
                out[i * m + c] = s
            }
        }
        return out
    }

    func gradients(_ gS: [Double], alpha: Double = 2) -> (dx: [Double], dEffective: [Double], rowSums: [Double]) {
        let hv = h
        var dh = [Double](repeating: 0, count: t * m)
        for i in 0..<(t * m) {
            let u = Double.pi / 2 * alpha * hv[i]
            dh[i] = gS[i] * (alpha / 2) / (1 + u * u)
        }
        var dx = [Double](repeating: 0, count: t * m), dw = [Double](repeating: 0, count: t * t)
        var rows = [Double](repeating: 0, count: t)
        for i in 0..<t {
            for c in 0..<m {
                rows[i] += dh[i * m + c]
                for j in 0..<t {
                    dx[j * m + c] += effective[i * t + j] * dh[i * m + c]
                    dw[i * t + j] += dh[i * m + c] * x[j * m + c]
                }
            }
        }
        return (dx, dw, rows)
    }
}

private func randomTensor(_ shape: [Int], scale: Float = 1, seed: UInt64, requiresGrad: Bool = false) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.normal(shape, std: scale, rng: &rng, requiresGrad: requiresGrad)
}

private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1) / max(1, abs($1.1))) }
}

private struct PSNFixtureFile: Decodable {
    struct Case: Decodable {
        let shape: [Int]
        let x, weight, bias: [Float]
        let weight_shape: [Int]
        let grad_spikes, spikes, grad_x, grad_weight, grad_bias: [Float]
        let order: Int?
        let lambda: Float?
    }
    let cases: [String: Case]

    static func load() throws -> PSNFixtureFile {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/psn_fixtures.json")
        return try JSONDecoder().decode(PSNFixtureFile.self, from: Data(contentsOf: url))
    }
}

@Suite("PSN family")
struct PSNTests {
    @Test("PSN forward on a hand-computed sequence fires at H = 0 (SpikingJelly's Θ(0) = 1)")
    func psnHandValues() {
        // W = [[1, 0], [0.5, 1]], B = [−1, −0.5], X = [[1, 0.5], [0.2, −1]] (T = 2, M = 2)
        // H = [[0, −0.5], [0.2, −1.25]] → S = [[1, 0], [1, 0]]
        let x = Tensor([1, 0.5, 0.2, -1], shape: [2, 2])
        let s = psn(x, weight: Tensor([1, 0, 0.5, 1], shape: [2, 2]), bias: Tensor([-1, -0.5]))
        #expect(s.array == [1, 0, 1, 0])
        #expect(s.shape == [2, 2])
    }

    @Test("masked PSN mask and forward on hand values")
    func maskedHandValues() {
        // T = 3, k = 2, λ = 0.5: band (j ≤ i ≤ j + 1) → 1, elsewhere 0.5
        #expect(maskedPSNMask(timeSteps: 3, order: 2, lambda: 0.5) == [1, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1])
        #expect(maskedPSNMask(timeSteps: 3, order: 2, lambda: 1) == [1, 0, 0, 1, 1, 0, 0, 1, 1])
        #expect(maskedPSNMask(timeSteps: 2, order: 1, lambda: 0) == [1, 1, 1, 1])
        // W = ones, X = [1, 2, −4] (M = 1), B = [−1, −3.5, −1]:
        // H0 = 1 + 1 − 2 − 1 = −1, H1 = 1 + 2 − 2 − 3.5 = −2.5, H2 = 0.5 + 2 − 4 − 1 = −2.5 at λ = 0.5
        // at λ = 1: H = [1 − 1, 3 − 3.5, −2 − 1] = [0, −0.5, −3] → S = [1, 0, 0]
        let x = Tensor([1, 2, -4], shape: [3, 1]), w = Tensor.ones([3, 3]), b = Tensor([-1, -3.5, -1])
        #expect(maskedPSN(x, weight: w, bias: b, order: 2, lambda: 0.5).array == [0, 0, 0])
        #expect(maskedPSN(x, weight: w, bias: b, order: 2, lambda: 1).array == [1, 0, 0])
    }

    @Test("sliding PSN forward on a hand-computed sequence, with zeros before t = 0")
    func slidingHandValues() {
        // k = 2, W = [0.5, 1], B = −1, X = [2, 1, 0.4]:
        // H0 = 1·2 − 1 = 1, H1 = 0.5·2 + 1 − 1 = 1, H2 = 0.5·1 + 0.4 − 1 = −0.1 → S = [1, 1, 0]
        let x = Tensor([2, 1, 0.4], shape: [3, 1])
        #expect(slidingPSN(x, weight: Tensor([0.5, 1]), bias: Tensor.scalar(-1)).array == [1, 1, 0])
        #expect(slidingPSNMatrix(weight: [0.25, 0.5, 1], timeSteps: 4)
                == [1, 0, 0, 0, 0.5, 1, 0, 0, 0.25, 0.5, 1, 0, 0, 0.25, 0.5, 1])
        // An order larger than T uses only the last T weights.
        #expect(slidingPSNMatrix(weight: [9, 0.5, 1], timeSteps: 2) == [1, 0, 0.5, 1])
    }

    @Test("PSN, masked and sliding PSN gradients match a Double reference")
    func gradientsMatchReference() {
        let t = 6, shape = [t, 3, 4], m = 12
        let x = randomTensor(shape, scale: 2, seed: 1, requiresGrad: true)
        let gS = randomTensor(shape, seed: 2)
        let xd = x.array.map(Double.init), gd = gS.array.map(Double.init)

        // PSN
        var rng = PhiloxGenerator(seed: 3)
        let (w, b) = makePSNParameters(timeSteps: t, rng: &rng)
        let s = psn(x, weight: w, bias: b)
        let ref = PSNReference(t: t, m: m, effective: w.array.map(Double.init), bias: b.array.map(Double.init), x: xd)
        #expect(s.array == ref.h.map { $0 >= 0 ? 1 : 0 })
        s.backward(gS)
        let g = ref.gradients(gd)
        #expect(maxDifference(x.grad!.array, g.dx) < 1e-5)
        #expect(maxDifference(w.grad!.array, g.dEffective) < 1e-5)
        #expect(maxDifference(b.grad!.array, g.rowSums) < 1e-5)

        // masked PSN, λ = 0.4, k = 3: dW = dW_eff ⊙ M_k(λ)
        x.zeroGrad(); w.zeroGrad(); b.zeroGrad()
        let mask = maskedPSNMask(timeSteps: t, order: 3, lambda: 0.4).map(Double.init)
        let masked = maskedPSN(x, weight: w, bias: b, order: 3, lambda: 0.4)
        let mref = PSNReference(t: t, m: m, effective: zip(w.array, mask).map { Double($0) * $1 },
                                bias: b.array.map(Double.init), x: xd)
        #expect(masked.array == mref.h.map { $0 >= 0 ? 1 : 0 })
        masked.backward(gS)
        let mg = mref.gradients(gd)
        #expect(maxDifference(x.grad!.array, mg.dx) < 1e-5)
        #expect(maxDifference(w.grad!.array, zip(mg.dEffective, mask).map { $0 * $1 }) < 1e-5)
        #expect(maxDifference(b.grad!.array, mg.rowSums) < 1e-5)

        // sliding PSN, k = 4: dW_i sums the diagonal i − j = k − 1 − i, dB sums everything
        x.zeroGrad()
        let sw = Tensor([0.3, -0.7, 0.9, 1.1], requiresGrad: true), sb = Tensor.scalar(-0.5, requiresGrad: true)
        let sliding = slidingPSN(x, weight: sw, bias: sb, surrogate: Surrogate(.atan, alpha: 3))
        let effective = slidingPSNMatrix(weight: sw.array, timeSteps: t).map(Double.init)
        let sref = PSNReference(t: t, m: m, effective: effective, bias: [Double](repeating: -0.5, count: t), x: xd)
        #expect(sliding.array == sref.h.map { $0 >= 0 ? 1 : 0 })
        sliding.backward(gS)
        let sg = sref.gradients(gd, alpha: 3)
        var dw = [Double](repeating: 0, count: 4)
        for i in 0..<t { for j in max(0, i - 3)...i { dw[3 - (i - j)] += sg.dEffective[i * t + j] } }
        #expect(maxDifference(x.grad!.array, sg.dx) < 1e-5)
        #expect(maxDifference(sw.grad!.array, dw) < 1e-5)
        #expect(maxDifference(sb.grad!.array, [sg.rowSums.reduce(0, +)]) < 1e-5)
        #expect(sb.grad!.shape == [])
    }

    @Test("spikes and gradients match SpikingJelly's PSN, MaskedPSN and SlidingPSN fixtures",
          arguments: ["psn", "masked_psn_k3_lambda0.3", "masked_psn_k2_lambda1", "sliding_psn_k3", "sliding_psn_k3_exp"])
    func matchesSpikingJelly(name: String) throws {
        let fixture = try #require(try PSNFixtureFile.load().cases[name])
        let x = Tensor(fixture.x, shape: fixture.shape, requiresGrad: true)
        let w = Tensor(fixture.weight, shape: fixture.weight_shape, requiresGrad: true)
        let spikes: Tensor
        let b: Tensor
        if name.hasPrefix("sliding") {
            b = Tensor.scalar(fixture.bias[0], requiresGrad: true)
            spikes = slidingPSN(x, weight: w, bias: b)
        } else {
            b = Tensor(fixture.bias, shape: [fixture.bias.count], requiresGrad: true)
            spikes = name == "psn"
                ? psn(x, weight: w, bias: b)
                : maskedPSN(x, weight: w, bias: b, order: fixture.order!, lambda: fixture.lambda!)
        }
        #expect(spikes.array == fixture.spikes)
        spikes.backward(Tensor(fixture.grad_spikes, shape: fixture.shape))
        let tolerance: Float = 1e-5
        func close(_ a: [Float], _ b: [Float]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
        }
        #expect(close(x.grad!.array, fixture.grad_x))
        #expect(close(w.grad!.array, fixture.grad_weight))
        #expect(close(b.grad!.array, fixture.grad_bias))
    }

    @Test("parameter initialisation follows SpikingJelly and is reproducible from the seed")
    func initialisation() {
        var rng = PhiloxGenerator(seed: 11)
        let (w, b) = makePSNParameters(timeSteps: 16, rng: &rng)
        #expect(w.shape == [16, 16] && w.requiresGrad && b.requiresGrad)
        #expect(b.array == [Float](repeating: -1, count: 16))
        let bound: Float = 1 / 4  // gain √(2/6) · √(3/16) = 1/√16
        #expect(w.array.allSatisfy { abs($0) <= bound } && w.array.contains { abs($0) > 0.2 })
        var again = PhiloxGenerator(seed: 11)
        #expect(makeMaskedPSNParameters(timeSteps: 16, rng: &again).weight.array == w.array)

        let (ew, eb) = makeSlidingPSNParameters(order: 4, rng: &rng)
        #expect(ew.array == [0.125, 0.25, 0.5, 1] && eb.shape == [] && eb.item == -1)
        let (kw, _) = makeSlidingPSNParameters(order: 9, exponential: false, rng: &rng)
        #expect(kw.shape == [9] && kw.array.allSatisfy { abs($0) <= 1 / 3 })
    }

    @Test("timeMix matches a loop and its gradients match finite differences")
    func timeMixing() {
        let a = randomTensor([5, 5], seed: 21, requiresGrad: true)
        let x = randomTensor([5, 2, 3], seed: 22, requiresGrad: true)
        let y = timeMix(a, x)
        var worst: Float = 0
        for i in 0..<5 {
            for c in 0..<6 {
                var s: Float = 0
                for j in 0..<5 { s += a.floats[i * 5 + j] * x.floats[j * 6 + c] }
                worst = max(worst, abs(s - y.floats[i * 6 + c]))
            }
        }
        #expect(worst < 1e-5)
        // Linear in both inputs: step 1e-2 with a Float32 forward, tolerance 1e-3.
        let check = gradientCheck([a, x]) { timeMix($0[0], $0[1]) }
        #expect(check.maxError < 1e-3, "\(check)")
    }

    @Test("a firing-rate recorder counts the PSN's spikes")
    func recordsFiringRate() {
        let recorder = FiringRateRecorder()
        let x = Tensor([1, 0.5, 0.2, -1], shape: [2, 2])
        _ = psn(x, weight: Tensor([1, 0, 0.5, 1], shape: [2, 2]), bias: Tensor([-1, -0.5]), recorder: recorder)
        #expect(recorder.spikeCount == 2 && recorder.elementCount == 4 && recorder.rate == 0.5)
    }
}
