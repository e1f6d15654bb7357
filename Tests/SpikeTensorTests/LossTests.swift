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

/// Cross-entropy by definition, in Double: per position −Σ_c q_c·log p_c with
/// q = (1−ε)·onehot + ε/C, p = softmax over the class axis (axis 1); ignored positions are 0.
private func referenceCrossEntropy(_ logits: Tensor, _ targets: [Int32], smoothing: Double,
                                   ignore: Int32?) -> (losses: [Double], counted: Int) {
    let n = logits.shape[0], classes = logits.shape[1]
    let spatial = logits.shape.dropFirst(2).reduce(1, *)
    let x = logits.array
    var losses: [Double] = [], counted = 0
    for b in 0..<n {
        for s in 0..<spatial {
            let target = targets[b * spatial + s]
            if target == ignore { losses.append(0); continue }
            counted += 1
            let values = (0..<classes).map { Double(x[b * classes * spatial + $0 * spatial + s]) }
            let denominator = values.map { Foundation.exp($0) }.reduce(0, +)
            var loss = 0.0
            for c in 0..<classes {
                let q = (c == Int(target) ? 1 - smoothing : 0) + smoothing / Double(classes)
                loss -= q * Foundation.log(Foundation.exp(values[c]) / denominator)
            }
            losses.append(loss)
        }
    }
    return (losses, counted)
}

// Gradient checks: step 1e-2 with a Float32 forward; the checker projects in Double, and the
// observed error is below 1e-5, so we hold it to 2e-3 (a dropped smoothing factor in the
// cross-entropy backward gives > 1e-2). Probe points stay away from the kinks of smooth L1.
@Suite("Cross-entropy")
struct CrossEntropyTests {
    /// Class maps of two 3×4 images with 3 classes; 255 marks pixels to ignore.
    static let pixelTargets: [Int32] = [0, 1, 2, 255, 1, 0, 2, 2, 255, 0, 1, 1,
                                        2, 2, 1, 0, 255, 1, 0, 2, 1, 1, 0, 255]

    @Test("plain cross-entropy matches the definition for every reduction")
    func plain() {
        let logits = random([4, 5], seed: 1)
        let targets: [Int32] = [0, 4, 2, 2]
        let t = Tensor(int32: targets)
        let ref = referenceCrossEntropy(logits, targets, smoothing: 0, ignore: nil)
        #expect(maxDifference(crossEntropy(logits, t, reduction: .none).array, ref.losses) < 1e-5)
        #expect(maxDifference(crossEntropy(logits, t, reduction: .sum).array, [ref.losses.reduce(0, +)]) < 1e-5)
        let mean = crossEntropy(logits, t)
        #expect(mean.shape == [])
        #expect(maxDifference(mean.array, [ref.losses.reduce(0, +) / 4]) < 1e-5)
    }

    @Test("label smoothing with an ignore index averages both terms over the kept targets")
    func smoothingAndIgnore() {
        let logits = random([5, 4], seed: 2)
        let targets: [Int32] = [1, -100, 3, -100, 0]
        let t = Tensor(int32: targets)
        let ref = referenceCrossEntropy(logits, targets, smoothing: 0.1, ignore: -100)
        #expect(ref.counted == 3)
        let none = crossEntropy(logits, t, labelSmoothing: 0.1, ignoreIndex: -100, reduction: .none)
        #expect(maxDifference(none.array, ref.losses) < 1e-5)
        #expect(none[1] == 0 && none[3] == 0)
        let mean = crossEntropy(logits, t, labelSmoothing: 0.1, ignoreIndex: -100)
        #expect(maxDifference(mean.array, [ref.losses.reduce(0, +) / 3]) < 1e-5)
    }

    @Test("segmentation-shaped logits use the class axis 1 at every pixel")
    func segmentation() {
        // 3×4 = 12 pixels per image: eight are handled as SIMD lanes, four one by one.
        let logits = random([2, 3, 3, 4], seed: 3)
        let targets = Self.pixelTargets
        let t = Tensor(int32: targets, shape: [2, 3, 4])
        let ref = referenceCrossEntropy(logits, targets, smoothing: 0.2, ignore: 255)
        let none = crossEntropy(logits, t, labelSmoothing: 0.2, ignoreIndex: 255, reduction: .none)
        #expect(none.shape == [2, 3, 4])
        #expect(maxDifference(none.array, ref.losses) < 1e-5)
        let mean = crossEntropy(logits, t, labelSmoothing: 0.2, ignoreIndex: 255)
        #expect(maxDifference(mean.array, [ref.losses.reduce(0, +) / Double(ref.counted)]) < 1e-5)
    }

    @Test("a mean over no kept targets is 0 with a zero gradient, not NaN")
    func allIgnored() {
        let logits = random([3, 4], seed: 4)
        let loss = crossEntropy(logits, Tensor(int32: [-1, -1, -1]), labelSmoothing: 0.1, ignoreIndex: -1)
        #expect(loss.item == 0)
        loss.backward()
        #expect(logits.grad!.array.allSatisfy { $0 == 0 })
    }

    @Test("gradients match finite differences: plain, smoothed with ignored targets, segmentation")
    func gradients() {
        let plain = random([4, 5], seed: 5)
        let r1 = gradientCheck([plain]) { crossEntropy($0[0], Tensor(int32: [0, 4, 2, 1])) }
        #expect(r1.maxError < 2e-3, "\(r1)")

        let smoothed = random([5, 4], seed: 6)
        let t2 = Tensor(int32: [1, -100, 3, -100, 0])
        for reduction in Reduction.allCases {
            let r = gradientCheck([smoothed]) {
                crossEntropy($0[0], t2, labelSmoothing: 0.1, ignoreIndex: -100, reduction: reduction)
            }
            #expect(r.maxError < 2e-3, "\(reduction): \(r)")
        }

        let pixels = random([2, 3, 3, 4], seed: 7)
        let t3 = Tensor(int32: Self.pixelTargets, shape: [2, 3, 4])
        // Every reduction: a mean over 20 targets makes gradients small, the others do not.
        for reduction in Reduction.allCases {
            let r3 = gradientCheck([pixels]) {
                crossEntropy($0[0], t3, labelSmoothing: 0.2, ignoreIndex: 255, reduction: reduction)
            }
            #expect(r3.maxError < 2e-3, "segmentation \(reduction): \(r3)")
        }
    }

