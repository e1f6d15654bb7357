import Foundation
import Testing
@testable import SpikeTensor

// Gradient checks: step h = 1e-2, Float32 forward, tolerance 5e-3 (sum/mean/variance are
// smooth; max/min inputs are spaced 0.05 apart so no probe crosses a tie).

/// Sum (in Double) of `x` over the axes in `mask`, by visiting every element.
private func slowSum(_ x: Tensor, _ mask: [Bool]) -> [Double] {
    let outShape = zip(x.shape, mask).map { $1 ? 1 : $0 }
    var out = [Double](repeating: 0, count: outShape.reduce(1, *))
    let values = x.array
    for i in 0..<x.count {
        let index = OpsFixtures.multiIndex(i, x.shape)
        out[OpsFixtures.flatIndex(zip(index, mask).map { $1 ? 0 : $0 }, outShape)] += Double(values[i])
    }
    return out
}

/// All subsets of `0..<rank`, as axis lists; each axis given negative on odd subsets.
private func axisSubsets(_ rank: Int) -> [[Int]] {
    (0..<(1 << rank)).map { bits in
        (0..<rank).filter { bits & (1 << $0) != 0 }.map { bits % 2 == 1 ? $0 - rank : $0 }
    }
}

@Suite("Reductions")
struct ReductionTests {
    @Test("sum and mean over every axis subset match a slow loop, keeping dims or not")
    func sumAndMeanForward() {
        let x = OpsFixtures.random([3, 4, 5, 2], seed: 1, requiresGrad: false)
        for axes in axisSubsets(4) {
            let mask = (0..<4).map { a in axes.contains { ($0 + 4) % 4 == a } }
            let expected = slowSum(x, mask)
            let n = Double(zip(x.shape, mask).reduce(1) { $1.1 ? $0 * $1.0 : $0 })
            for keepDims in [false, true] {
                let s = x.sum(axes: axes, keepDims: keepDims), m = x.mean(axes: axes, keepDims: keepDims)
                let shape = keepDims ? zip(x.shape, mask).map { $1 ? 1 : $0 } : zip(x.shape, mask).filter { !$1 }.map(\.0)
                #expect(s.shape == shape && m.shape == shape, "\(axes) keepDims \(keepDims)")
                #expect(OpsFixtures.maxRelativeError(s.array, expected.map { Float($0) }) < 1e-6, "sum \(axes)")
                #expect(OpsFixtures.maxRelativeError(m.array, expected.map { Float($0 / n) }) < 1e-6, "mean \(axes)")
            }
        }
        #expect(x.sum().shape == [] && x.sum(axes: []).shape == x.shape && x.sum(axis: -1).shape == [3, 4, 5])
    }

    @Test("large reductions along the last axis, leading axes and all but the channel axis are accurate")
    func largeReductions() {
        let x = OpsFixtures.random([6, 32, 20, 20], seed: 2, low: 0, high: 1, requiresGrad: false)  // [N, C, H, W], positive: no cancellation
        for axes in [[0, 2, 3], [-1], [0], [1, 2, 3], [0, 1], [2]] {
            let mask = (0..<4).map { a in axes.contains { ($0 + 4) % 4 == a } }
            let err = OpsFixtures.maxRelativeError(x.sum(axes: axes).array, slowSum(x, mask).map { Float($0) })
            #expect(err < 1e-6, "axes \(axes): \(err)")
        }
        let long = OpsFixtures.random([3, 50_001], seed: 3, low: 0, high: 1, requiresGrad: false)
        let err = OpsFixtures.maxRelativeError(long.sum(axis: 1).array, slowSum(long, [false, true]).map { Float($0) })
        #expect(err < 1e-6, "long rows: \(err)")
        let tall = OpsFixtures.random([20_000, 3], seed: 4, low: 0, high: 1, requiresGrad: false)
        let err2 = OpsFixtures.maxRelativeError(tall.sum(axis: 0).array, slowSum(tall, [true, false]).map { Float($0) })
        #expect(err2 < 1e-6, "tall columns: \(err2)")
    }

    @Test("a big sum gives identical bytes on every run and is close to the Double sum")
    func deterministicSum() {
        let x = OpsFixtures.random([2_000_003], seed: 5, low: 0, high: 1, requiresGrad: false)
        let a = x.sum().item, b = x.sum().item
        #expect(a.bitPattern == b.bitPattern)
        let exact = x.array.reduce(0.0) { $0 + Double($1) }
        #expect(Swift.abs(Double(a) - exact) / exact < 1e-6)
        let columns = x.sliced(axis: 0, range: 0..<1_999_838).reshaped([1009, 1982])
        #expect(columns.sum(axis: 0).array.map(\.bitPattern) == columns.copy().sum(axis: 0).array.map(\.bitPattern))
    }

    @Test("empty reductions give 0 for sum and NaN for mean")
    func emptyReductions() {
        let x = Tensor(shape: [0, 3])
        #expect(x.sum(axis: 0).array == [0, 0, 0])
        #expect(x.mean(axis: 0).array.allSatisfy { $0.isNaN })
        #expect(x.sum(axis: 1).shape == [0])
    }

