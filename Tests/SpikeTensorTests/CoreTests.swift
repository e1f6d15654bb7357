import Testing
@testable import SpikeTensor

@Suite("Philox4x32-10 generator")
struct PhiloxTests {
    @Test("matches the Random123 known-answer vectors")
    func knownAnswers() {
        let zero = PhiloxGenerator.block(counter: (0, 0, 0, 0), key: (0, 0))
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = PhiloxGenerator.block(counter: (.max, .max, .max, .max), key: (.max, .max))
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = PhiloxGenerator.block(counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
                                       key: (0xa409_3822, 0x299f_31d0))
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test("a saved state resumes the exact same sequence")
    func stateRoundTrip() {
        var g = PhiloxGenerator(seed: 42, stream: 3)
        for _ in 0..<7 { _ = g.next32() }  // mid-buffer
        let saved = g.state
        let expected = (0..<100).map { _ in g.next() }
        var restored = PhiloxGenerator(state: saved)!
        #expect((0..<100).map { _ in restored.next() } == expected)
        #expect(PhiloxGenerator(state: [1, 2]) == nil)
    }

    @Test("different streams of one seed give different sequences")
    func streamsDiffer() {
        var a = PhiloxGenerator(seed: 1, stream: 0), b = PhiloxGenerator(seed: 1, stream: 1)
        let x = (0..<16).map { _ in a.next32() }, y = (0..<16).map { _ in b.next32() }
        #expect(x != y)
    }

    @Test("uniform and normal draws have the right moments")
    func moments() {
        var g = PhiloxGenerator(seed: 5)
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = g.nextUniform()
            #expect(u >= 0 && u < 1)
            su += Double(u)
            let z = Double(g.nextNormal())
            sn += z; sn2 += z * z
        }
        #expect(abs(su / Double(n) - 0.5) < 0.005)
        #expect(abs(sn / Double(n)) < 0.01)
        #expect(abs(sn2 / Double(n) - 1) < 0.02)
    }
}

