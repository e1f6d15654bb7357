/// Which value of a layer's activations a converted threshold covers.
public enum ActivationStatistic: Sendable, Equatable {
    /// The p-th percentile (0 < p ≤ 100) of the positive activations, NumPy's default
    /// ("linear") definition: rank p/100·(n−1) in ascending order, interpolated.
    case percentile(Double)
    /// The largest activation.
    case max
}

/// The statistic of `values` (reordered in place). Linear time: two selections, no full sort.
/// An empty array gives nil.
public func activationStatistic(_ values: inout [Float], _ statistic: ActivationStatistic) -> Float? {
    guard !values.isEmpty else { return nil }
    switch statistic {
    case .max:
        return values.max()
    case .percentile(let p):
        precondition(p > 0 && p <= 100, "activationStatistic: percentile must be in (0, 100], got \(p)")
        let rank = p / 100 * Double(values.count - 1)
        let lower = Int(rank.rounded(.down)), fraction = rank - Double(lower)
        let below = selectOrderStatistic(&values, lower)
        guard fraction > 0, lower + 1 < values.count else { return below }
        // After the selection every value right of `lower` is ≥ it: the next order statistic
        // is the smallest of them.
        var above = Float.infinity
        for i in (lower + 1)..<values.count where values[i] < above { above = values[i] }
        return Float(Double(below) + fraction * (Double(above) - Double(below)))
    }
}

/// Moves the k-th smallest element (0-based) to index k, smaller-or-equal ones before it and
/// larger-or-equal ones after it (Hoare's quickselect with median-of-three pivots), and returns it.
func selectOrderStatistic(_ values: inout [Float], _ k: Int) -> Float {
    precondition(k >= 0 && k < values.count, "selectOrderStatistic: k \(k) outside 0..<\(values.count)")
    var low = 0, high = values.count - 1
    values.withUnsafeMutableBufferPointer { v in
        while low < high {
            let mid = low + (high - low) / 2
            // Median of three as the pivot keeps sorted or constant runs from going quadratic.
            if v[mid] < v[low] { v.swapAt(mid, low) }
            if v[high] < v[low] { v.swapAt(high, low) }
            if v[high] < v[mid] { v.swapAt(high, mid) }
            let pivot = v[mid]
            var i = low, j = high
            while i <= j {
                while v[i] < pivot { i += 1 }
                while v[j] > pivot { j -= 1 }
                if i <= j {
                    v.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { break }
        }
    }
    return values[k]
}