    @Test("sum and mean gradients broadcast back, for negative axes and both keepDims")
    func sumAndMeanGradients() {
        for axes: [Int]? in [nil, [0], [-1], [1, -1], [0, 2]] {
            for keepDims in [false, true] {
                let x = OpsFixtures.random([2, 3, 4], seed: 6)
                let s = gradientCheck([x]) { $0[0].sum(axes: axes, keepDims: keepDims) }
                #expect(s.maxError < 5e-3, "sum \(String(describing: axes)) \(keepDims): \(s)")
                let m = gradientCheck([x]) { $0[0].mean(axes: axes, keepDims: keepDims) }
                #expect(m.maxError < 5e-3, "mean \(String(describing: axes)) \(keepDims): \(m)")
            }
        }
    }

    @Test("variance matches a two-pass Double reference and its gradient checks out")
    func variance() {
        let x = OpsFixtures.random([4, 3, 5], seed: 7, requiresGrad: false)
        let mask = [true, false, true]
        let n = 20.0
        let means = slowSum(x, mask).map { $0 / n }
        var squares = [Double](repeating: 0, count: 3)
        for i in 0..<x.count {
            let c = OpsFixtures.multiIndex(i, x.shape)[1]
            squares[c] += (Double(x.array[i]) - means[c]) * (Double(x.array[i]) - means[c])
        }
        let biased = x.variance(axes: [0, -1])
        let unbiased = x.variance(axes: [0, 2], unbiased: true, keepDims: true)
        #expect(biased.shape == [3] && unbiased.shape == [1, 3, 1])
        #expect(OpsFixtures.maxRelativeError(biased.array, squares.map { Float($0 / n) }) < 1e-6)
        #expect(OpsFixtures.maxRelativeError(unbiased.array, squares.map { Float($0 / (n - 1)) }) < 1e-6)
        #expect(Swift.abs(Tensor([1, 2, 3, 4]).variance().item - 1.25) < 1e-6)
        for axes: [Int]? in [nil, [1], [0, -1]] {
            for unbiased in [false, true] {
                let y = OpsFixtures.random([4, 3, 5], seed: 8)
                let r = gradientCheck([y]) { $0[0].variance(axes: axes, unbiased: unbiased, keepDims: unbiased) }
                #expect(r.maxError < 5e-3, "\(String(describing: axes)) \(unbiased): \(r)")
            }
        }
    }

    @Test("max, min, argmax and argmin along each axis match a slow loop and pick the first extremum")
    func extremaForward() {
        for shape in [[5, 7, 3], [2, 37, 4], [3, 45], [45, 3], [1, 1, 20]] {
            // Few distinct values, so ties are common.
            let x = OpsFixtures.random(shape, seed: 9, requiresGrad: false)
            for i in 0..<x.count { x.floats[i] = (x.floats[i] * 4).rounded() }
            for axis in 0..<shape.count {
                var outShape = shape
                outShape.remove(at: axis)
                let n = outShape.reduce(1, *)
                var maxV = [Float](repeating: -.infinity, count: n), maxI = [Float](repeating: -1, count: n)
                var minV = [Float](repeating: .infinity, count: n), minI = [Float](repeating: -1, count: n)
                for i in 0..<x.count {
                    var index = OpsFixtures.multiIndex(i, shape)
                    let k = index.remove(at: axis)
                    let o = OpsFixtures.flatIndex(index, outShape)
                    let v = x.array[i]
                    if v > maxV[o] { maxV[o] = v; maxI[o] = Float(k) }
                    if v < minV[o] { minV[o] = v; minI[o] = Float(k) }
                }
                #expect(x.max(axis: axis).array == maxV && x.min(axis: axis - shape.count).array == minV)
                #expect(x.argmax(axis: axis).array == maxI && x.argmin(axis: axis).array == minI, "\(shape) \(axis)")
                #expect(x.argmax(axis: axis).dtype == .int32 && x.max(axis: axis, keepDims: true).rank == shape.count)
            }
        }
        let nan = Tensor([1, .nan, 3, .nan])
        #expect(nan.max(axis: 0).item.isNaN && nan.argmax(axis: 0).item == 1)
        #expect(Tensor([2, 9, 9, 1], shape: [4]).max().item == 9)
    }

    @Test("max and min gradients go to the first extremal element and pass a finite-difference check")
    func extremaGradients() {
        let t = Tensor([3, 1, 3, 0, 2, 2], shape: [2, 3], requiresGrad: true)
        t.max(axis: 1).backward(Tensor([10, 20]))
        #expect(t.grad!.array == [10, 0, 0, 0, 20, 0])
        t.zeroGrad()
        t.min(axis: 0, keepDims: true).backward(Tensor([1, 2, 3], shape: [1, 3]))
        #expect(t.grad!.array == [0, 2, 0, 1, 0, 3])
        for axis in [0, 1, -1] {
            for keepDims in [false, true] {
                let x = OpsFixtures.distinct([4, 20, 3])
                let a = gradientCheck([x]) { $0[0].max(axis: axis, keepDims: keepDims) }
                let b = gradientCheck([x]) { $0[0].min(axis: axis, keepDims: keepDims) }
                #expect(a.maxError < 5e-3 && b.maxError < 5e-3, "\(axis): \(a) \(b)")
            }
        }
    }
}
