import SpikeTensor

// Element-wise update loops for optimizers and gradient clipping, eight floats at a time.
//
// The updates are element-wise, so each element's result is the same whichever chunk or lane
// computes it: results do not depend on the thread count.

/// Parameters with at least this many elements are updated by several threads.
let updateMinChunk = 1 << 15

/// Elements `i ..< i + lanes` of `p` (lanes ≤ 8), zero-padded to eight.
@inline(__always)
func loadLanes(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int) -> SIMD8<Float> {
    if lanes == 8 { return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>()
    for k in 0..<lanes { v[k] = p[i + k] }
    return v
}

/// Writes the first `lanes` elements of `v` to `p[i ..< i + lanes]`.
@inline(__always)
func storeLanes(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int) {
    if lanes == 8 {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
        return
    }
    for k in 0..<lanes { p[i + k] = v[k] }
}

/// Multiplies every element of `t` by `factor` in place.
func scaleInPlace(_ t: Tensor, by factor: Float) {
    let x = t.floats.baseAddress!
    parallelChunks(t.count, minChunk: updateMinChunk) { range in
        var i = range.lowerBound
        while i < range.upperBound {
            let lanes = min(8, range.upperBound - i)
            storeLanes(loadLanes(x, i, lanes) * factor, x, i, lanes)
            i += lanes
        }
    }
}
