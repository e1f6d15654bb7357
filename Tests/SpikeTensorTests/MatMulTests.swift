import Testing
@testable import SpikeTensor

/// Naive triple loop in Double: [M, K]×[K, N] at the given element offsets.
private func naiveProduct(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int,
                          aOffset: Int = 0, bOffset: Int = 0) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(a[aOffset + i * k + p]) * Double(b[bOffset + p * n + j]) }
            c[i * n + j] = s
        }
    }
    return c
}

private func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

private func random(_ shape: [Int], seed: UInt64, requiresGrad: Bool = true) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor.uniform(shape, low: -1, high: 1, rng: &rng, requiresGrad: requiresGrad)
}

// Gradient checks use the default step 1e-2 with a Float32 forward. Products are linear in
// each input, so central differences are exact up to rounding (observed < 1e-5); we allow 2e-3.
@Suite("Matrix products and linear layers")
struct MatMulTests {
    @Test("a plain matrix product matches the triple loop")
    func plainForward() {
        let a = random([3, 4], seed: 1), b = random([4, 5], seed: 2)
        let c = matmul(a, b)
        #expect(c.shape == [3, 5])
        #expect(maxDifference(c.array, naiveProduct(a.array, b.array, m: 3, k: 4, n: 5)) < 1e-5)
    }

    @Test("a batched product multiplies each batch element by its own right matrix")
    func batchedForward() {
        let a = random([2, 3, 3, 4], seed: 3), b = random([2, 3, 4, 5], seed: 4)
        let c = matmul(a, b)
        #expect(c.shape == [2, 3, 3, 5])
        var expected: [Double] = []
        for i in 0..<6 {
            expected += naiveProduct(a.array, b.array, m: 3, k: 4, n: 5, aOffset: i * 12, bOffset: i * 20)
        }
        #expect(maxDifference(c.array, expected) < 1e-5)
    }

    @Test("a shared right matrix multiplies every batch element")
    func sharedRightForward() {
        let a = random([2, 3, 4], seed: 5), b = random([4, 5], seed: 6)
        let c = matmul(a, b)
        #expect(c.shape == [2, 3, 5])
        let expected = naiveProduct(a.array, b.array, m: 3, k: 4, n: 5, aOffset: 0)
            + naiveProduct(a.array, b.array, m: 3, k: 4, n: 5, aOffset: 12)
        #expect(maxDifference(c.array, expected) < 1e-5)
    }

    @Test("matmul gradients match finite differences in all three forms")
    func matmulGradients() {
        let cases: [([Int], [Int])] = [([3, 4], [4, 5]), ([2, 3, 4], [2, 4, 2]), ([2, 3, 4], [4, 5])]
        for (seed, (sa, sb)) in cases.enumerated() {
            let a = random(sa, seed: UInt64(10 + seed)), b = random(sb, seed: UInt64(20 + seed))
            let result = gradientCheck([a, b]) { matmul($0[0], $0[1]) }
            #expect(result.maxError < 2e-3, "\(sa)×\(sb): \(result)")
        }
    }

    @Test("only the operands that require gradients receive them")
    func gradientOnlyWhereRequired() {
        let a = random([2, 3], seed: 30), b = random([3, 2], seed: 31, requiresGrad: false)
        matmul(a, b).backward(Tensor.ones([2, 2]))
        #expect(a.grad != nil && b.grad == nil)
        // dA = 1·Bᵀ: each row of dA holds the row sums of B.
        let rowSums = (0..<3).map { r in Double(b[r, 0] + b[r, 1]) }
        #expect(maxDifference(Array(a.grad!.array[0..<3]), rowSums) < 1e-6)
    }

    @Test("linear matches x·Wᵀ + b over leading axes")
    func linearForward() {
        let x = random([2, 3, 4], seed: 40), w = random([5, 4], seed: 41), b = random([5], seed: 42)
        let y = linear(x, weight: w, bias: b)
        #expect(y.shape == [2, 3, 5])
        var expected = [Double](repeating: 0, count: 30)
        for r in 0..<6 {
            for o in 0..<5 {
                var s = Double(b.array[o])
                for i in 0..<4 { s += Double(x.array[r * 4 + i]) * Double(w.array[o * 4 + i]) }
                expected[r * 5 + o] = s
            }
        }
        #expect(maxDifference(y.array, expected) < 1e-5)
        let noBias = linear(x, weight: w)
        #expect(maxDifference(noBias.array, zip(expected, (0..<30).map { Double(b.array[$0 % 5]) }).map { $0 - $1 }) < 1e-5)
    }

    @Test("linear gradients for input, weight and bias match finite differences")
    func linearGradients() {
        let x = random([2, 3, 4], seed: 50), w = random([5, 4], seed: 51), b = random([5], seed: 52)
        let result = gradientCheck([x, w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) }
        #expect(result.maxError < 2e-3, "\(result)")
        let noBias = gradientCheck([x, w]) { linear($0[0], weight: $0[1]) }
        #expect(noBias.maxError < 2e-3, "\(noBias)")
    }
}
