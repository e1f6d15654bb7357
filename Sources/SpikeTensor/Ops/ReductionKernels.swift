// Sum and extremum kernels over a tensor viewed as [outer, reduced, inner].
//
// Determinism and accuracy: sums are computed in fixed blocks along the reduced axis — runs of
// 4096 contiguous elements (inner = 1) or 128 rows (inner > 1) — each accumulated in Float
// (eight SIMD lanes, so each lane adds at most a few hundred terms), and the block partials are
// combined in block order in Double. Block boundaries depend only on the shape, never on the
// thread count, so results are bit-identical for any `Threads.count`.

enum ReductionKernels {
    /// Contiguous elements per block when reducing the innermost axis.
    static let runBlock = 4096
    /// Rows per block when reducing an axis with inner extent > 1.
    static let rowBlock = 128
    /// Columns per work item when the inner extent is large.
    static let columnChunk = 1024

    // MARK: Sums

    /// Sum of `n` contiguous floats: four 8-lane accumulators, combined in a fixed tree.
    @inline(__always)
    static func contiguousSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
        var i = 0
        while i + 32 <= n {
            a0 += loadLanes(p + i)
            a1 += loadLanes(p + i + 8)
            a2 += loadLanes(p + i + 16)
            a3 += loadLanes(p + i + 24)
            i += 32
        }
        while i + 8 <= n {
            a0 += loadLanes(p + i)
            i += 8
        }
        var acc = (a0 + a1) + (a2 + a3)
        if i < n { acc += loadPartialLanes(p + i, n - i) }
        let four = acc.lowHalf + acc.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// `acc[j] += row[j]` for `j < n`.
    @inline(__always)
    static func addRow(_ acc: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, _ n: Int) {
        var j = 0
        while j + 8 <= n {
            storeLanes(loadLanes(acc + j) + loadLanes(row + j), acc + j)
            j += 8
        }
        while j < n {
            acc[j] += row[j]
            j += 1
        }
    }

    /// `dst[o, i] = Σ_r src[o, r, i]` for src viewed as [outer, reduced, inner].
    static func sum(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                    outer: Int, reduced: Int, inner: Int) {
        if outer * inner == 0 { return }
        if reduced == 0 {
            dst.update(repeating: 0, count: outer * inner)
        } else if inner == 1 {
            sumRuns(src, into: dst, rows: outer, length: reduced)
        } else {
            sumColumns(src, into: dst, outer: outer, reduced: reduced, inner: inner)
        }
    }