    @Test("extreme logits give finite losses and gradients")
    func stability() {
        let logits = Tensor([500, -500, 0, -500, 500, 0], shape: [2, 3], requiresGrad: true)
        let loss = crossEntropy(logits, Tensor(int32: [1, 1]))
        #expect(abs(loss.item - 500) < 1e-3)  // (1000 + 0) / 2
        loss.backward()
        #expect(logits.grad!.array.allSatisfy { $0.isFinite })
    }
}

@Suite("Regression and binary losses")
struct RegressionLossTests {
    /// Differences kept ≥ 0.15 away from 0 and from ±β (β ∈ {0, 0.5, 1}), the kinks of smooth L1.
    static let differences: [Float] = [-2.1, -0.8, -0.3, 0.2, 0.7, 1.6, -1.3, 0.35]

    static func pair(seed: UInt64) -> (Tensor, Tensor) {
        let x = random([2, 4], seed: seed)
        let y = Tensor(zip(x.array, differences).map { $0 - $1 }, shape: [2, 4], requiresGrad: true)
        return (x, y)
    }

    @Test("mean squared error matches its formula for every reduction")
    func mseForward() {
        let (x, y) = Self.pair(seed: 1)
        let squares = Self.differences.map { Double($0) * Double($0) }
        #expect(maxDifference(mseLoss(x, y, reduction: .none).array, squares) < 1e-5)
        #expect(maxDifference(mseLoss(x, y, reduction: .sum).array, [squares.reduce(0, +)]) < 1e-4)
        #expect(maxDifference(mseLoss(x, y).array, [squares.reduce(0, +) / 8]) < 1e-5)
    }

    @Test("smooth L1 is quadratic inside β and linear outside, plain L1 at β = 0")
    func smoothL1Forward() {
        let (x, y) = Self.pair(seed: 2)
        for beta in [1.0, 0.5, 0.0] {
            let expected = Self.differences.map { d -> Double in
                let a = abs(Double(d))
                return a < beta ? 0.5 * a * a / beta : a - 0.5 * beta
            }
            #expect(maxDifference(smoothL1Loss(x, y, beta: Float(beta), reduction: .none).array, expected) < 1e-5)
            #expect(maxDifference(smoothL1Loss(x, y, beta: Float(beta)).array, [expected.reduce(0, +) / 8]) < 1e-5)
        }
    }

    @Test("BCE with logits matches the definition, with and without a positive weight, even at ±100")
    func bceForward() {
        let logits = Tensor([-100, -1.5, 0.3, 100, 2, -0.7], shape: [2, 3])
        let targets = Tensor([0, 1, 0.3, 1, 0, 0.8], shape: [2, 3])
        let posWeight = Tensor([2, 0.5, 3])
        // log σ(v) = −log(1 + e^−v) in Double: exact enough and finite for |v| = 100.
        func logSigmoid(_ v: Double) -> Double { -Foundation.log1p(Foundation.exp(-v)) }
        for weighted in [false, true] {
            let expected = (0..<6).map { i -> Double in
                let x = Double(logits.array[i]), y = Double(targets.array[i])
                let p = weighted ? Double(posWeight.array[i % 3]) : 1
                return -(p * y * logSigmoid(x) + (1 - y) * logSigmoid(-x))
            }
            let loss = bceWithLogitsLoss(logits, targets, posWeight: weighted ? posWeight : nil, reduction: .none)
            #expect(maxDifference(loss.array, expected) < 1e-4, "weighted \(weighted)")
            let mean = bceWithLogitsLoss(logits, targets, posWeight: weighted ? posWeight : nil)
            #expect(abs(Double(mean.item) - expected.reduce(0, +) / 6) < 1e-4)
        }
    }

    @Test("gradients reach both inputs (and the positive weight) and match finite differences")
    func gradients() {
        for reduction in Reduction.allCases {
            let (x, y) = Self.pair(seed: 3)
            let mse = gradientCheck([x, y]) { mseLoss($0[0], $0[1], reduction: reduction) }
            #expect(mse.maxError < 2e-3, "mse \(reduction): \(mse)")
            for beta: Float in [1, 0.5, 0] {
                let r = gradientCheck([x, y]) { smoothL1Loss($0[0], $0[1], beta: beta, reduction: reduction) }
                #expect(r.maxError < 2e-3, "smoothL1 β=\(beta) \(reduction): \(r)")
            }
            let logits = random([3, 4], seed: 4, low: -3, high: 3)
            let targets = random([3, 4], seed: 5, low: 0, high: 1)
            let posWeight = random([4], seed: 6, low: 0.5, high: 2)
            let bce = gradientCheck([logits, targets, posWeight]) {
                bceWithLogitsLoss($0[0], $0[1], posWeight: $0[2], reduction: reduction)
            }
            #expect(bce.maxError < 2e-3, "bce \(reduction): \(bce)")
            let plain = gradientCheck([logits, targets]) { bceWithLogitsLoss($0[0], $0[1], reduction: reduction) }
            #expect(plain.maxError < 2e-3, "bce without weight \(reduction): \(plain)")
        }
    }
}
