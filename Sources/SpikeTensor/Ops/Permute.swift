// The copy behind `permuted`: axes of extent 1 are dropped and input axes that stay adjacent
// and in order are merged, which turns most real permutations into one of two kernels —
// copying contiguous runs (the innermost axis stays innermost, e.g. [T,N,C,H,W] → [N,T,C,H,W]
// is [T, N, C·H·W] → [N, T, C·H·W]) or batched 2-d transposes done in cache-sized tiles
// (e.g. [N,C,H·W] → [N,H·W,C]).

struct PermutePlan {
    /// Merged input extents.
    let extents: [Int]
    /// Output axis i reads merged input axis `permutation[i]`.
    let permutation: [Int]

    init(shape: [Int], permutation perm: [Int]) {
        // Keep axes of extent > 1, renumbered in input order.
        let keptInputAxes = shape.indices.filter { shape[$0] != 1 }
        var renumber = [Int](repeating: -1, count: shape.count)
        for (i, a) in keptInputAxes.enumerated() { renumber[a] = i }
        let order = perm.compactMap { renumber[$0] >= 0 ? renumber[$0] : nil }
        // Merge runs of consecutive input axes that appear consecutively in the output.
        var groups: [[Int]] = []
        for a in order {
            if let last = groups.last?.last, last + 1 == a { groups[groups.count - 1].append(a) } else { groups.append([a]) }
        }
        // Merged input axes in input order; the output order is the order of `groups`.
        let byInput = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
        var position = [Int](repeating: 0, count: groups.count)
        for (i, g) in byInput.enumerated() { position[g] = i }
        extents = byInput.map { groups[$0].reduce(1) { $0 * shape[keptInputAxes[$1]] } }
        permutation = groups.indices.map { position[$0] }
    }

    /// Copies `src` (input layout) into `dst` (output layout).
    func run<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
        let rank = extents.count
        let total = extents.reduce(1, *)
        if total == 0 { return }
        if rank <= 1 || permutation == Array(0..<rank) {
            dst.update(from: src, count: total)
            return
        }
        var inStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * extents[d + 1] }
        let outExtents = permutation.map { extents[$0] }
        let srcStrides = permutation.map { inStrides[$0] }  // input stride of each output axis
        var outStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { outStrides[d] = outStrides[d + 1] * outExtents[d + 1] }

        if permutation[rank - 1] == rank - 1 {
            copyRuns(src, dst, outExtents: outExtents, srcStrides: srcStrides)
        } else {
            transposeTiles(src, dst, outExtents: outExtents, srcStrides: srcStrides, outStrides: outStrides,
                           columnAxis: permutation.firstIndex(of: rank - 1)!)
        }
    }

    /// Output rows of the (shared) innermost axis are contiguous in both layouts: copy them whole.
    private func copyRuns<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>,
                             outExtents: [Int], srcStrides: [Int]) {
        let rank = outExtents.count, run = outExtents[rank - 1]
        let rows = outExtents.dropLast().reduce(1, *)
        parallelChunks(rows, minChunk: Swift.max(1, elementwiseMinChunk / run)) { range in
            var index = [Int](repeating: 0, count: rank - 1)
            var rest = range.lowerBound, offset = 0
            for d in stride(from: rank - 2, through: 0, by: -1) {
                index[d] = rest % outExtents[d]
                rest /= outExtents[d]
                offset += index[d] * srcStrides[d]
            }
            index.withUnsafeMutableBufferPointer { index in
                for row in range {
                    (dst + row * run).update(from: src + offset, count: run)
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        offset += srcStrides[d]
                        if index[d] < outExtents[d] { break }
                        offset -= srcStrides[d] * outExtents[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    /// The output's innermost axis is strided in the input: a batch of 2-d transposes between
    /// the output's innermost axis and `columnAxis` (the output axis holding the input's
    /// innermost axis), done in square tiles so both sides stay in cache.
    private func transposeTiles<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                   outExtents: [Int], srcStrides: [Int], outStrides: [Int], columnAxis: Int) {
        let tile = 32
        let rank = outExtents.count
        let width = outExtents[rank - 1], widthStride = srcStrides[rank - 1]   // dst stride 1
        let height = outExtents[columnAxis], heightStride = outStrides[columnAxis]  // src stride 1
        let batchAxes = (0..<(rank - 1)).filter { $0 != columnAxis }
        let batchExtents = batchAxes.map { outExtents[$0] }
        let batchSrc = batchAxes.map { srcStrides[$0] }, batchDst = batchAxes.map { outStrides[$0] }
        let batches = batchExtents.reduce(1, *)
        let strips = (height + tile - 1) / tile
        parallelChunks(batches * strips, minChunk: Swift.max(1, elementwiseMinChunk / (tile * width))) { range in
            for item in range {
                var rest = item / strips, s = 0, d = 0
                for k in stride(from: batchAxes.count - 1, through: 0, by: -1) {
                    let i = rest % batchExtents[k]
                    rest /= batchExtents[k]
                    s += i * batchSrc[k]
                    d += i * batchDst[k]
                }
                let h0 = (item % strips) * tile, h1 = Swift.min(height, h0 + tile)
                var w0 = 0
                while w0 < width {
                    let w1 = Swift.min(width, w0 + tile)
                    for h in h0..<h1 {
                        let from = src + s + h, to = dst + d + h * heightStride
                        for w in w0..<w1 { to[w] = from[w * widthStride] }
                    }
                    w0 = w1
                }
            }
        }
    }
}
