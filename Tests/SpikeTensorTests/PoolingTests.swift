import Foundation
import Testing
@testable import SpikeTensor

/// One pooling configuration and the obvious loops that define it.
struct PoolCase: CustomStringConvertible {
    var shape: [Int]
    var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int) = (0, 0)

    var n: Int { shape[0] }
    var c: Int { shape[1] }
    var h: Int { shape[2] }
    var w: Int { shape[3] }
    var oh: Int { (h + 2 * padding.0 - kernel.0) / stride.0 + 1 }
    var ow: Int { (w + 2 * padding.1 - kernel.1) / stride.1 + 1 }
    var outShape: [Int] { [n, c, oh, ow] }
    var description: String { "x \(shape) kernel \(kernel) stride \(stride) padding \(padding)" }

    /// Calls `body(plane, outputIndex, inputIndices, windowSizeWithPadding)` per output.
    func forEachWindow(_ body: (Int, Int, [Int], Int) -> Void) {
        for plane in 0..<(n * c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    var inside: [Int] = []
                    // PyTorch's divisor with padding: the window clipped to the padded image.
                    let r0 = i * stride.0 - padding.0, c0 = j * stride.1 - padding.1
                    let paddedRows = min(r0 + kernel.0, h + padding.0) - r0
                    let paddedCols = min(c0 + kernel.1, w + padding.1) - c0
                    for r in r0..<(r0 + kernel.0) where r >= 0 && r < h {
                        for col in c0..<(c0 + kernel.1) where col >= 0 && col < w {
                            inside.append(plane * h * w + r * w + col)
                        }
                    }
                    body(plane, plane * oh * ow + i * ow + j, inside, paddedRows * paddedCols)
                }
            }
        }
    }

    func naiveMax(_ x: [Float], gradOutput: [Float]) -> (y: [Float], gradX: [Float]) {
        var y = [Float](repeating: 0, count: n * c * oh * ow), gx = [Float](repeating: 0, count: x.count)
        forEachWindow { _, out, inside, _ in
            let best = inside.max { x[$0] < x[$1] }!
            y[out] = x[best]
            gx[best] += gradOutput[out]
        }
        return (y, gx)
    }

    func naiveAverage(_ x: [Float], gradOutput: [Float], includePad: Bool) -> (y: [Float], gradX: [Float]) {
        var y = [Float](repeating: 0, count: n * c * oh * ow), gx = [Float](repeating: 0, count: x.count)
        forEachWindow { _, out, inside, padded in
            let divisor = Float(includePad ? padded : inside.count)
            y[out] = inside.reduce(0) { $0 + x[$1] } / divisor
            for i in inside { gx[i] += gradOutput[out] / divisor }
        }
        return (y, gx)
    }
}

