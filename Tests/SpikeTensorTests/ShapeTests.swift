import Testing
@testable import SpikeTensor

// Gradient checks: step h = 1e-2, Float32 forward, tolerance 1e-3 — these ops only move or
// add values, so the finite differences are exact up to rounding.

/// `x.permuted(perm)` element by element.
private func slowPermute(_ x: Tensor, _ perm: [Int]) -> [Float] {
    let outShape = perm.map { x.shape[$0] }
    let values = x.array
    return (0..<x.count).map { i in
        let out = OpsFixtures.multiIndex(i, outShape)
        var source = [Int](repeating: 0, count: x.rank)
        for (k, p) in perm.enumerated() { source[p] = out[k] }
        return values[OpsFixtures.flatIndex(source, x.shape)]
    }
}

/// All permutations of `0..<n`.
private func permutations(_ n: Int) -> [[Int]] {
    if n == 0 { return [[]] }
    return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
}

@Suite("Shape ops")
struct ShapeTests {
    @Test("reshape is a view sharing storage, infers -1, and reshapes its gradient back")
    func reshape() {
        let x = OpsFixtures.random([2, 3, 4], seed: 1)
        let v = x.reshaped([4, -1])
        #expect(v.shape == [4, 6] && v.storage === x.storage && v.offset == x.offset)
        v.floats[5] = 42
        #expect(x[0, 1, 1] == 42)
        #expect(x.flattened().shape == [24] && x.flattened(from: 1).shape == [2, 12])
        #expect(x.flattened(from: 0, through: -2).shape == [6, 4] && Tensor.scalar(3).flattened().shape == [1])
        #expect(x.unsqueezed(axis: 0).shape == [1, 2, 3, 4] && x.unsqueezed(axis: -1).shape == [2, 3, 4, 1])
        #expect(x.unsqueezed(axis: 1).squeezed(axis: 1).shape == [2, 3, 4])
        #expect(Tensor(shape: [1, 3, 1]).squeezed().shape == [3])
        let r = gradientCheck([x]) { $0[0].reshaped([3, 8]).unsqueezed(axis: 1).flattened(from: 1) * $0[0].reshaped([3, 8]) }
        #expect(r.maxError < 1e-3, "\(r)")
    }

    @Test("permuted matches a slow loop for every rank-4 permutation and the common layouts")
    func permuteForward() {
        let x = OpsFixtures.random([2, 3, 4, 5], seed: 2, requiresGrad: false)
        for perm in permutations(4) {
            #expect(OpsFixtures.mismatches(x.permuted(perm).array, slowPermute(x, perm)) == 0, "\(perm)")
            #expect(x.permuted(perm).shape == perm.map { x.shape[$0] })
        }
        let cases: [([Int], [Int])] = [
            ([67, 45], [1, 0]),                     // 2-d transpose, partial tiles
            ([3, 40, 33], [0, 2, 1]),               // [N,C,HW] → [N,HW,C]
            ([4, 3, 2, 5, 6], [1, 0, 2, 3, 4]),     // [T,N,C,H,W] → [N,T,C,H,W]
            ([3, 4, 2, 5, 6], [1, 0, 2, 3, 4]),
            ([2, 1, 3, 1, 5], [4, 3, 2, 1, 0]),     // size-1 axes dropped
            ([2, 3, 4, 5, 6], [3, 0, 4, 2, 1]),
            ([300, 200], [1, 0]),                   // parallel tiles
        ]
        for (shape, perm) in cases {
            let t = OpsFixtures.random(shape, seed: 3, requiresGrad: false)
            #expect(OpsFixtures.mismatches(t.permuted(perm).array, slowPermute(t, perm)) == 0, "\(shape) \(perm)")
        }
        let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(m.transposed().array == [1, 4, 2, 5, 3, 6] && m.transposed().shape == [3, 2])
        #expect(m.permuted([-1, -2]).array == [1, 4, 2, 5, 3, 6])
        let ints = Tensor(int32: [1, 2, 3, 4, 5, 6], shape: [2, 3]), bytes = Tensor(uint8: [1, 2, 3, 4, 5, 6], shape: [3, 2])
        #expect(ints.transposed().dtype == .int32 && ints.transposed().array == [1, 4, 2, 5, 3, 6])
        #expect(bytes.transposed().array == [1, 3, 5, 2, 4, 6])
    }

    @Test("permuted gradients for rank 4 and rank 5")
    func permuteGradients() {
        for (shape, perm) in [([2, 3, 4, 5], [2, 0, 3, 1]), ([2, 3, 2, 3, 2], [1, 0, 2, 3, 4]), ([2, 3, 2, 3, 2], [4, 2, 0, 3, 1])] {
            let x = OpsFixtures.random(shape, seed: 4)
            let r = gradientCheck([x]) { $0[0].permuted(perm) }
            #expect(r.maxError < 1e-3, "\(perm): \(r)")
        }
    }

