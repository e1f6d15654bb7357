import Foundation
import Testing
@testable import SpikeTensor

private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

private func random(_ shape: [Int], seed: UInt64, scale: Float = 0.8) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.uniform(shape, low: -scale, high: scale, rng: &rng, requiresGrad: true)
}

/// The three outputs flattened into one vector, so one gradient check sends a gradient to
/// each of them (written here with the custom-op API to stay independent of other ops).
private func pack(_ parts: [Tensor]) -> Tensor {
    let out = Tensor(parts.flatMap(\.array))
    return Tensor.record("pack", output: out, inputs: parts) { g in
        var offset = 0
        return parts.map { part in
            defer { offset += part.count }
            return Tensor(Array(g.array[offset..<(offset + part.count)]), shape: part.shape)
        }
    }
}

/// PyTorch's LSTM equations one scalar at a time, in Double.
private func referenceLSTM(x: Tensor, h0: Tensor?, c0: Tensor?, wIH: Tensor, wHH: Tensor,
                           bIH: Tensor?, bHH: Tensor?) -> (output: [Double], h: [Double], c: [Double]) {
    let steps = x.shape[0], batch = x.shape[1], inputs = x.shape[2], hidden = wHH.shape[1]
    let xs = x.array.map(Double.init), wi = wIH.array.map(Double.init), wh = wHH.array.map(Double.init)
    let bi = bIH?.array.map(Double.init), bh = bHH?.array.map(Double.init)
    var h = h0?.array.map(Double.init) ?? [Double](repeating: 0, count: batch * hidden)
    var c = c0?.array.map(Double.init) ?? [Double](repeating: 0, count: batch * hidden)
    func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
    var output: [Double] = []
    for t in 0..<steps {
        var hNext = h, cNext = c
        for n in 0..<batch {
            for j in 0..<hidden {
                // Pre-activation of gate row r (0: i, 1: f, 2: g, 3: o) for unit j.
                func pre(_ r: Int) -> Double {
                    let row = r * hidden + j
                    var s = (bi?[row] ?? 0) + (bh?[row] ?? 0)
                    for k in 0..<inputs { s += wi[row * inputs + k] * xs[(t * batch + n) * inputs + k] }
                    for k in 0..<hidden { s += wh[row * hidden + k] * h[n * hidden + k] }
                    return s
                }
                let i = sigmoid(pre(0)), f = sigmoid(pre(1)), g = Foundation.tanh(pre(2)), o = sigmoid(pre(3))
                let cell = f * c[n * hidden + j] + i * g
                cNext[n * hidden + j] = cell
                hNext[n * hidden + j] = o * Foundation.tanh(cell)
            }
        }
        h = hNext
        c = cNext
        output += h
    }
    return (output, h, c)
}

// Gradient checks: step 1e-2 with a Float32 forward; the checker projects in Double, and the
// observed error is below 1e-4, so we hold it to 2e-3 (a wrong term shows up as > 1e-2).
@Suite("LSTM")
struct LSTMTests {
    static let steps = 3, batch = 2, inputSize = 3, hidden = 4

    static func parameters(seed: UInt64) -> (x: Tensor, h0: Tensor, c0: Tensor, wIH: Tensor, wHH: Tensor, bIH: Tensor, bHH: Tensor) {
        (random([steps, batch, inputSize], seed: seed, scale: 1.5), random([batch, hidden], seed: seed + 1),
         random([batch, hidden], seed: seed + 2), random([4 * hidden, inputSize], seed: seed + 3),
         random([4 * hidden, hidden], seed: seed + 4), random([4 * hidden], seed: seed + 5),
         random([4 * hidden], seed: seed + 6))
    }

    @Test("matches a scalar step-by-step implementation, with and without initial state and biases")
    func forward() {
        let p = Self.parameters(seed: 1)
        let full = lstm(p.x, h0: p.h0, c0: p.c0, weightIH: p.wIH, weightHH: p.wHH, biasIH: p.bIH, biasHH: p.bHH)
        let ref = referenceLSTM(x: p.x, h0: p.h0, c0: p.c0, wIH: p.wIH, wHH: p.wHH, bIH: p.bIH, bHH: p.bHH)
        #expect(full.output.shape == [3, 2, 4] && full.h.shape == [2, 4] && full.c.shape == [2, 4])
        #expect(maxDifference(full.output.array, ref.output) < 1e-5)
        #expect(maxDifference(full.h.array, ref.h) < 1e-5)
        #expect(maxDifference(full.c.array, ref.c) < 1e-5)

        let bare = lstm(p.x, h0: nil, c0: nil, weightIH: p.wIH, weightHH: p.wHH, biasIH: nil, biasHH: p.bHH)
        let bareRef = referenceLSTM(x: p.x, h0: nil, c0: nil, wIH: p.wIH, wHH: p.wHH, bIH: nil, bHH: p.bHH)
        #expect(maxDifference(bare.output.array, bareRef.output) < 1e-5)
        #expect(maxDifference(bare.c.array, bareRef.c) < 1e-5)
    }

    @Test("gradients for every input match finite differences with gradients on all three outputs")
    func gradientsAllOutputs() {
        let p = Self.parameters(seed: 10)
        let r = gradientCheck([p.x, p.h0, p.c0, p.wIH, p.wHH, p.bIH, p.bHH]) { v in
            let out = lstm(v[0], h0: v[1], c0: v[2], weightIH: v[3], weightHH: v[4], biasIH: v[5], biasHH: v[6])
            return pack([out.output, out.h, out.c])
        }
        #expect(r.maxError < 2e-3, "\(r)")
        #expect(r.checked == 18 + 8 + 8 + 48 + 64 + 16 + 16)  // every element of every input was probed
    }

    @Test("a hidden size of 10 (eight SIMD lanes and two single units) matches the reference and finite differences")
    func wideHidden() {
        let x = random([2, 3, 5], seed: 30, scale: 1.5), h0 = random([3, 10], seed: 31), c0 = random([3, 10], seed: 32)
        let wIH = random([40, 5], seed: 33), wHH = random([40, 10], seed: 34, scale: 0.4), b = random([40], seed: 35)
        let out = lstm(x, h0: h0, c0: c0, weightIH: wIH, weightHH: wHH, biasIH: b, biasHH: nil)
        let ref = referenceLSTM(x: x, h0: h0, c0: c0, wIH: wIH, wHH: wHH, bIH: b, bHH: nil)
        #expect(maxDifference(out.output.array, ref.output) < 1e-5)
        #expect(maxDifference(out.c.array, ref.c) < 1e-5)
        let r = gradientCheck([x, h0, c0, wIH, wHH, b]) { v in
            let o = lstm(v[0], h0: v[1], c0: v[2], weightIH: v[3], weightHH: v[4], biasIH: v[5], biasHH: nil)
            return pack([o.output, o.h, o.c])
        }
        #expect(r.maxError < 2e-3, "\(r)")
    }

    @Test("a gradient on any single output is enough, and nil states get zeros")
    func gradientsSingleOutput() {
        let p = Self.parameters(seed: 20)
        let inputs = [p.x, p.wIH, p.wHH, p.bIH]
        for which in 0..<3 {
            let r = gradientCheck(inputs) { v in
                let out = lstm(v[0], h0: nil, c0: nil, weightIH: v[1], weightHH: v[2], biasIH: v[3], biasHH: nil)
                return [out.output, out.h, out.c][which]
            }
            #expect(r.maxError < 2e-3, "output \(which): \(r)")
        }
    }
}
