import Foundation
import Testing
@testable import SpikeTensor

/// Softmax by its definition in Double along `axis` of a contiguous `shape`.
private func referenceSoftmax(_ x: [Float], shape: [Int], axis: Int, log: Bool) -> [Double] {
    let length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    let outer = x.count / (length * inner)
    var out = [Double](repeating: 0, count: x.count)
    for o in 0..<outer {
        for i in 0..<inner {
            let idx = (0..<length).map { o * length * inner + $0 * inner + i }
            let denominator = idx.map { Foundation.exp(Double(x[$0])) }.reduce(0, +)
            for k in idx {
                out[k] = log ? Double(x[k]) - Foundation.log(denominator) : Foundation.exp(Double(x[k])) / denominator
            }
        }
    }
    return out
}

private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

private func random(_ shape: [Int], seed: UInt64, scale: Float = 2) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.uniform(shape, low: -scale, high: scale, rng: &rng, requiresGrad: true)
}

// Gradient checks: step 1e-2, Float32 forward, smooth functions: observed error < 1e-4,
// tolerance 2e-3.
@Suite("Softmax and log-softmax")
struct SoftmaxTests {
    @Test("softmax and log-softmax match the definition along every axis")
    func forwardEveryAxis() {
        let shape = [2, 3, 11]  // last axis ≥ 8 exercises the SIMD reductions
        let x = random(shape, seed: 1)
        for axis in [0, 1, 2, -1, -2] {
            let a = axis < 0 ? axis + 3 : axis
            #expect(maxDifference(softmax(x, axis: axis).array, referenceSoftmax(x.array, shape: shape, axis: a, log: false)) < 1e-6)
            #expect(maxDifference(logSoftmax(x, axis: axis).array, referenceSoftmax(x.array, shape: shape, axis: a, log: true)) < 1e-5)
        }
    }

    @Test("large logits neither overflow nor produce NaN")
    func stability() {
        let x = Tensor([1000, 999, -1000, 0], shape: [1, 4])
        let p = softmax(x).array, lp = logSoftmax(x).array
        #expect(p.allSatisfy { $0.isFinite } && lp.allSatisfy { $0.isFinite })
        let expected = referenceSoftmax([0, -1, -2000, -1000], shape: [1, 4], axis: 1, log: false)
        #expect(maxDifference(p, expected) < 1e-6)
        #expect(abs(Double(lp[1]) - (-1 - Foundation.log(1 + Foundation.exp(-1.0)))) < 1e-4)
    }

    @Test("gradients match finite differences on inner and outer axes")
    func gradients() {
        let x = random([2, 3, 9], seed: 2)
        for axis in [-1, 1, 0] {
            let s = gradientCheck([x]) { softmax($0[0], axis: axis) }
            #expect(s.maxError < 2e-3, "softmax axis \(axis): \(s)")
            let l = gradientCheck([x]) { logSoftmax($0[0], axis: axis) }
            #expect(l.maxError < 2e-3, "logSoftmax axis \(axis): \(l)")
        }
    }
}