    @Test("slices along axis 0 are views; other axes copy; gradients scatter into zeros")
    func slicing() {
        let x = OpsFixtures.random([4, 3, 5], seed: 5)
        let rows = x.sliced(axis: 0, range: 1..<3)
        #expect(rows.storage === x.storage && rows.offset == x.offset + 15 && rows.shape == [2, 3, 5])
        #expect(rows[0, 2, 4] == x[1, 2, 4])
        let cols = x.sliced(axis: -1, range: 2..<4)
        #expect(cols.storage !== x.storage && cols.shape == [4, 3, 2])
        for i in 0..<4 { for j in 0..<3 { for k in 0..<2 { #expect(cols[i, j, k] == x[i, j, k + 2]) } } }
        #expect(x.sliced(axis: 1, range: 1..<1).shape == [4, 0, 5])
        for (axis, range) in [(0, 1..<3), (1, 0..<2), (-1, 2..<5)] {
            let r = gradientCheck([x]) { $0[0].sliced(axis: axis, range: range) }
            #expect(r.maxError < 1e-3, "\(axis) \(range): \(r)")
        }
        let y = Tensor([1, 2, 3, 4], requiresGrad: true)
        y.sliced(axis: 0, range: 1..<3).backward(Tensor([5, 6]))
        #expect(y.grad!.array == [0, 5, 6, 0])
    }

    @Test("concat and stack join along any axis and split the gradient back")
    func concatAndStack() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2]), b = Tensor([5, 6], shape: [2, 1])
        #expect(concat([a, b], axis: 1).array == [1, 2, 5, 3, 4, 6])
        #expect(concat([a, b.reshaped([1, 2])], axis: 0).array == [1, 2, 3, 4, 5, 6])
        #expect(stack([a, a], axis: 0).shape == [2, 2, 2])
        #expect(stack([a, a * 2], axis: -1).array == [1, 2, 2, 4, 3, 6, 4, 8])
        #expect(stack([a, a], axis: 1).array == [1, 2, 1, 2, 3, 4, 3, 4])
        let x = OpsFixtures.random([2, 3, 4], seed: 6), y = OpsFixtures.random([2, 1, 4], seed: 7)
        let z = OpsFixtures.random([2, 2, 4], seed: 8, requiresGrad: false)
        let r = gradientCheck([x, y]) { concat([$0[0], $0[1], z, $0[0]], axis: 1) }
        #expect(r.maxError < 1e-3, "\(r)")
        let s = gradientCheck([x, x.copy()]) { stack([$0[0], $0[1]], axis: 2) }
        #expect(s.maxError < 1e-3, "\(s)")
        let bytes = concat([Tensor(uint8: [1, 2]), Tensor(uint8: [3])], axis: 0)
        #expect(bytes.dtype == .uint8 && bytes.array == [1, 2, 3])
    }

    @Test("padded surrounds the tensor with a constant and its gradient is the interior")
    func padding() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2])
        let p = x.padded([(1, 0), (0, 2)], value: -1)
        #expect(p.shape == [3, 4] && p.array == [-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1])
        let image = OpsFixtures.random([2, 3, 4, 5], seed: 9)
        let padded = image.padded([(0, 0), (0, 0), (1, 1), (2, 1)])
        #expect(padded.shape == [2, 3, 6, 8] && padded[1, 2, 1, 2] == image[1, 2, 0, 0] && padded[1, 2, 0, 0] == 0)
        let r = gradientCheck([image]) { $0[0].padded([(1, 0), (0, 2), (1, 1), (0, 3)], value: 0.5) }
        #expect(r.maxError < 1e-3, "\(r)")
    }

    @Test("expanded materialises a broadcast, and sumToShape inverts it")
    func expandAndSumToShape() {
        let x = Tensor([1, 2, 3], shape: [3, 1])
        let e = x.expanded(to: [2, 3, 2])
        #expect(e.array == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        #expect(e.sumToShape([3, 1]).array == [4, 8, 12] && e.sumToShape([1, 2]).array == [12, 12])
        #expect(e.sumToShape([2, 3, 2]) === e && e.sumToShape([]).item == 24)
        let y = OpsFixtures.random([3, 1], seed: 10)
        let r = gradientCheck([y]) { $0[0].expanded(to: [2, 3, 4]) }
        #expect(r.maxError < 1e-3, "\(r)")
        let z = OpsFixtures.random([2, 3, 4], seed: 11)
        let s = gradientCheck([z]) { $0[0].sumToShape([3, 1]) }
        #expect(s.maxError < 1e-3, "\(s)")
    }
}

