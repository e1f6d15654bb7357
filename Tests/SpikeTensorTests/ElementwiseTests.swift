import Foundation
import Testing
@testable import SpikeTensor

// Gradient checks use central differences with step h = 1e-2 on a Float32 forward (so about
// 1e-3 relative error from truncation and rounding); smooth ops must agree within 5e-3, and
// probe points stay further than 2h from every kink (relu, abs, clamp, maximum/minimum).

@Suite("Broadcasting arithmetic")
struct BroadcastArithmeticTests {
    static var ops: [(String, (Tensor, Tensor) -> Tensor, (Float, Float) -> Float)] { [
        ("+", { $0 + $1 }, { $0 + $1 }), ("-", { $0 - $1 }, { $0 - $1 }),
        ("*", { $0 * $1 }, { $0 * $1 }), ("/", { $0 / $1 }, { $0 / $1 }),
        ("maximum", { maximum($0, $1) }, { max($0, $1) }), ("minimum", { minimum($0, $1) }, { min($0, $1) }),
    ] }

    static let shapePairs: [([Int], [Int])] = [
        ([2, 1, 3], [4, 1]),          // general: both sides broadcast → [2, 4, 3]
        ([4, 1], [2, 1, 3]),
        ([2, 3, 4, 5], [3, 1, 1]),    // per-channel [C,1,1]
        ([3, 1, 1], [2, 3, 4, 5]),
        ([5, 6], [6]),                // [N,C] + [C]
        ([5, 1], [5, 6]),             // column broadcast, inner stride 0 on the left
        ([2, 3], [2, 3]), ([2, 3], [1]), ([], [2, 3]), ([7], []),
        ([1, 3, 1, 2], [4, 1, 5, 1]),
    ]

    @Test("every operator matches an element-by-element loop on broadcast shapes")
    func forwardMatchesSlowLoop() {
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            let a = OpsFixtures.random(sa, seed: UInt64(k), requiresGrad: false)
            let b = OpsFixtures.random(sb, seed: UInt64(100 + k), low: 0.5, high: 2, requiresGrad: false)
            for (name, op, reference) in Self.ops {
                let out = op(a, b)
                let expected = OpsFixtures.slowBroadcast(a, b, reference)
                #expect(out.shape == expected.shape, "\(name) \(sa) \(sb)")
                #expect(out.array == expected.values, "\(name) \(sa) \(sb)")
            }
        }
        #expect((Tensor(shape: [2, 1, 3]) + Tensor(shape: [4, 1])).shape == [2, 4, 3])
    }

    @Test("large same-shape and broadcast operands use the parallel paths correctly")
    func largeOperands() {
        let a = OpsFixtures.random([3, 64, 33, 17], seed: 1, requiresGrad: false)
        let b = OpsFixtures.random([3, 64, 33, 17], seed: 2, requiresGrad: false)
        let bias = OpsFixtures.random([64, 1, 1], seed: 3, requiresGrad: false)
        let row = OpsFixtures.random([17], seed: 4, requiresGrad: false)
        #expect(OpsFixtures.mismatches((a * b).array, zip(a.array, b.array).map { $0 * $1 }) == 0)
        #expect(OpsFixtures.mismatches((a + bias).array, OpsFixtures.slowBroadcast(a, bias, +).values) == 0)
        #expect(OpsFixtures.mismatches((row - a).array, OpsFixtures.slowBroadcast(row, a, -).values) == 0)
        let wide = OpsFixtures.random([1, 40_000], seed: 5, requiresGrad: false)
        let tall = OpsFixtures.random([3, 1], seed: 6, requiresGrad: false)
        #expect(OpsFixtures.mismatches((wide * tall).array, OpsFixtures.slowBroadcast(wide, tall, *).values) == 0)
    }

    @Test("gradients of + − × ÷ reduce back to each operand's shape")
    func gradients() {
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            for (name, op, _) in Self.ops.prefix(4) {
                let a = OpsFixtures.random(sa, seed: UInt64(k))
                let b = OpsFixtures.random(sb, seed: UInt64(50 + k), low: 0.5, high: 2)
                let result = gradientCheck([a, b]) { op($0[0], $0[1]) }
                #expect(result.maxError < 5e-3, "\(name) \(sa) \(sb): \(result)")
                #expect(a.grad!.shape == sa && b.grad!.shape == sb)
            }
        }
    }

    @Test("scalar operands on either side compute and differentiate")
    func scalarOperands() {
        let x = Tensor([1, -2, 4], requiresGrad: true)
        #expect((x + 1).array == [2, -1, 5] && (1 + x).array == [2, -1, 5])
        #expect((x - 1).array == [0, -3, 3] && (1 - x).array == [0, 3, -3])
        #expect((x * 2).array == [2, -4, 8] && (2 * x).array == [2, -4, 8])
        #expect((x / 2).array == [0.5, -1, 2] && (2 / x).array == [2, -1, 0.5])
        #expect((-x).array == [-1, 2, -4])
        let fs: [(Tensor) -> Tensor] = [{ $0 + 3 }, { 3 + $0 }, { $0 - 3 }, { 3 - $0 }, { $0 * 3 }, { 3 * $0 },
                                        { $0 / 3 }, { 3 / $0 }, { -$0 }]
        for (i, f) in fs.enumerated() {
            let y = OpsFixtures.random([2, 3], seed: 9, low: 0.5, high: 2)
            let result = gradientCheck([y]) { f($0[0]) }
            #expect(result.maxError < 5e-3, "scalar op \(i): \(result)")
        }
        x.zeroGrad()
        (3 / x).backward(Tensor.ones([3]))
        #expect(x.grad!.array == [-3, -0.75, -0.1875])  // −3/x²
    }

    @Test("maximum and minimum send the gradient to the winner, to the first operand on ties")
    func extremaRouting() {
        let a = Tensor([1, 5, 3], requiresGrad: true), b = Tensor([2, 5, 1], requiresGrad: true)
        maximum(a, b).backward(Tensor([10, 20, 30]))
        #expect(a.grad!.array == [0, 20, 30] && b.grad!.array == [10, 0, 0])
        a.zeroGrad(); b.zeroGrad()
        minimum(a, b).backward(Tensor([10, 20, 30]))
        #expect(a.grad!.array == [10, 20, 0] && b.grad!.array == [0, 0, 30])
        // Broadcast: b is a row shared by every row of a; the values never come within 0.05.
        let x = OpsFixtures.distinct([4, 3], gap: 0.1)
        let row = Tensor([-0.33, 0.07, 0.27], shape: [3], requiresGrad: true)
        for f in [maximum, minimum] {
            let result = gradientCheck([x, row]) { f($0[0], $0[1]) }
            #expect(result.maxError < 5e-3, "\(result)")
        }
    }
}