@Suite("Tensor storage and autograd core")
struct AutogradCoreTests {
    /// y = a * b element-wise, recorded by hand through the public custom-op API.
    static func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        let out = Tensor(shape: a.shape)
        for i in 0..<a.count { out.floats[i] = a.floats[i] * b.floats[i] }
        return Tensor.record("mul", output: out, inputs: [a, b]) { g in
            let ga = Tensor(shape: a.shape), gb = Tensor(shape: b.shape)
            for i in 0..<a.count {
                ga.floats[i] = g.floats[i] * b.floats[i]
                gb.floats[i] = g.floats[i] * a.floats[i]
            }
            return [ga, gb]
        }
    }

    @Test("gradients accumulate when a tensor is used twice")
    func reuseAccumulates() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        let y = Self.multiply(x, x)  // x², dy/dx = 2x
        y.backward(Tensor.ones([3]))
        #expect(x.grad!.array == [2, 4, 6])
        // A second graph adds into the existing gradient.
        Self.multiply(x, x).backward(Tensor.ones([3]))
        #expect(x.grad!.array == [4, 8, 12])
    }

    @Test("a diamond graph sums both paths")
    func diamond() {
        let x = Tensor([3], requiresGrad: true)
        let a = Self.multiply(x, x)           // x²
        let b = Self.multiply(a, x)           // x³
        let c = Self.multiply(a, b)           // x⁵
        c.backward()
        #expect(x.grad!.item == 5 * 81)       // 5x⁴
    }

    @Test("noGrad records nothing and saved values are released after backward")
    func noGradAndRelease() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y0 = noGrad { Self.multiply(x, x) }
        #expect(y0.gradFn == nil && !y0.requiresGrad)
        #expect(GradMode.isEnabled)
        let y = Self.multiply(x, x)
        let node = y.gradFn!
        y.backward(Tensor.ones([2]))
        #expect(node.isReleased)
        #expect(node.inputs.isEmpty)
    }

    @Test("retainGraph allows a second backward")
    func retainGraph() {
        let x = Tensor([2], requiresGrad: true)
        let y = Self.multiply(x, x)
        y.backward(retainGraph: true)
        y.backward()
        #expect(x.grad!.item == 8)
    }

    /// An identity op on x whose backward returns `pass(g)` for x's gradient.
    static func passThrough(_ x: Tensor, _ pass: @escaping (Tensor) -> Tensor) -> Tensor {
        Tensor.record("pass", output: x.copy(), inputs: [x]) { g in [pass(g)] }
    }

    @Test("a leaf keeps a fresh gradient that nothing else holds instead of copying it")
    func leafTakesFreshGradient() {
        final class Box { weak var made: Tensor? }
        let box = Box()
        let x = Tensor([1, 2, 3], requiresGrad: true)
        Self.passThrough(x) { g in
            let fresh = g.copy()
            box.made = fresh  // weak: does not count as a second owner
            return fresh
        }.backward(Tensor([4, 5, 6]))
        #expect(x.grad != nil && x.grad === box.made)
        #expect(x.grad!.array == [4, 5, 6])
        // The second backward adds into the gradient the leaf took.
        Self.passThrough(x) { $0.copy() }.backward(Tensor([1, 1, 1]))
        #expect(x.grad === box.made && x.grad!.array == [5, 6, 7])
    }

    @Test("a leaf copies a gradient that the caller, another tensor or another leaf still holds")
    func leafCopiesSharedGradient() {
        // The backward hands back the upstream gradient itself: the caller's seed.
        let seed = Tensor([4, 5, 6])
        let x = Tensor([1, 2, 3], requiresGrad: true)
        Self.passThrough(x) { $0 }.backward(seed)
        #expect(x.grad!.storage !== seed.storage)
        // A view of a tensor someone keeps: the view object is unique, its memory is not.
        let kept = Tensor([7, 8, 9])
        let y = Tensor([1, 2, 3], requiresGrad: true)
        Self.passThrough(y) { _ in kept.reshaped([3]) }.backward(seed)
        #expect(y.grad!.storage !== kept.storage)
        // One gradient returned for two leaves: they must not share it.
        let a = Tensor([1], requiresGrad: true), b = Tensor([2], requiresGrad: true)
        Tensor.record("both", output: Tensor([0]), inputs: [a, b]) { g in
            let shared = g.copy()
            return [shared, shared]
        }.backward(Tensor([3]))
        #expect(a.grad!.storage !== b.grad!.storage)
        seed.floats[0] = 100
        kept.floats[0] = 100
        a.grad!.floats[0] = 100
        #expect(x.grad!.array == [4, 5, 6] && y.grad!.array == [7, 8, 9] && b.grad!.item == 3)
    }

    @Test("a multi-output custom operation routes each output's gradient")
    func multiOutput() {
        struct SplitScale: DifferentiableOperation {
            let name = "split_scale"
            func forward(_ inputs: [Tensor]) -> (outputs: [Tensor], saved: Void) {
                let x = inputs[0]
                return ([Tensor(x.array.map { 2 * $0 }), Tensor(x.array.map { 3 * $0 })], ())
            }
            func backward(_ g: [Tensor?], inputs: [Tensor], saved: Void) -> [Tensor?] {
                let n = inputs[0].count
                var out = [Float](repeating: 0, count: n)
                if let g0 = g[0] { for i in 0..<n { out[i] += 2 * g0.floats[i] } }
                if let g1 = g[1] { for i in 0..<n { out[i] += 3 * g1.floats[i] } }
                return [Tensor(out)]
            }
        }
        let x = Tensor([1, 1], requiresGrad: true)
        let outs = SplitScale()([x])
        #expect(outs[0].array == [2, 2] && outs[1].array == [3, 3])
        outs[1].backward(Tensor([1, 10]))  // only the second output used
        #expect(x.grad!.array == [3, 30])
    }

    @Test("gradient check accepts a correct gradient and flags a wrong one")
    func gradientCheckDiscriminates() {
        let x = Tensor([0.5, -1.5, 2], requiresGrad: true)
        let ok = gradientCheck([x]) { Self.multiply($0[0], $0[0]) }
        #expect(ok.maxError < 1e-3, "\(ok)")
        let wrong = gradientCheck([x]) { inputs in
            let a = inputs[0]
            let out = Tensor(a.array.map { $0 * $0 })
            return Tensor.record("bad_square", output: out, inputs: [a]) { g in
                [Tensor((0..<a.count).map { g.floats[$0] * a.floats[$0] })]  // missing factor 2
            }
        }
        #expect(wrong.maxError > 0.1)
    }

    @Test("views share storage and copies do not")
    func viewsAndCopies() {
        let t = Tensor([1, 2, 3, 4], shape: [2, 2])
        let v = t.detached()
        v.floats[0] = 9
        #expect(t[0, 0] == 9)
        let c = t.copy()
        c.floats[1] = 7
        #expect(t[0, 1] == 2)
        #expect(Tensor.arange(0, 5, step: 2).array == [0, 2, 4])
        #expect(Tensor(int32: [1, 2]).converted(to: .float32).array == [1, 2])
    }

    @Test("parallel chunks cover the range exactly once")
    func chunksCover() {
        for count in [1, 7, 100_000, 1_000_003] {
            var covered = [UInt8](repeating: 0, count: count)
            covered.withUnsafeMutableBufferPointer { buf in
                let p = buf.baseAddress!
                parallelChunks(count, minChunk: 1000) { range in for i in range { p[i] &+= 1 } }
            }
            #expect(covered.allSatisfy { $0 == 1 })
        }
    }
}
