import Foundation
import Testing
@testable import SpikeTensor

private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

private func random(_ shape: [Int], seed: UInt64, low: Float = -2, high: Float = 2) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, rng: &rng, requiresGrad: true)
}

// Gradient checks: step 1e-2 with a Float32 forward, tolerance 2e-3. Layer norm is smooth
// (observed error < 1e-4); dropout and resampling are linear in x (observed < 2e-5).
@Suite("Layer normalisation")
struct LayerNormTests {
    /// Normalisation of each row of `width` trailing elements, by definition in Double.
    static func reference(_ x: [Float], width: Int, weight: [Float]?, bias: [Float]?, eps: Double) -> [Double] {
        var out: [Double] = []
        for start in stride(from: 0, to: x.count, by: width) {
            let row = x[start..<(start + width)].map(Double.init)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for (j, v) in row.enumerated() {
                out.append((v - mean) / (variance + eps).squareRoot() * Double(weight?[j] ?? 1) + Double(bias?[j] ?? 0))
            }
        }
        return out
    }

    @Test("normalises over one or several trailing axes, with and without an affine map")
    func forward() {
        let x = random([2, 3, 4], seed: 1)
        let w = random([3, 4], seed: 2), b = random([3, 4], seed: 3)
        let full = layerNorm(x, normalizedShape: [3, 4], weight: w, bias: b)
        #expect(maxDifference(full.array, Self.reference(x.array, width: 12, weight: w.array, bias: b.array, eps: 1e-5)) < 1e-5)
        let plain = layerNorm(x, normalizedShape: [4], weight: nil, bias: nil, eps: 1e-3)
        #expect(maxDifference(plain.array, Self.reference(x.array, width: 4, weight: nil, bias: nil, eps: 1e-3)) < 1e-5)
    }

    @Test("gradients for input, weight and bias match finite differences")
    func gradients() {
        let x = random([3, 2, 5], seed: 4)
        let w = random([2, 5], seed: 5), b = random([2, 5], seed: 6)
        let r = gradientCheck([x, w, b]) { layerNorm($0[0], normalizedShape: [2, 5], weight: $0[1], bias: $0[2]) }
        #expect(r.maxError < 2e-3, "\(r)")
        let plain = gradientCheck([x]) { layerNorm($0[0], normalizedShape: [5], weight: nil, bias: nil) }
        #expect(plain.maxError < 2e-3, "\(plain)")
        let weightOnly = gradientCheck([x, Tensor.ones([5], requiresGrad: true)]) {
            layerNorm($0[0], normalizedShape: [5], weight: $0[1], bias: nil)
        }
        #expect(weightOnly.maxError < 2e-3, "\(weightOnly)")
    }
}

@Suite("Dropout")
struct DropoutTests {
    @Test("drops a fraction p and scales the kept values by 1/(1−p)")
    func fractionAndScale() {
        let x = Tensor.ones([1 << 20])
        var rng = PhiloxGenerator(seed: 11)
        for p: Float in [0.1, 0.5, 0.8] {
            let y = dropout(x, p: p, training: true, rng: &rng).array
            let dropped = y.filter { $0 == 0 }.count
            #expect(abs(Double(dropped) / Double(y.count) - Double(p)) < 0.003, "p = \(p)")
            #expect(y.allSatisfy { $0 == 0 || abs($0 - 1 / (1 - p)) < 1e-6 })
        }
    }

    @Test("the same seed gives the same mask, another seed a different one")
    func determinism() {
        let x = random([1000], seed: 1)
        var a = PhiloxGenerator(seed: 5), b = PhiloxGenerator(seed: 5), c = PhiloxGenerator(seed: 6)
        let ya = dropout(x, p: 0.5, training: true, rng: &a).array
        #expect(ya == dropout(x, p: 0.5, training: true, rng: &b).array)
        #expect(ya != dropout(x, p: 0.5, training: true, rng: &c).array)
        #expect(a == b)
    }

    @Test("is the identity in evaluation or at p = 0, and zero at p = 1")
    func identityAndEdges() {
        let x = random([64], seed: 2)
        var rng = PhiloxGenerator(seed: 1)
        #expect(dropout(x, p: 0.5, training: false, rng: &rng).array == x.array)
        #expect(dropout(x, p: 0, training: true, rng: &rng).array == x.array)
        #expect(rng == PhiloxGenerator(seed: 1))  // no draws were spent
        #expect(dropout(x, p: 1, training: true, rng: &rng).array.allSatisfy { $0 == 0 })
    }

    @Test("the gradient is the saved mask times the scale")
    func gradient() {
        let x = random([4, 8], seed: 3)
        let r = gradientCheck([x]) { inputs in
            var rng = PhiloxGenerator(seed: 9)  // same mask on every evaluation
            return dropout(inputs[0], p: 0.3, training: true, rng: &rng)
        }
        #expect(r.maxError < 2e-3, "\(r)")
        x.grad = nil
        var rng = PhiloxGenerator(seed: 9)
        let y = dropout(x, p: 0.3, training: true, rng: &rng)
        y.backward(Tensor.ones([4, 8]))
        for i in 0..<32 {
            #expect(x.grad!.floats[i] == (y.floats[i] == 0 ? 0 : 1 / 0.7 as Float))
        }
    }
}

