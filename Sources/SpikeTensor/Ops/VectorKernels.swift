// Eight-lane building blocks shared by the element-wise, broadcasting and reduction kernels.
//
// Kernels are small value types conforming to `UnaryKernel` / `BinaryKernel`; the generic
// drivers below are specialised per kernel by the optimiser, so each op compiles to one tight
// SIMD loop. Tails shorter than eight lanes go through a zero-padded vector, so a kernel needs
// only its vector form.

/// Eight floats, the vector width every kernel here works in.
typealias Lanes = SIMD8<Float>

@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// Loads `n < 8` floats into the low lanes; the rest are `fill`.
@inline(__always)
func loadPartialLanes(_ p: UnsafePointer<Float>, _ n: Int, fill: Float = 0) -> Lanes {
    var v = Lanes(repeating: fill)
    for i in 0..<n { v[i] = p[i] }
    return v
}

@inline(__always)
func storePartialLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { p[i] = v[i] }
}

/// A function of one float, evaluated eight lanes at a time.
protocol UnaryKernel {
    func callAsFunction(_ x: Lanes) -> Lanes
}

/// A function of two floats, evaluated eight lanes at a time.
protocol BinaryKernel {
    func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes
}

/// Minimum elements per parallel chunk for cheap element-wise loops.
let elementwiseMinChunk = 1 << 15

// MARK: - Contiguous loops

/// `out[i] = k(x[i])` for `i < n`.
@inline(__always)
func mapLoop<K: UnaryKernel>(_ k: K, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        storeLanes(k(loadLanes(x + i)), out + i)
        i += 8
    }
    if i < n { storePartialLanes(k(loadPartialLanes(x + i, n - i)), out + i, n - i) }
}

/// `out[i] = k(a[i], b[i])`.
@inline(__always)
func zipLoop<K: BinaryKernel>(_ k: K, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        storeLanes(k(loadLanes(a + i), loadLanes(b + i)), out + i)
        i += 8
    }
    if i < n {
        // Pad with ones so a divide in the unused lanes stays finite (the lanes are discarded).
        let r = n - i
        storePartialLanes(k(loadPartialLanes(a + i, r, fill: 1), loadPartialLanes(b + i, r, fill: 1)), out + i, r)
    }
}

/// `out[i] = k(a[i], s)`.
@inline(__always)
func zipLoop<K: BinaryKernel>(_ k: K, _ a: UnsafePointer<Float>, scalar s: Float,
                              _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let sv = Lanes(repeating: s)
    var i = 0
    while i + 8 <= n {
        storeLanes(k(loadLanes(a + i), sv), out + i)
        i += 8
    }
    if i < n { storePartialLanes(k(loadPartialLanes(a + i, n - i, fill: 1), sv), out + i, n - i) }
}

/// `out[i] = k(s, b[i])`.
@inline(__always)
func zipLoop<K: BinaryKernel>(_ k: K, scalar s: Float, _ b: UnsafePointer<Float>,
                              _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let sv = Lanes(repeating: s)
    var i = 0
    while i + 8 <= n {
        storeLanes(k(sv, loadLanes(b + i)), out + i)
        i += 8
    }
    if i < n { storePartialLanes(k(sv, loadPartialLanes(b + i, n - i, fill: 1)), out + i, n - i) }
}

// MARK: - Whole-tensor drivers (parallel)

/// A new float tensor `k(x)` of `x`'s shape.
func mapElements<K: UnaryKernel>(_ x: Tensor, _ k: K) -> Tensor {
    let out = Tensor(shape: x.shape, uninitialized: true)
    let src = UnsafePointer(x.floats.baseAddress!), dst = out.floats.baseAddress!
    parallelChunks(x.count, minChunk: elementwiseMinChunk) { r in
        mapLoop(k, src + r.lowerBound, dst + r.lowerBound, r.count)
    }
    return out
}

/// A new float tensor `k(a, b)` for two tensors with the same element count; shaped `shape`.
func zipElements<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _ k: K, shape: [Int]? = nil) -> Tensor {
    precondition(a.count == b.count, "element-wise operands have \(a.count) and \(b.count) elements")
    let out = Tensor(shape: shape ?? a.shape, uninitialized: true)
    let pa = UnsafePointer(a.floats.baseAddress!), pb = UnsafePointer(b.floats.baseAddress!)
    let dst = out.floats.baseAddress!
    parallelChunks(a.count, minChunk: elementwiseMinChunk) { r in
        zipLoop(k, pa + r.lowerBound, pb + r.lowerBound, dst + r.lowerBound, r.count)
    }
    return out
}

/// A new float tensor `k(a, s)`.
func zipElements<K: BinaryKernel>(_ a: Tensor, scalar s: Float, _ k: K, shape: [Int]? = nil) -> Tensor {
    let out = Tensor(shape: shape ?? a.shape, uninitialized: true)
    let pa = UnsafePointer(a.floats.baseAddress!), dst = out.floats.baseAddress!
    parallelChunks(a.count, minChunk: elementwiseMinChunk) { r in
        zipLoop(k, pa + r.lowerBound, scalar: s, dst + r.lowerBound, r.count)
    }
    return out
}

/// A new float tensor `k(s, b)`.
func zipElements<K: BinaryKernel>(scalar s: Float, _ b: Tensor, _ k: K, shape: [Int]? = nil) -> Tensor {
    let out = Tensor(shape: shape ?? b.shape, uninitialized: true)
    let pb = UnsafePointer(b.floats.baseAddress!), dst = out.floats.baseAddress!
    parallelChunks(b.count, minChunk: elementwiseMinChunk) { r in
        zipLoop(k, scalar: s, pb + r.lowerBound, dst + r.lowerBound, r.count)
    }
    return out
}

// MARK: - Common kernels

struct AddKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a + b }
}

struct SubtractKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a - b }
}

struct MultiplyKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a * b }
}

struct DivideKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a / b }
}

/// The larger of the two; ties and NaN in `b` keep `a` (NaN in `a` propagates).
struct MaximumKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a.replacing(with: b, where: b .> a) }
}

/// The smaller of the two; ties and NaN in `b` keep `a` (NaN in `a` propagates).
struct MinimumKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes { a.replacing(with: b, where: b .< a) }
}

/// `a * s` for a fixed `s`.
struct ScaleKernel: UnaryKernel {
    let s: Lanes
    init(_ s: Float) { self.s = Lanes(repeating: s) }
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { x * s }
}
