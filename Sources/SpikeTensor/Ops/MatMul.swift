/// Matrix product: `[M, K]×[K, N]`, batched `[B…, M, K]×[B…, K, N]` (same batch dims), or
/// `[B…, M, K]×[K, N]` (one right matrix shared by every batch element).
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.dtype == .float32 && b.dtype == .float32,
                 "matmul needs float32 tensors, got \(a.dtype) and \(b.dtype)")
    precondition(a.rank >= 2 && b.rank >= 2,
                 "matmul needs tensors of rank 2 or more, got shapes \(a.shape) and \(b.shape)")
    let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
    let n = b.shape[b.rank - 1]
    precondition(b.shape[b.rank - 2] == k,
                 "matmul: inner dimensions differ, \(a.shape) × \(b.shape)")
    let batchDims = Array(a.shape.dropLast(2))
    let sharedRight = b.rank == 2
    if !sharedRight {
        precondition(Array(b.shape.dropLast(2)) == batchDims,
                     "matmul: batch dimensions differ, \(a.shape) × \(b.shape) (broadcasting only a rank-2 right matrix is supported)")
    }
    let batch = batchDims.reduce(1, *)
    let out = Tensor(shape: batchDims + [m, n], uninitialized: true)
    let pa = UnsafePointer(a.floats.baseAddress!), pb = UnsafePointer(b.floats.baseAddress!)
    let po = out.floats.baseAddress!

    if sharedRight {
        // Stacking the batch into the rows gives one large GEMM: [B·M, K]×[K, N].
        rowMajorSgemm(m: batch * m, n: n, k: k, a: pa, b: pb, c: po)
    } else {
        for i in 0..<batch {
            rowMajorSgemm(m: m, n: n, k: k, a: pa + i * m * k, b: pb + i * k * n, c: po + i * m * n)
        }
    }

    // Saved: nothing beyond the inputs themselves (A and B are both needed for the other's gradient).
    return Tensor.record("matmul", output: out, inputs: [a, b]) { g in
        let pg = UnsafePointer(g.floats.baseAddress!)
        var gradA: Tensor?, gradB: Tensor?
        if a.requiresGrad {
            // dA = G·Bᵀ
            let ga = Tensor(shape: a.shape, uninitialized: true)
            let pga = ga.floats.baseAddress!
            if sharedRight {
                rowMajorSgemm(transB: true, m: batch * m, n: k, k: n, a: pg, b: pb, c: pga)
            } else {
                for i in 0..<batch {
                    rowMajorSgemm(transB: true, m: m, n: k, k: n,
                                  a: pg + i * m * n, b: pb + i * k * n, c: pga + i * m * k)
                }
            }
            gradA = ga
        }
        if b.requiresGrad {
            // dB = Aᵀ·G; with a shared B the batch sum is the K = B·M contraction of one GEMM.
            let gb = Tensor(shape: b.shape, uninitialized: true)
            let pgb = gb.floats.baseAddress!
            if sharedRight {
                rowMajorSgemm(transA: true, m: k, n: n, k: batch * m, a: pa, b: pg, c: pgb)
            } else {
                for i in 0..<batch {
                    rowMajorSgemm(transA: true, m: k, n: n, k: m,
                                  a: pa + i * m * k, b: pg + i * m * n, c: pgb + i * k * n)
                }
            }
            gradB = gb
        }
        return [gradA, gradB]
    }
}

/// Affine map `x·Wᵀ + b` over the last axis: x `[..., in]`, weight `[out, in]` (PyTorch layout), bias `[out]`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(x.dtype == .float32 && weight.dtype == .float32,
                 "linear needs float32 tensors, got \(x.dtype) and \(weight.dtype)")
    precondition(x.rank >= 1, "linear needs an input of rank 1 or more, got a 0-d tensor")
    precondition(weight.rank == 2, "linear weight must be [out, in], got shape \(weight.shape)")
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape[x.rank - 1] == inFeatures,
                 "linear: input's last axis is \(x.shape[x.rank - 1]) but weight \(weight.shape) expects \(inFeatures)")
    if let bias {
        precondition(bias.dtype == .float32 && bias.shape == [outFeatures],
                     "linear bias must be float32 [\(outFeatures)], got \(bias.dtype) \(bias.shape)")
    }
    let rows = x.count / max(1, inFeatures)
    let out = Tensor(shape: Array(x.shape.dropLast()) + [outFeatures], uninitialized: true)
    let px = UnsafePointer(x.floats.baseAddress!), pw = UnsafePointer(weight.floats.baseAddress!)
    let po = out.floats.baseAddress!
    if let bias {
        // Every row starts as the bias and the GEMM accumulates into it (beta = 1).
        let pb = UnsafePointer(bias.floats.baseAddress!)
        for r in 0..<rows { (po + r * outFeatures).update(from: pb, count: outFeatures) }
    }
    rowMajorSgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                  a: px, b: pw, beta: bias == nil ? 0 : 1, c: po)

    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    // Saved: only the inputs (x for dW, W for dx); the bias gradient needs nothing.
    return Tensor.record("linear", output: out, inputs: inputs) { g in
        let pg = UnsafePointer(g.floats.baseAddress!)
        var grads: [Tensor?] = []
        if x.requiresGrad {
            // dx = G·W: [rows, out]×[out, in]
            let gx = Tensor(shape: x.shape, uninitialized: true)
            rowMajorSgemm(m: rows, n: inFeatures, k: outFeatures, a: pg, b: pw, c: gx.floats.baseAddress!)
            grads.append(gx)
        } else {
            grads.append(nil)
        }
        if weight.requiresGrad {
            // dW = Gᵀ·x: [out, rows]×[rows, in]
            let gw = Tensor(shape: weight.shape, uninitialized: true)
            rowMajorSgemm(transA: true, m: outFeatures, n: inFeatures, k: rows,
                          a: pg, b: px, c: gw.floats.baseAddress!)
            grads.append(gw)
        } else {
            grads.append(nil)
        }
        if let bias {
            if bias.requiresGrad {
                let gb = Tensor(shape: bias.shape)
                addColumnSums(of: pg, rowCount: rows, width: outFeatures, into: gb.floats.baseAddress!)
                grads.append(gb)
            } else {
                grads.append(nil)
            }
        }
        return grads
    }
}
