@testable import SpikeTensor

/// Fixtures and slow reference loops for the element-wise, reduction and shape op tests.
enum OpsFixtures {
    /// Uniform values in [low, high), seeded.
    static func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1,
                       requiresGrad: Bool = true) -> Tensor {
        var rng = PhiloxGenerator(seed: seed, stream: 17)
        return Tensor.uniform(shape, low: low, high: high, rng: &rng, requiresGrad: requiresGrad)
    }

    /// Uniform magnitudes in [margin, margin + 1) with random signs: no element near 0, so
    /// kinks at 0 (relu, abs) stay further than `margin` from every probe point.
    static func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
        let t = random(shape, seed: seed)
        for i in 0..<t.count { t.floats[i] = t.floats[i] < 0 ? t.floats[i] - margin : t.floats[i] + margin }
        return t
    }

    /// Distinct values spaced `gap` apart, in a scrambled order (for max/min gradient checks).
    static func distinct(_ shape: [Int], gap: Float = 0.05, requiresGrad: Bool = true) -> Tensor {
        let n = Tensor.elementCount(shape)
        // 7919 is prime, so i·7919 mod p is a permutation for any p not divisible by it.
        let p = n % 7919 == 0 ? n + 1 : n
        var values: [Float] = []
        var k = 0
        while values.count < n {
            let v = (k * 7919) % p
            if v < n { values.append(Float(v) * gap - Float(n) * gap / 2) }
            k += 1
        }
        return Tensor(values, shape: shape, requiresGrad: requiresGrad)
    }

    /// Row-major multi-index of a flat index.
    static func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// Flat index of a multi-index.
    static func flatIndex(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// The element of a tensor of `shape` that output position `index` (of a larger, broadcast
    /// shape) reads.
    static func broadcastSource(_ index: [Int], _ shape: [Int]) -> Int {
        let lead = index.count - shape.count
        return flatIndex(shape.indices.map { shape[$0] == 1 ? 0 : index[lead + $0] }, shape)
    }

    /// `f(a, b)` by broadcasting, element by element (shape computed independently).
    static func slowBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> (shape: [Int], values: [Float]) {
        let rank = max(a.rank, b.rank)
        let pa = [Int](repeating: 1, count: rank - a.rank) + a.shape
        let pb = [Int](repeating: 1, count: rank - b.rank) + b.shape
        let shape = (0..<rank).map { max(pa[$0], pb[$0]) }
        let n = shape.reduce(1, *)
        let av = a.array, bv = b.array
        let values = (0..<n).map { i -> Float in
            let index = multiIndex(i, shape)
            return f(av[broadcastSource(index, a.shape)], bv[broadcastSource(index, b.shape)])
        }
        return (shape, values)
    }

    /// How many positions differ (keeps failure messages short for big tensors).
    static func mismatches(_ x: [Float], _ y: [Float]) -> Int {
        x.count != y.count ? max(x.count, y.count) : zip(x, y).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
    }

    /// Largest |x − y| / max(1, |y|).
    static func maxRelativeError(_ x: [Float], _ y: [Float]) -> Float {
        precondition(x.count == y.count)
        return zip(x, y).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
    }
}