@Suite("Unary math")
struct UnaryMathTests {
    static var ops: [(String, (Tensor) -> Tensor, (Double) -> Double)] { [
        ("exp", { $0.exp() }, { Foundation.exp($0) }),
        ("tanh", { $0.tanh() }, { Foundation.tanh($0) }),
        ("sigmoid", { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) }),
        ("relu", { $0.relu() }, { max($0, 0) }),
        ("gelu", { $0.gelu() }, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }),
        ("gelu_tanh", { $0.gelu(approximate: .tanh) },
         { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
        ("sin", { $0.sin() }, { Foundation.sin($0) }),
        ("cos", { $0.cos() }, { Foundation.cos($0) }),
        ("abs", { $0.abs() }, { Swift.abs($0) }),
        ("square", { $0.square() }, { $0 * $0 }),
        ("clamp", { $0.clamp(min: -0.5, max: 0.7) }, { min(max($0, -0.5), 0.7) }),
        ("clamp_min", { $0.clamp(min: 0.25) }, { max($0, 0.25) }),
        ("pow3", { $0.pow(3) }, { $0 * $0 * $0 }),
    ] }

    static var positiveOps: [(String, (Tensor) -> Tensor, (Double) -> Double)] { [
        ("log", { $0.log() }, { Foundation.log($0) }),
        ("sqrt", { $0.sqrt() }, { $0.squareRoot() }),
        ("pow_-1.5", { $0.pow(-1.5) }, { Foundation.pow($0, -1.5) }),
        ("pow_0.5", { $0.pow(0.5) }, { $0.squareRoot() }),
        ("pow_2", { $0.pow(2) }, { $0 * $0 }),
    ] }

    @Test("every function matches a Double reference")
    func forwardMatchesReference() {
        let x = OpsFixtures.random([1003], seed: 1, low: -6, high: 6, requiresGrad: false)
        let p = OpsFixtures.random([1003], seed: 2, low: 0.01, high: 9, requiresGrad: false)
        for (name, op, reference) in Self.ops {
            let err = OpsFixtures.maxRelativeError(op(x).array, x.array.map { Float(reference(Double($0))) })
            #expect(err < 1e-6, "\(name): \(err)")
        }
        for (name, op, reference) in Self.positiveOps {
            let err = OpsFixtures.maxRelativeError(op(p).array, p.array.map { Float(reference(Double($0))) })
            #expect(err < 1e-6, "\(name): \(err)")
        }
    }

