import SpikeTensor

extension PhiloxGenerator {
    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject on 32-bit draws).
    ///
    /// Defined here rather than using `Int.random(in:using:)` so the sequence is fixed by
    /// SpikeLab, not by the standard library's version.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0 && bound <= Int(UInt32.max), "nextIndex bound must be in 1...2^32-1, got \(bound)")
        let n = UInt64(bound), b = UInt32(bound)
        var product = UInt64(next32()) * n
        if UInt32(truncatingIfNeeded: product) < b {
            // Reject the few low values that would make some results more likely:
            // threshold = 2^32 mod bound.
            let threshold = (0 &- b) % b
            while UInt32(truncatingIfNeeded: product) < threshold {
                product = UInt64(next32()) * n
            }
        }
        return Int(product >> 32)
    }
}

/// The first `prefix` entries of a uniform random permutation of `0..<count` (forward
/// Fisher–Yates, so a prefix equals the start of the full permutation of the same generator).
func randomPermutation(count: Int, prefix: Int? = nil, using generator: inout PhiloxGenerator) -> [Int32] {
    precondition(count <= Int(Int32.max), "dataset of \(count) samples is too large to index with Int32")
    let take = min(prefix ?? count, count)
    var values = (0..<Int32(count)).map { $0 }
    values.withUnsafeMutableBufferPointer { v in
        for i in 0..<take where count - i > 1 {
            let j = i + generator.nextIndex(below: count - i)
            v.swapAt(i, j)
        }
    }
    return Array(values.prefix(take))
}