@Suite("Indexing ops")
struct IndexingTests {
    @Test("indexSelect picks entries along an axis, repeats included, for any dtype")
    func indexSelectForward() {
        let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let idx = Tensor(int32: [2, 0, 2])
        let s = x.indexSelect(axis: 1, indices: idx)
        #expect(s.shape == [2, 3, 4])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(s[i, j, k] == x[i, Int(idx.int32s[j]), k]) } } }
        #expect(x.indexSelect(axis: -1, indices: Tensor(int32: [3])).array == [3, 7, 11, 15, 19, 23])
        let labels = Tensor(int32: [7, 8, 9])
        #expect(labels.indexSelect(axis: 0, indices: Tensor(int32: [2, 2, 0])).array == [9, 9, 7])
    }

    @Test("indexSelect backward scatter-adds, so repeated indices accumulate")
    func indexSelectGradient() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        x.indexSelect(axis: 0, indices: Tensor(int32: [1, 1, 0, 1])).backward(Tensor([1, 2, 3, 4]))
        #expect(x.grad!.array == [3, 7, 0])
        let y = OpsFixtures.random([3, 5, 2], seed: 1)
        for axis in [0, 1, -1] {
            let n = y.shape[(axis + 3) % 3]
            let idx = Tensor(int32: [Int32(n - 1), 0, Int32(n - 1), 1, 0])
            let r = gradientCheck([y]) { $0[0].indexSelect(axis: axis, indices: idx) }
            #expect(r.maxError < 1e-3, "axis \(axis): \(r)")
        }
    }

    @Test("gather follows torch.gather, with index tensors smaller than the source")
    func gatherForward() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(x.gather(axis: 1, indices: Tensor(int32: [2, 0], shape: [2, 1])).array == [3, 4])
        #expect(x.gather(axis: 0, indices: Tensor(int32: [1, 0, 1], shape: [1, 3])).array == [4, 2, 6])
        let big = OpsFixtures.random([3, 4, 5], seed: 2, requiresGrad: false)
        let idx = Tensor(int32: (0..<(2 * 6 * 3)).map { Int32(($0 * 7) % 4) }, shape: [2, 6, 3])
        let g = big.gather(axis: 1, indices: idx)
        #expect(g.shape == [2, 6, 3])
        for i in 0..<2 { for j in 0..<6 { for k in 0..<3 { #expect(g[i, j, k] == big[i, Int(idx[i, j, k]), k]) } } }
    }

    @Test("gather backward scatter-adds repeated indices")
    func gatherGradient() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2], requiresGrad: true)
        x.gather(axis: 1, indices: Tensor(int32: [0, 0, 0, 1, 1, 1], shape: [2, 3])).backward(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]))
        #expect(x.grad!.array == [6, 0, 0, 15])
        let y = OpsFixtures.random([3, 4, 5], seed: 3)
        for axis in [0, 1, 2] {
            let shape = [2, 3, 4]
            let n = y.shape[axis]
            let idx = Tensor(int32: (0..<24).map { Int32(($0 * 5) % n) }, shape: shape)
            let r = gradientCheck([y]) { $0[0].gather(axis: axis, indices: idx) }
            #expect(r.maxError < 1e-3, "axis \(axis): \(r)")
        }
    }

    @Test("whereSelect takes a where the condition holds, b elsewhere, broadcasting, with routed gradients")
    func whereSelection() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2], requiresGrad: true)
        let b = Tensor([10, 20], shape: [2], requiresGrad: true)
        let mask = Tensor(uint8: [1, 0, 0, 5], shape: [2, 2])
        let out = whereSelect(mask, a, b)
        #expect(out.array == [1, 20, 10, 4])
        out.backward(Tensor([1, 2, 3, 4], shape: [2, 2]))
        #expect(a.grad!.array == [1, 0, 0, 4] && b.grad!.array == [3, 2])
        #expect(whereSelect(Tensor([0, -0.5]), Tensor([1, 1]), Tensor([2, 2])).array == [2, 1])
        let rowMask = Tensor(uint8: [1, 0, 1], shape: [3])
        #expect(whereSelect(rowMask, Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), Tensor.scalar(0)).array == [1, 0, 3, 4, 0, 6])
        let x = OpsFixtures.random([3, 4], seed: 4), y = OpsFixtures.random([4], seed: 5)
        let c = Tensor(uint8: (0..<12).map { UInt8($0 % 3 == 0 ? 1 : 0) }, shape: [3, 4])
        let r = gradientCheck([x, y]) { whereSelect(c, $0[0], $0[1]) }
        #expect(r.maxError < 1e-3, "\(r)")
    }
}
