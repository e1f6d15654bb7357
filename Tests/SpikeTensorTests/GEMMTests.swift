import Testing
@testable import SpikeTensor

/// `alpha·op(A)·op(B) + beta·C` by the triple loop in Double, from row-major buffers stored
/// as the GEMM sees them (A is [k, m] when transposed, B is [n, k] when transposed).
private func referenceProduct(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                              a: [Float], b: [Float], beta: Double, c: [Float]) -> [Double] {
    var out = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = transA ? a[p * m + i] : a[i * k + p]
                let bv = transB ? b[j * k + p] : b[p * n + j]
                s += Double(av) * Double(bv)
            }
            out[i * n + j] = alpha * s + beta * Double(c[i * n + j])
        }
    }
    return out
}

private func uniform(_ count: Int, seed: UInt64) -> [Float] {
    var rng = PhiloxGenerator(seed: seed, stream: 5)
    return Tensor.uniform([count], low: -1, high: 1, rng: &rng).array
}

/// Runs the engine GEMM on copies of the buffers and returns C.
private func product(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], b: [Float],
                     beta: Float, c: [Float], backend: GEMMBackend) -> [Float] {
    var out = c
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { pc in
                rowMajorSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!,
                              b: pb.baseAddress!, beta: beta, c: pc.baseAddress!, backend: backend)
            }
        }
    }
    return out
}

@Suite("GEMM backends (oneDNN and OpenBLAS)")
struct GEMMTests {
    @Test("both backends match the Double triple loop in every transpose combination, with alpha and beta")
    func backendsMatchTripleLoop() {
        // Odd sizes so no kernel's register blocking divides them; k on both sides of the
        // oneDNN threshold.
        for (m, n, k) in [(19, 23, 37), (7, 5, 3), (33, 17, 16), (1, 40, 20)] {
            let a = uniform(m * k, seed: 1), b = uniform(k * n, seed: 2), c = uniform(m * n, seed: 3)
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.75, 1), (-1.5, 0.5)] {
                        let expected = referenceProduct(transA: transA, transB: transB, m: m, n: n, k: k,
                                                        alpha: Double(alpha), a: a, b: b, beta: Double(beta), c: c)
                        for backend in [GEMMBackend.oneDNN, .openBLAS] {
                            let got = product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                              a: a, b: b, beta: beta, c: c, backend: backend)
                            let worst = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? 0
                            // |terms| ≤ 1.5 and k ≤ 37: Float rounding stays far below 1e-4.
                            #expect(worst < 1e-4,
                                    "\(backend) m \(m) n \(n) k \(k) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta): \(worst)")
                        }
                    }
                }
            }
        }
    }

    @Test("an empty inner dimension scales C by beta on both backends")
    func emptyInnerDimension() {
        let c: [Float] = [1, -2, 3, 4]
        for backend in [GEMMBackend.oneDNN, .openBLAS] {
            #expect(product(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: [0], b: [0], beta: 0, c: c,
                            backend: backend) == [0, 0, 0, 0])
            #expect(product(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: [0], b: [0], beta: 0.5, c: c,
                            backend: backend) == [0.5, -1, 1.5, 2])
        }
    }

    @Test("products with k of 16 or more go to oneDNN, shorter ones to OpenBLAS")
    func backendChoice() {
        #expect(GEMMBackend.choose(m: 1024, n: 1024, k: 1024) == .oneDNN)
        #expect(GEMMBackend.choose(m: 128, n: 10, k: 16) == .oneDNN)
        #expect(GEMMBackend.choose(m: 128, n: 8192, k: 15) == .openBLAS)
        #expect(GEMMBackend.choose(m: 4, n: 4, k: 1) == .openBLAS)
    }

    @Test("the oneDNN GEMM gives the same bytes on every call at the configured thread count")
    func oneDNNIsDeterministic() {
        // Large enough for oneDNN to split the work (and the k-reduction) across threads.
        let (m, n, k) = (96, 80, 3000)
        let a = uniform(m * k, seed: 7), b = uniform(k * n, seed: 8), c = [Float](repeating: 0, count: m * n)
        let first = product(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: c,
                            backend: .oneDNN)
        for _ in 0..<5 {
            #expect(product(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: c,
                            backend: .oneDNN) == first)
        }
    }

    @Test("the public sgemm overwrites or accumulates into C")
    func publicEntryPoint() {
        let (m, n, k) = (5, 6, 20)
        let a = uniform(m * k, seed: 11), b = uniform(k * n, seed: 12), start = uniform(m * n, seed: 13)
        var c = start
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!, accumulate: true)
                }
            }
        }
        let expected = referenceProduct(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, b: b,
                                        beta: 1, c: start)
        #expect((zip(c, expected).map { abs(Double($0) - $1) }.max() ?? 1) < 1e-4)
    }

    @Test("matmul and linear gradients match finite differences when every product goes through oneDNN")
    func gradientsThroughOneDNN() {
        // Forward k = 18, input gradient k = 16, weight gradient k = 17: all at or above the threshold.
        var rng = PhiloxGenerator(seed: 21)
        let x = Tensor.uniform([17, 18], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let w = Tensor.uniform([16, 18], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let bias = Tensor.uniform([16], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let linearCheck = gradientCheck([x, w, bias]) { linear($0[0], weight: $0[1], bias: $0[2]) }
        #expect(linearCheck.maxError < 2e-3, "linear: \(linearCheck)")
        let b = Tensor.uniform([18, 16], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let matmulCheck = gradientCheck([x, b]) { matmul($0[0], $0[1]) }
        #expect(matmulCheck.maxError < 2e-3, "matmul: \(matmulCheck)")
    }
}