    /// Row sums of `rows` contiguous runs of `length` elements.
    private static func sumRuns(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                                rows: Int, length: Int) {
        let blocks = (length + runBlock - 1) / runBlock
        if blocks == 1 {
            parallelChunks(rows, minChunk: Swift.max(1, elementwiseMinChunk / length)) { range in
                for r in range { dst[r] = contiguousSum(src + r * length, length) }
            }
            return
        }
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: rows * blocks)
        defer { partial.deallocate() }
        parallelChunks(rows * blocks, minChunk: Swift.max(1, elementwiseMinChunk / runBlock)) { range in
            for item in range {
                let r = item / blocks, start = (item % blocks) * runBlock
                partial[item] = contiguousSum(src + r * length + start, Swift.min(runBlock, length - start))
            }
        }
        parallelChunks(rows, minChunk: Swift.max(1, 4096 / blocks)) { range in
            for r in range {
                var s = 0.0
                for b in 0..<blocks { s += Double(partial[r * blocks + b]) }
                dst[r] = Float(s)
            }
        }
    }

    /// Column sums: `dst[o, :] = Σ_r src[o, r, :]`, vectorised along the inner axis.
    private static func sumColumns(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                                   outer: Int, reduced: Int, inner: Int) {
        let blocks = (reduced + rowBlock - 1) / rowBlock
        let chunks = (inner + columnChunk - 1) / columnChunk
        // With one block the block sums are the result; otherwise they go to [outer, blocks, inner].
        let partial = blocks == 1 ? dst : UnsafeMutablePointer<Float>.allocate(capacity: outer * blocks * inner)
        defer { if blocks > 1 { partial.deallocate() } }
        let itemSize = Swift.min(reduced, rowBlock) * Swift.min(inner, columnChunk)
        parallelChunks(outer * blocks * chunks, minChunk: Swift.max(1, elementwiseMinChunk / itemSize)) { range in
            for item in range {
                let c = item % chunks, b = (item / chunks) % blocks, o = item / (chunks * blocks)
                let c0 = c * columnChunk, width = Swift.min(columnChunk, inner - c0)
                let r0 = b * rowBlock, height = Swift.min(rowBlock, reduced - r0)
                let acc = partial + (o * blocks + b) * inner + c0
                let rows = src + (o * reduced + r0) * inner + c0
                acc.update(from: rows, count: width)
                for r in 1..<height { addRow(acc, rows + r * inner, width) }
            }
        }
        guard blocks > 1 else { return }
        // Combine block partials in block order, in Double, one column chunk per work item.
        parallelChunks(outer * chunks, minChunk: Swift.max(1, elementwiseMinChunk / (blocks * Swift.min(inner, columnChunk)))) { range in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: columnChunk) { buffer in
                let acc = buffer.baseAddress!
                for item in range {
                    let o = item / chunks, c0 = (item % chunks) * columnChunk
                    let width = Swift.min(columnChunk, inner - c0)
                    acc.update(repeating: 0, count: width)
                    for b in 0..<blocks {
                        let row = partial + (o * blocks + b) * inner + c0
                        for j in 0..<width { acc[j] += Double(row[j]) }
                    }
                    let out = dst + o * inner + c0
                    for j in 0..<width { out[j] = Float(acc[j]) }
                }
            }
        }
    }

    /// Sums `x` over the axes marked in `reduced`, into a new tensor of `shape`.
    ///
    /// Axes of extent 1 are ignored and neighbouring axes of the same kind merged; each maximal
    /// group of reduced axes is one [outer, reduced, inner] pass, innermost group first (it
    /// shrinks the data most for the usual layouts, e.g. [N,C,H,W] → [N,C] → [C]).
    static func sum(_ x: Tensor, reduced: [Bool], shape: [Int]) -> Tensor {
        let out = Tensor(shape: shape, uninitialized: true)
        if x.count == 0 {
            out.floats.update(repeating: 0)
            return out
        }
        var groups: [(extent: Int, reduced: Bool)] = []
        for (extent, r) in zip(x.shape, reduced) where extent != 1 {
            if let last = groups.last, last.reduced == r {
                groups[groups.count - 1].extent *= extent
            } else {
                groups.append((extent, r))
            }
        }
        var current = x  // keeps the intermediate alive while the next pass reads it
        var passed = false
        while let j = groups.lastIndex(where: { $0.reduced }) {
            let outerExtent = groups[..<j].reduce(1) { $0 * $1.extent }
            let innerExtent = groups[(j + 1)...].reduce(1) { $0 * $1.extent }
            let reducedExtent = groups[j].extent
            groups.remove(at: j)
            if j > 0, j < groups.count {  // the kept neighbours are now adjacent
                groups[j - 1].extent *= groups[j].extent
                groups.remove(at: j)
            }
            let isLast = !groups.contains { $0.reduced }
            let next = isLast ? out : Tensor(shape: [outerExtent * innerExtent], uninitialized: true)
            sum(UnsafePointer(current.floats.baseAddress!), into: next.floats.baseAddress!,
                outer: outerExtent, reduced: reducedExtent, inner: innerExtent)
            current = next
            passed = true
        }
        if !passed { out.floats.baseAddress!.update(from: x.floats.baseAddress!, count: x.count) }
        return out
    }

    // MARK: Extrema

    /// Values and first indices of the extremum along the middle axis of [outer, reduced, inner].
    static func extremum<O: ExtremumOrder>(_ src: UnsafePointer<Float>, outer: Int, reduced: Int, inner: Int,
                                           values: UnsafeMutablePointer<Float>,
                                           indices: UnsafeMutablePointer<Int32>, _ order: O.Type) {
        if inner == 1 {
            parallelChunks(outer, minChunk: Swift.max(1, elementwiseMinChunk / reduced)) { range in
                for r in range {
                    let (v, i) = rowExtremum(src + r * reduced, reduced, order)
                    values[r] = v
                    indices[r] = i
                }
            }
            return
        }
        let chunks = (inner + columnChunk - 1) / columnChunk
        let itemSize = reduced * Swift.min(inner, columnChunk)
        parallelChunks(outer * chunks, minChunk: Swift.max(1, elementwiseMinChunk / itemSize)) { range in
            for item in range {
                let o = item / chunks, c0 = (item % chunks) * columnChunk
                let width = Swift.min(columnChunk, inner - c0)
                let best = values + o * inner + c0, at = indices + o * inner + c0
                let rows = src + o * reduced * inner + c0
                best.update(from: rows, count: width)
                at.update(repeating: 0, count: width)
                for r in 1..<reduced {
                    let row = rows + r * inner
                    let rv = SIMD8<Int32>(repeating: Int32(r))
                    var j = 0
                    while j + 8 <= width {
                        let v = loadLanes(row + j), b = loadLanes(best + j)
                        let m = O.better(v, than: b)
                        storeLanes(b.replacing(with: v, where: m), best + j)
                        let ij = UnsafeMutableRawPointer(at + j)
                        ij.storeBytes(of: ij.loadUnaligned(as: SIMD8<Int32>.self).replacing(with: rv, where: m),
                                      as: SIMD8<Int32>.self)
                        j += 8
                    }
                    while j < width {
                        if O.better(row[j], than: best[j]) { best[j] = row[j]; at[j] = Int32(r) }
                        j += 1
                    }
                }
            }
        }
    }

    /// Extremum of `n ≥ 1` contiguous floats and the first index where it occurs.
    @inline(__always)
    static func rowExtremum<O: ExtremumOrder>(_ p: UnsafePointer<Float>, _ n: Int, _ order: O.Type) -> (Float, Int32) {
        var bestValue = p[0], bestIndex = 0
        var i = 1
        if n >= 16 {
            // Eight lanes each track their own first extremum; ties across lanes go to the lower index.
            var best = loadLanes(p)
            var at = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
            var index = at
            let step = SIMD8<Int32>(repeating: 8)
            i = 8
            while i + 8 <= n {
                index &+= step
                let v = loadLanes(p + i)
                let m = O.better(v, than: best)
                best.replace(with: v, where: m)
                at.replace(with: index, where: m)
                i += 8
            }
            bestValue = best[0]
            bestIndex = Int(at[0])
            for l in 1..<8 {
                let v = best[l], k = Int(at[l])
                let same = v == bestValue || (v.isNaN && bestValue.isNaN)
                if O.better(v, than: bestValue) || (same && k < bestIndex) {
                    bestValue = v
                    bestIndex = k
                }
            }
        }
        while i < n {
            if O.better(p[i], than: bestValue) { bestValue = p[i]; bestIndex = i }
            i += 1
        }
        return (bestValue, Int32(bestIndex))
    }
}

/// Which of two values an extremum keeps: strictly better wins, so the first extremum is kept;
/// NaN beats any number (it propagates, as in PyTorch).
protocol ExtremumOrder {
    static func better(_ a: Float, than b: Float) -> Bool
    static func better(_ a: Lanes, than b: Lanes) -> SIMDMask<SIMD8<Int32>>
}

enum LargestFirst: ExtremumOrder {
    @inline(__always) static func better(_ a: Float, than b: Float) -> Bool { a > b || (a.isNaN && !b.isNaN) }
    @inline(__always) static func better(_ a: Lanes, than b: Lanes) -> SIMDMask<SIMD8<Int32>> {
        (a .> b) .| ((a .!= a) .& (b .== b))
    }
}

enum SmallestFirst: ExtremumOrder {
    @inline(__always) static func better(_ a: Float, than b: Float) -> Bool { a < b || (a.isNaN && !b.isNaN) }
    @inline(__always) static func better(_ a: Lanes, than b: Lanes) -> SIMDMask<SIMD8<Int32>> {
        (a .< b) .| ((a .!= a) .& (b .== b))
    }
}
