import CBLAS
import CDNNL

/// The library that multiplies a row-major product of given sizes.
enum GEMMBackend: Equatable {
    /// oneDNN's `dnnl_sgemm`: JIT kernels for the CPU's widest vectors (AVX-512 here).
    case oneDNN
    /// OpenBLAS's `cblas_sgemm`.
    case openBLAS

    /// oneDNN for every product except short inner dimensions.
    ///
    /// With OpenBLAS's core type pinned to Haswell (AVX2 kernels), `dnnl_sgemm` (AVX-512)
    /// took a median 0.51× the CPU time of `cblas_sgemm` on one thread of an AVX-512 machine
    /// for k ≥ 16 over transposes and outputs from 32×64 to 2048×2048 (worst 1.27×: a 32×64
    /// output with k = 512 and B transposed), but up to 2× more for k < 16 with outputs of a
    /// million elements, where the product is a memory-bound outer product. docs/engine.md
    /// has the measurement (`GEMMBackendBenchmark`). The choice depends only on the sizes,
    /// so the same call always takes the same path and gives the same bytes.
    static func choose(m: Int, n: Int, k: Int) -> GEMMBackend {
        k < oneDNNMinimumK ? .openBLAS : .oneDNN
    }

    /// Smallest inner dimension handed to oneDNN.
    static let oneDNNMinimumK = 16
}

/// `C = alpha·op(A)·op(B) + beta·C` on row-major float buffers, where `op(A)` is `[m, k]`
/// and `op(B)` is `[k, n]`; oneDNN or OpenBLAS as `GEMMBackend.choose` picks.
///
/// Transposes are passed to the library as flags so no transposed copy is ever made;
/// `lda`/`ldb` are the row lengths of A and B as stored (k or m for A, n or k for B).
@inline(__always)
func rowMajorSgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                   alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                   beta: Float = 0, c: UnsafeMutablePointer<Float>) {
    rowMajorSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c,
                  backend: GEMMBackend.choose(m: m, n: n, k: k))
}

/// The same product on a named backend (tests and benchmarks compare them).
func rowMajorSgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                   alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                   beta: Float = 0, c: UnsafeMutablePointer<Float>, backend: GEMMBackend) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // BLAS leaves C untouched for k == 0 only when beta == 1; make the empty sum explicit.
        if beta == 0 { c.update(repeating: 0, count: m * n) }
        else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
        return
    }
    let lda = transA ? m : k, ldb = transB ? k : n
    switch backend {
    case .oneDNN:
        // oneDNN's GEMM is row-major and runs on OpenMP, whose thread count is per calling thread.
        Threads.ensureApplied()
        let status = dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78,  // "T" / "N"
                                Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb),
                                beta, c, Int64(n))
        DNNL.check(status, "multiplying [\(m), \(k)]×[\(k), \(n)] (transA \(transA), transB \(transB))")
    case .openBLAS:
        _ = Threads.count  // first use applies the configured thread count to OpenBLAS
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(n))
    }
}

/// `C = op(A)·op(B)` (or `+= ` with `accumulate`) for row-major Float32 buffers, on the
/// engine's GEMM (the path `matmul`, `linear` and the LSTM take). `op(A)` is `[m, k]`,
/// `op(B)` is `[k, n]`, C is `[m, n]`.
public func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                  a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                  accumulate: Bool = false) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: sizes must not be negative, got m \(m), n \(n), k \(k)")
    rowMajorSgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, b: b, beta: accumulate ? 1 : 0, c: c)
}

/// `sums[j] += Σ_r rows[r·width + j]`: column sums of a `[rowCount, width]` buffer (bias gradients).
///
/// Rows are added in order into the output, so the result is deterministic; the inner
/// loop runs along a contiguous row and vectorises.
func addColumnSums(of rows: UnsafePointer<Float>, rowCount: Int, width: Int,
                   into sums: UnsafeMutablePointer<Float>) {
    for r in 0..<rowCount {
        let row = rows + r * width
        for j in 0..<width { sums[j] += row[j] }
    }
}
