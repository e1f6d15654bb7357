import CBLAS

/// `C = alpha·op(A)·op(B) + beta·C` on row-major float buffers through OpenBLAS, where
/// `op(A)` is `[m, k]` and `op(B)` is `[k, n]`.
///
/// Transposes are passed to BLAS as flags so no transposed copy is ever made; `lda`/`ldb`
/// are the row lengths of A and B as stored (k or m for A, n or k for B).
@inline(__always)
func rowMajorSgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                   alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                   beta: Float = 0, c: UnsafeMutablePointer<Float>) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // BLAS leaves C untouched for k == 0 only when beta == 1; make the empty sum explicit.
        if beta == 0 { c.update(repeating: 0, count: m * n) }
        else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(transA ? m : k), b, blasint(transB ? k : n),
                beta, c, blasint(n))
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