@Suite("Nearest and bilinear upsampling")
struct UpsampleTests {
    /// PyTorch's formulas written out per output pixel, in Double.
    static func reference(_ x: Tensor, size: (Int, Int), mode: String, alignCorners: Bool = false) -> [Double] {
        let planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3]
        let v = x.array
        func source(_ dst: Int, _ input: Int, _ output: Int) -> Double {
            if alignCorners { return output > 1 ? Double(dst) * Double(input - 1) / Double(output - 1) : 0 }
            return max((Double(dst) + 0.5) * Double(input) / Double(output) - 0.5, 0)
        }
        var out: [Double] = []
        for p in 0..<planes {
            for oh in 0..<size.0 {
                for ow in 0..<size.1 {
                    if mode == "nearest" {
                        let sh = min(Int((Double(oh) * Double(h) / Double(size.0)).rounded(.down)), h - 1)
                        let sw = min(Int((Double(ow) * Double(w) / Double(size.1)).rounded(.down)), w - 1)
                        out.append(Double(v[p * h * w + sh * w + sw]))
                        continue
                    }
                    let sh = source(oh, h, size.0), sw = source(ow, w, size.1)
                    let h0 = Int(sh), w0 = Int(sw)
                    let h1 = min(h0 + 1, h - 1), w1 = min(w0 + 1, w - 1)
                    let lh = sh - Double(h0), lw = sw - Double(w0)
                    func at(_ i: Int, _ j: Int) -> Double { Double(v[p * h * w + i * w + j]) }
                    out.append((1 - lh) * ((1 - lw) * at(h0, w0) + lw * at(h0, w1))
                               + lh * ((1 - lw) * at(h1, w0) + lw * at(h1, w1)))
                }
            }
        }
        return out
    }

    @Test("bilinear 2×2 → 4×4 matches the hand-worked values, both corner conventions")
    func handWorked() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        // align_corners = false: source = (dst + 0.5)/2 − 0.5, clamped at 0 → taps 0, .25, .75, 1.
        let expected: [Float] = [1.0, 1.25, 1.75, 2.0,
                                 1.5, 1.75, 2.25, 2.5,
                                 2.5, 2.75, 3.25, 3.5,
                                 3.0, 3.25, 3.75, 4.0]
        #expect(maxDifference(upsampleBilinear2d(x, size: (4, 4)).array, expected.map(Double.init)) < 1e-6)
        // align_corners = true: source = dst/3, so value = 1 + w/3 + 2h/3.
        let corners = (0..<16).map { (i: Int) -> Double in
            let column = Double(i % 4), row = Double(i / 4)
            return 1 + column / 3 + 2 * row / 3
        }
        #expect(maxDifference(upsampleBilinear2d(x, size: (4, 4), alignCorners: true).array, corners) < 1e-6)
    }

    @Test("nearest picks floor(dst·in/out), including non-integer scales")
    func nearest() {
        let x = Tensor((0..<6).map(Float.init), shape: [1, 1, 2, 3])
        // Rows 2 → 3: floor(0, 0.67, 1.33) = 0, 0, 1. Columns 3 → 5: floor(0, .6, 1.2, 1.8, 2.4) = 0, 0, 1, 1, 2.
        let y = upsampleNearest2d(x, size: (3, 5))
        #expect(y.array == [0, 0, 1, 1, 2,
                            0, 0, 1, 1, 2,
                            3, 3, 4, 4, 5])
        let doubled = upsampleNearest2d(x, size: (4, 6))
        #expect(doubled.array == UpsampleTests.reference(x, size: (4, 6), mode: "nearest").map(Float.init))
    }

    @Test("both modes match the per-pixel reference when enlarging and shrinking")
    func againstReference() {
        let x = random([2, 3, 3, 5], seed: 1)
        for size in [(7, 4), (2, 9), (3, 5), (1, 1)] {
            #expect(maxDifference(upsampleNearest2d(x, size: size).array,
                                  Self.reference(x, size: size, mode: "nearest")) == 0, "\(size)")
            for align in [false, true] {
                #expect(maxDifference(upsampleBilinear2d(x, size: size, alignCorners: align).array,
                                      Self.reference(x, size: size, mode: "bilinear", alignCorners: align)) < 1e-5,
                        "\(size) alignCorners \(align)")
            }
        }
    }

    @Test("gradients scatter back and match finite differences")
    func gradients() {
        let x = random([1, 2, 3, 4], seed: 2)
        let n = gradientCheck([x]) { upsampleNearest2d($0[0], size: (5, 7)) }
        #expect(n.maxError < 2e-3, "\(n)")
        for align in [false, true] {
            for size in [(5, 7), (2, 3)] {
                let b = gradientCheck([x]) { upsampleBilinear2d($0[0], size: size, alignCorners: align) }
                #expect(b.maxError < 2e-3, "\(size) alignCorners \(align): \(b)")
            }
        }
        // Every output of a nearest upsample reads one input, so ones scatter to copy counts.
        x.grad = nil
        upsampleNearest2d(x, size: (6, 8)).backward(Tensor.ones([1, 2, 6, 8]))
        #expect(x.grad!.array.allSatisfy { $0 == 4 })
    }
}