@Suite("Pooling")
struct PoolingTests {
    static let cases: [PoolCase] = [
        PoolCase(shape: [2, 3, 8, 8], kernel: (2, 2), stride: (2, 2)),
        PoolCase(shape: [1, 4, 7, 9], kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        PoolCase(shape: [2, 2, 6, 5], kernel: (3, 2), stride: (1, 2), padding: (1, 0)),
        PoolCase(shape: [1, 5, 6, 7], kernel: (2, 3), stride: (2, 1), padding: (1, 1)),
        PoolCase(shape: [2, 32, 10, 11], kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        PoolCase(shape: [3, 1, 5, 5], kernel: (5, 5), stride: (1, 1)),
    ]

    /// Distinct values 0.05 apart in random order, so no window has a tie and a ±1e-2
    /// finite-difference step never changes which element is the maximum.
    static func tieFree(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        var order = Array(0..<count)
        var rng = PhiloxGenerator(seed: seed)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return Tensor(order.map { Float($0) * 0.05 - Float(count) * 0.025 }, shape: shape, requiresGrad: requiresGrad)
    }

    static func random(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor {
        var rng = PhiloxGenerator(seed: seed)
        return Tensor.uniform(shape, low: -1, high: 1, rng: &rng, requiresGrad: requiresGrad)
    }

    @Test("max pooling forward and backward match the direct loops")
    func maxMatchesNaive() {
        for (k, pc) in Self.cases.enumerated() {
            let x = Self.tieFree(pc.shape, seed: UInt64(k), requiresGrad: true)
            let gy = Self.random(pc.outShape, seed: UInt64(100 + k))
            let y = maxPool2d(x, kernel: pc.kernel, stride: pc.stride, padding: pc.padding)
            let (ey, egx) = pc.naiveMax(x.array, gradOutput: gy.array)
            #expect(y.shape == pc.outShape, "\(pc)")
            #expect(y.array == ey, "\(pc)")
            y.backward(gy)
            #expect(maxRelativeDifference(x.grad!.array, egx) < 1e-6, "\(pc)")
        }
    }

    @Test("average pooling matches the direct loops with and without counting padding")
    func averageMatchesNaive() {
        for (k, pc) in Self.cases.enumerated() {
            for includePad in [true, false] {
                let x = Self.random(pc.shape, seed: UInt64(k), requiresGrad: true)
                let gy = Self.random(pc.outShape, seed: UInt64(100 + k))
                let y = avgPool2d(x, kernel: pc.kernel, stride: pc.stride, padding: pc.padding,
                                  countIncludePad: includePad)
                let (ey, egx) = pc.naiveAverage(x.array, gradOutput: gy.array, includePad: includePad)
                #expect(maxRelativeDifference(y.array, ey) < 1e-5, "\(pc) includePad \(includePad)")
                y.backward(gy)
                #expect(maxRelativeDifference(x.grad!.array, egx) < 1e-5, "\(pc) includePad \(includePad)")
            }
        }
    }

    @Test("stride defaults to the kernel and inference records nothing")
    func defaultsAndInference() {
        let x = Self.tieFree([1, 2, 6, 6], seed: 3)
        let y = maxPool2d(x, kernel: (3, 3))
        #expect(y.shape == [1, 2, 2, 2] && y.gradFn == nil)
        #expect(y.array == PoolCase(shape: [1, 2, 6, 6], kernel: (3, 3), stride: (3, 3))
            .naiveMax(x.array, gradOutput: [Float](repeating: 0, count: 8)).y)
    }

    @Test("finite differences agree with the pooling gradients")
    func gradientChecks() {
        // Max pooling is piecewise linear; inputs 0.05 apart keep the ±1e-2 step away from
        // the kinks, so the check is exact up to rounding: tolerance 1e-3. Average pooling
        // is linear: same tolerance.
        let pc = PoolCase(shape: [2, 2, 5, 6], kernel: (3, 2), stride: (2, 1), padding: (1, 1))
        let x = Self.tieFree(pc.shape, seed: 9, requiresGrad: true)
        let maxCheck = gradientCheck([x], step: 1e-2) {
            maxPool2d($0[0], kernel: pc.kernel, stride: pc.stride, padding: pc.padding)
        }
        #expect(maxCheck.maxError < 1e-3, "\(maxCheck)")
        for includePad in [true, false] {
            let a = Self.random(pc.shape, seed: 10, requiresGrad: true)
            let check = gradientCheck([a], step: 1e-2) {
                avgPool2d($0[0], kernel: pc.kernel, stride: pc.stride, padding: pc.padding, countIncludePad: includePad)
            }
            #expect(check.maxError < 1e-3, "includePad \(includePad): \(check)")
        }
    }

    @Test("adaptive average pooling uses PyTorch's overlapping bins, forward and backward")
    func adaptiveMatchesNaive() {
        for (shape, out) in [([2, 3, 7, 9], (3, 4)), ([1, 2, 5, 5], (1, 1)), ([1, 1, 4, 6], (4, 6)),
                             ([2, 2, 5, 3], (7, 2))] {
            let x = Self.random(shape, seed: 7, requiresGrad: true)
            let y = adaptiveAvgPool2d(x, outputSize: out)
            #expect(y.shape == [shape[0], shape[1], out.0, out.1])
            let (h, w) = (shape[2], shape[3])
            var expected: [Float] = [], gx = [Float](repeating: 0, count: x.count)
            let gy = Self.random(y.shape, seed: 8)
            for plane in 0..<(shape[0] * shape[1]) {
                for i in 0..<out.0 {
                    let r0 = Int(floor(Double(i * h) / Double(out.0))), r1 = Int(ceil(Double((i + 1) * h) / Double(out.0)))
                    for j in 0..<out.1 {
                        let c0 = Int(floor(Double(j * w) / Double(out.1))), c1 = Int(ceil(Double((j + 1) * w) / Double(out.1)))
                        var total = 0.0
                        let area = Float((r1 - r0) * (c1 - c0))
                        let g = gy.floats[expected.count]
                        for r in r0..<r1 {
                            for c in c0..<c1 {
                                total += Double(x.floats[plane * h * w + r * w + c])
                                gx[plane * h * w + r * w + c] += g / area
                            }
                        }
                        expected.append(Float(total) / area)
                    }
                }
            }
            #expect(maxRelativeDifference(y.array, expected) < 1e-5, "\(shape) → \(out)")
            y.backward(gy)
            #expect(maxRelativeDifference(x.grad!.array, gx) < 1e-5, "\(shape) → \(out)")
            let check = gradientCheck([x], step: 1e-2) { adaptiveAvgPool2d($0[0], outputSize: out) }
            #expect(check.maxError < 1e-3, "\(check)")
        }
    }
}

/// Largest |a − b| / max(1, |b|).
fileprivate func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
    return worst
}
