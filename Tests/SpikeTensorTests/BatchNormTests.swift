import Foundation
import Testing
@testable import SpikeTensor

@Suite("Batch normalisation")
struct BatchNormTests {
    static func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1,
                       requiresGrad: Bool = false) -> Tensor {
        var rng = PhiloxGenerator(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, rng: &rng, requiresGrad: requiresGrad)
    }

    /// Indices of channel `ch` in a [N, C, S...] tensor.
    static func indices(of ch: Int, shape: [Int]) -> [Int] {
        let (n, c, s) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
        return (0..<n).flatMap { b in (0..<s).map { (b * c + ch) * s + $0 } }
    }

    /// Batch mean and biased variance of each channel, in Double.
    static func naiveStatistics(_ x: Tensor) -> (mean: [Double], variance: [Double]) {
        let values = x.array
        var mean: [Double] = [], variance: [Double] = []
        for ch in 0..<x.shape[1] {
            let v = indices(of: ch, shape: x.shape).map { Double(values[$0]) }
            let mu = v.reduce(0, +) / Double(v.count)
            mean.append(mu)
            variance.append(v.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(v.count))
        }
        return (mean, variance)
    }

    static func naiveNormalize(_ x: Tensor, mean: [Double], variance: [Double], weight: [Float], bias: [Float],
                               eps: Double) -> [Float] {
        var out = x.array
        for ch in 0..<x.shape[1] {
            for i in indices(of: ch, shape: x.shape) {
                out[i] = Float((Double(out[i]) - mean[ch]) / (variance[ch] + eps).squareRoot() * Double(weight[ch])
                               + Double(bias[ch]))
            }
        }
        return out
    }

    static let shapes: [[Int]] = [[6, 5], [4, 3, 7], [3, 4, 5, 6], [2, 3, 9, 11], [1, 2, 33, 1]]

    @Test("training normalises with batch statistics and updates the running buffers")
    func trainingForward() {
        for (k, shape) in Self.shapes.enumerated() {
            // An offset far from zero checks the variance does not cancel.
            let x = Self.random(shape, seed: UInt64(k), low: 99, high: 101)
            let c = shape[1]
            let w = Self.random([c], seed: 50, low: 0.5, high: 1.5), b = Self.random([c], seed: 51)
            let rm = Self.random([c], seed: 52), rv = Self.random([c], seed: 53, low: 0.5, high: 2)
            let (rm0, rv0) = (rm.array, rv.array)
            let y = batchNorm(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: true,
                              momentum: 0.2, eps: 1e-3)
            let (mean, variance) = Self.naiveStatistics(x)
            let expected = Self.naiveNormalize(x, mean: mean, variance: variance, weight: w.array, bias: b.array, eps: 1e-3)
            #expect(maxRelativeDifference(y.array, expected) < 1e-4, "\(shape)")
            let m = Double(shape.reduce(1, *) / c)
            for ch in 0..<c {
                let expectedMean = 0.8 * Double(rm0[ch]) + 0.2 * mean[ch]
                let expectedVar = 0.8 * Double(rv0[ch]) + 0.2 * variance[ch] * m / (m - 1)
                #expect(abs(Double(rm.floats[ch]) - expectedMean) < 1e-4, "running mean \(shape) channel \(ch)")
                #expect(abs(Double(rv.floats[ch]) - expectedVar) < 1e-4, "running var \(shape) channel \(ch)")
            }
        }
    }

    @Test("evaluation normalises with the running statistics and leaves them alone")
    func evaluationForward() {
        for (k, shape) in Self.shapes.enumerated() {
            let x = Self.random(shape, seed: UInt64(k + 10))
            let c = shape[1]
            let w = Self.random([c], seed: 60), b = Self.random([c], seed: 61)
            let rm = Self.random([c], seed: 62), rv = Self.random([c], seed: 63, low: 0.5, high: 2)
            let (rm0, rv0) = (rm.array, rv.array)
            let y = batchNorm(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: false)
            let expected = Self.naiveNormalize(x, mean: rm0.map(Double.init), variance: rv0.map(Double.init),
                                               weight: w.array, bias: b.array, eps: 1e-5)
            #expect(maxRelativeDifference(y.array, expected) < 1e-5, "\(shape)")
            #expect(rm.array == rm0 && rv.array == rv0)
        }
        // No affine parameters and no running statistics in training: plain standardisation.
        let x = Self.random([5, 3, 4], seed: 70)
        let y = batchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true)
        let (mean, variance) = Self.naiveStatistics(x)
        #expect(maxRelativeDifference(y.array, Self.naiveNormalize(x, mean: mean, variance: variance,
            weight: [1, 1, 1], bias: [0, 0, 0], eps: 1e-5)) < 1e-5)
    }

    @Test("training gradients of input, weight and bias agree with finite differences")
    func trainingGradientCheck() {
        // Smooth in every input; step 1e-2 on values of order 1 gives ~1e-4 error from
        // Float32 forwards and the curvature: tolerance 5e-3.
        for (k, shape) in [[6, 3], [3, 2, 5], [2, 3, 3, 4]].enumerated() {
            let c = shape[1]
            let x = Self.random(shape, seed: UInt64(k + 80), requiresGrad: true)
            let w = Self.random([c], seed: 81, low: 0.5, high: 1.5, requiresGrad: true)
            let b = Self.random([c], seed: 82, requiresGrad: true)
            let check = gradientCheck([x, w, b], step: 1e-2, maxElements: 128) {
                batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
            }
            #expect(check.maxError < 5e-3, "\(shape): \(check)")
        }
    }

    @Test("training backward matches the closed form computed naively")
    func trainingBackwardMatchesNaive() {
        let shape = [4, 3, 5, 7], c = 3
        let x = Self.random(shape, seed: 90, requiresGrad: true)
        let w = Self.random([c], seed: 91, low: 0.5, high: 1.5, requiresGrad: true)
        let b = Self.random([c], seed: 92, requiresGrad: true)
        let gy = Self.random(shape, seed: 93)
        batchNorm(x, weight: w, bias: b, runningMean: nil, runningVar: nil, training: true).backward(gy)
        let (mean, variance) = Self.naiveStatistics(x)
        var gx = [Float](repeating: 0, count: x.count), gw: [Float] = [], gb: [Float] = []
        let xs = x.array, gs = gy.array
        for ch in 0..<c {
            let idx = Self.indices(of: ch, shape: shape)
            let sigma = (variance[ch] + 1e-5).squareRoot(), m = Double(idx.count)
            let xhat = idx.map { (Double(xs[$0]) - mean[ch]) / sigma }
            let sumG = idx.map { Double(gs[$0]) }.reduce(0, +)
            let sumGX = zip(idx, xhat).map { Double(gs[$0]) * $1 }.reduce(0, +)
            for (i, xh) in zip(idx, xhat) {
                gx[i] = Float(Double(w.floats[ch]) / sigma * (Double(gs[i]) - sumG / m - xh * sumGX / m))
            }
            gw.append(Float(sumGX)); gb.append(Float(sumG))
        }
        #expect(maxRelativeDifference(x.grad!.array, gx) < 1e-4)
        #expect(maxRelativeDifference(w.grad!.array, gw) < 1e-4)
        #expect(maxRelativeDifference(b.grad!.array, gb) < 1e-4)
    }

    @Test("evaluation gradients are those of the affine map")
    func evaluationGradientCheck() {
        let shape = [3, 4, 2, 3], c = 4
        let x = Self.random(shape, seed: 100, requiresGrad: true)
        let w = Self.random([c], seed: 101, requiresGrad: true), b = Self.random([c], seed: 102, requiresGrad: true)
        let rm = Self.random([c], seed: 103), rv = Self.random([c], seed: 104, low: 0.5, high: 2)
        let check = gradientCheck([x, w, b], step: 1e-2) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: false)
        }
        #expect(check.maxError < 2e-3, "\(check)")
    }

    @Test("repeated parallel runs give the same bytes")
    func repeatable() {
        let x = Self.random([8, 16, 24, 24], seed: 110, requiresGrad: true)
        let gy = Self.random(x.shape, seed: 111)
        func run() -> ([Float], [Float]) {
            x.grad = nil
            let y = batchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true)
            y.backward(gy)
            return (y.array, x.grad!.array)
        }
        let first = run(), second = run()
        #expect(first.0 == second.0 && first.1 == second.1)
    }
}

/// Largest |a − b| / max(1, |b|).
fileprivate func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
    return worst
}
