// Argument checks shared by the shape, reduction and indexing ops: axes may be negative
// (counted from the end, as in PyTorch), and differentiable ops take float32 only.

extension Tensor {
    /// `axis` in `-rank..<rank` mapped to `0..<rank`.
    static func normalizedAxis(_ axis: Int, rank: Int, _ op: String) -> Int {
        precondition(axis >= -rank && axis < rank,
                     "\(op): axis \(axis) is out of range for a tensor of rank \(rank) (allowed \(-rank)..<\(rank))")
        return axis < 0 ? axis + rank : axis
    }

    /// Which axes `axes` selects (nil selects all); duplicates are an error.
    static func axisMask(_ axes: [Int]?, rank: Int, _ op: String) -> [Bool] {
        guard let axes else { return [Bool](repeating: true, count: rank) }
        var mask = [Bool](repeating: false, count: rank)
        for a in axes {
            let n = normalizedAxis(a, rank: rank, op)
            precondition(!mask[n], "\(op): axis \(a) is listed twice in \(axes)")
            mask[n] = true
        }
        return mask
    }

    /// Stops with a message naming `op` unless this tensor is float32.
    @inline(__always)
    func requireFloat(_ op: String) {
        precondition(dtype == .float32, "\(op) needs a float32 tensor, got \(dtype) with shape \(shape)")
    }
}
