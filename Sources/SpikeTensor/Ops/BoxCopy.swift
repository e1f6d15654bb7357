// Copying an axis-aligned box between two contiguous tensors: the single kernel behind
// slicing, padding, concatenation and their backwards.

/// Copies the box of `extent` starting at `srcOrigin` in `src` (shape `srcShape`) to the box
/// starting at `dstOrigin` in `dst` (shape `dstShape`).
///
/// Trailing axes the box covers fully in both tensors are merged into one contiguous run, so
/// e.g. a slice along axis 1 of [N, C, H, W] copies runs of (slice · H · W) elements.
func copyBox<T>(from src: UnsafePointer<T>, shape srcShape: [Int], origin srcOrigin: [Int],
                to dst: UnsafeMutablePointer<T>, shape dstShape: [Int], origin dstOrigin: [Int],
                extent: [Int]) {
    let rank = extent.count
    if extent.contains(0) { return }
    if rank == 0 {
        dst[0] = src[0]
        return
    }
    // Merge trailing axes covered fully by the box in both tensors.
    var k = rank - 1, run = extent[k]
    while k > 0 && extent[k] == srcShape[k] && extent[k] == dstShape[k] {
        k -= 1
        run *= extent[k]
    }
    let srcStrides = Tensor.contiguousStrides(srcShape), dstStrides = Tensor.contiguousStrides(dstShape)
    let srcBase = (0...k).reduce(0) { $0 + srcOrigin[$1] * srcStrides[$1] }
    let dstBase = (0...k).reduce(0) { $0 + dstOrigin[$1] * dstStrides[$1] }
    // Runs are indexed by the box's axes 0..<k.
    let runs = extent[..<k].reduce(1, *)
    parallelChunks(runs, minChunk: Swift.max(1, elementwiseMinChunk / run)) { range in
        for r in range {
            var rest = r, s = srcBase, d = dstBase
            for a in stride(from: k - 1, through: 0, by: -1) {
                let i = rest % extent[a]
                rest /= extent[a]
                s += i * srcStrides[a]
                d += i * dstStrides[a]
            }
            (dst + d).update(from: src + s, count: run)
        }
    }
}

extension Tensor {
    /// `copyBox` between two tensors of the same dtype, on their raw elements.
    static func copyBox(from src: Tensor, origin srcOrigin: [Int], to dst: Tensor, origin dstOrigin: [Int],
                        extent: [Int]) {
        precondition(src.dtype == dst.dtype, "copyBox: dtypes \(src.dtype) and \(dst.dtype) differ")
        switch src.dtype.byteSize {
        case 4:
            SpikeTensor.copyBox(from: UnsafePointer(src.rawPointer.assumingMemoryBound(to: UInt32.self)),
                                shape: src.shape, origin: srcOrigin,
                                to: dst.rawPointer.assumingMemoryBound(to: UInt32.self),
                                shape: dst.shape, origin: dstOrigin, extent: extent)
        default:
            SpikeTensor.copyBox(from: UnsafePointer(src.rawPointer.assumingMemoryBound(to: UInt8.self)),
                                shape: src.shape, origin: srcOrigin,
                                to: dst.rawPointer.assumingMemoryBound(to: UInt8.self),
                                shape: dst.shape, origin: dstOrigin, extent: extent)
        }
    }
}