    @Test("vectorised exp, tanh and sigmoid stay within a few ulp everywhere, with IEEE edge cases")
    func vectorMathAccuracy() {
        var xs: [Float] = []
        var v: Float = -110
        while v < 95 { xs.append(v); v += 0.0137 }
        for e in -30...0 { xs.append(Float(Foundation.pow(2.0, Double(e)))); xs.append(-Float(Foundation.pow(2.0, Double(e)))) }
        xs += [0, -0, 88.7, 88.72, 88.73, -87.3, -103, .infinity, -.infinity]
        let x = Tensor(xs)
        let checks: [(String, Tensor, (Double) -> Double)] = [
            ("exp", x.exp(), { Foundation.exp($0) }), ("tanh", x.tanh(), { Foundation.tanh($0) }),
            ("sigmoid", x.sigmoid(), { 1 / (1 + Foundation.exp(-$0)) }),
        ]
        for (name, y, reference) in checks {
            var worst: Double = 0
            for (xi, yi) in zip(xs, y.array) {
                let r = reference(Double(xi))
                let expected = Float(r)
                if expected.isInfinite {
                    #expect(yi == expected, "\(name)(\(xi)) = \(yi)")  // overflow gives ±∞
                    continue
                }
                if Swift.abs(r) < Double(Float.leastNormalMagnitude) {
                    // Subnormal results may lose relative precision, not absolute.
                    #expect(Swift.abs(Double(yi) - r) <= Double(Float.leastNormalMagnitude), "\(name)(\(xi)) = \(yi)")
                    continue
                }
                worst = max(worst, Swift.abs(Double(yi) - r) / Double(expected.ulp))
            }
            #expect(worst <= 4, "\(name): worst error \(worst) ulp")
        }
        let nan = Tensor([.nan, 1])
        #expect(nan.exp()[0].isNaN && nan.tanh()[0].isNaN && nan.sigmoid()[0].isNaN && nan.relu()[0].isNaN)
    }

    @Test("every function's gradient matches finite differences")
    func gradients() {
        // Away from 0 (relu, abs) and from the clamp bounds −0.5, 0.7 and 0.25.
        let x = OpsFixtures.awayFromZero([3, 7], seed: 4, margin: 0.05)
        for i in 0..<x.count {
            for bound: Float in [-0.5, 0.7, 0.25] where Swift.abs(x.floats[i] - bound) < 0.03 { x.floats[i] += 0.06 }
        }
        for (name, op, _) in Self.ops {
            let result = gradientCheck([x]) { op($0[0]) }
            #expect(result.maxError < 5e-3, "\(name): \(result)")
        }
        let p = OpsFixtures.random([3, 7], seed: 5, low: 0.3, high: 3)
        for (name, op, _) in Self.positiveOps {
            let result = gradientCheck([p]) { op($0[0]) }
            #expect(result.maxError < 5e-3, "\(name): \(result)")
        }
    }

    @Test("clamp passes the gradient at its bounds and blocks it outside, relu and abs give 0 at 0")
    func kinks() {
        let x = Tensor([-1, -0.5, 0, 0.7, 2], requiresGrad: true)
        x.clamp(min: -0.5, max: 0.7).backward(Tensor.ones([5]))
        #expect(x.grad!.array == [0, 1, 1, 1, 0])
        #expect(x.clamp(min: -0.5, max: 0.7).array == [-0.5, -0.5, 0, 0.7, 0.7])
        x.zeroGrad()
        x.relu().backward(Tensor.ones([5]))
        #expect(x.grad!.array == [0, 0, 0, 1, 1])
        x.zeroGrad()
        x.abs().backward(Tensor.ones([5]))
        #expect(x.grad!.array == [-1, -1, 0, 1, 1])
    }
}

@Suite("In-place helpers")
struct InPlaceTests {
    @Test("scaleInPlace, fill and addInPlace(scaledBy:) write through storage without a graph")
    func inPlace() {
        let t = OpsFixtures.random([70_001], seed: 3, requiresGrad: false)
        let before = t.array
        scaleInPlace(t, -2)
        #expect(OpsFixtures.mismatches(t.array, before.map { $0 * -2 }) == 0)
        let s = OpsFixtures.random([70_001], seed: 4, requiresGrad: false)
        let mid = t.array
        addInPlace(t, s, scaledBy: 0.5)
        #expect(OpsFixtures.mismatches(t.array, zip(mid, s.array).map { $0 + 0.5 * $1 }) == 0)
        t.fill(3)
        #expect(t.array.allSatisfy { $0 == 3 } && t.gradFn == nil)
        let bytes = Tensor(shape: [4], dtype: .uint8)
        bytes.fill(7)
        #expect(bytes.array == [7, 7, 7, 7])
    }
}
