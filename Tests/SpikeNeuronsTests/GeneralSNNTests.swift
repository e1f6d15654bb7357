import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

@Suite("General-SNN neuron (leak 0.4, threshold 0.5, rectangle surrogate)")
struct GeneralSNNNeuronTests {
    @Test("hand values: leak, reset through (1 − s_prev), strictly-above firing, mem0 leaks too")
    func handValues() {
        // neuron 0: 0.3, 0.42, 0.468, 0.2872 (never fires)
        // neuron 1: 0.6 fires; 0.2; 0.58 fires; 0.5 exactly does not fire (mem > 0.5 only)
        let input = Tensor([0.3, 0.6, 0.3, 0.2, 0.3, 0.5, 0.1, 0.5], shape: [4, 2])
        let (s, m) = generalSNNNeuron(input)
        #expect(s.array == [0, 1, 0, 0, 0, 1, 0, 0])
        let expected: [Float] = [0.3, 0.6, 0.42, 0.2, 0.468, 0.58, 0.2872, 0.5]
        #expect(zip(m.array, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(m.array[7] == 0.5)
        // mem0 = [1, −1]: 0.4 + 0.3 = 0.7 fires; −0.4 + 0.6 = 0.2 does not.
        let one = generalSNNNeuron(Tensor([0.3, 0.6], shape: [1, 2]), mem0: Tensor([1, -1], shape: [2]))
        #expect(one.spikes.array == [1, 0])
        #expect(zip(one.membrane.array, [0.7, 0.2] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// The authors' update as Double autodiff: mem = mem·decay·(1 − s) + I, s = [mem > 0.5].
    static func reference(input: [Float], mem0: [Float], gS: [Float], gM: [Float], steps: Int, detach: Bool)
        -> (spikes: [Float], membrane: [Double], gradInput: [Double], gradMem0: [Double]) {
        let width = mem0.count, tape = LIFReferenceTape()
        let alpha = tape.constant(1)
        var mem = mem0.map { tape.leaf(Double($0)) }
        let mem0Vars = mem
        var spike = [Int](repeating: tape.constant(0), count: width)
        var inputs = [Int](), spikes = [Int](), mems = [Int]()
        for t in 0..<steps {
            for m in 0..<width {
                let i = tape.leaf(Double(input[t * width + m]))
                inputs.append(i)
                let sPrev = detach ? tape.detached(spike[m]) : spike[m]
                let keep = tape.shift(tape.scale(sPrev, -1), 1)
                mem[m] = tape.add(tape.mul(tape.scale(mem[m], 0.4), keep), i)
                spike[m] = tape.spike(tape.shift(mem[m], -0.5), alpha: alpha, kind: .rectangle, strict: true)
                spikes.append(spike[m])
                mems.append(mem[m])
            }
        }
        var seeds = [(Int, Double)]()
        for k in 0..<spikes.count {
            seeds.append((spikes[k], Double(gS[k])))
            seeds.append((mems[k], Double(gM[k])))
        }
        let g = tape.gradients(seeds)
        return (spikes.map { Float(tape.values[$0]) }, mems.map { tape.values[$0] }, inputs.map { g[$0] }, mem0Vars.map { g[$0] })
    }

    @Test("BPTT over several steps matches the Double autodiff reference", arguments: [false, true])
    func backwardMatchesReference(detach: Bool) {
        let steps = 5, width = 21
        let xs = lifTestNormals(steps * width, mean: 0.35, std: 0.35, seed: 31)
        let m0 = lifTestNormals(width, mean: 0, std: 0.4, seed: 32)
        let gS = lifTestNormals(steps * width, seed: 33), gM = lifTestNormals(steps * width, seed: 34)
        let expected = Self.reference(input: xs, mem0: m0, gS: gS, gM: gM, steps: steps, detach: detach)
        let input = Tensor(xs, shape: [steps, width], requiresGrad: true)
        let mem0 = Tensor(m0, shape: [width], requiresGrad: true)
        let (s, m) = generalSNNNeuron(input, mem0: mem0, GeneralSNNNeuronConfiguration(detachReset: detach))
        #expect(s.array == expected.spikes)
        #expect(expected.spikes.contains(1) && expected.spikes.contains(0))
        #expect(zip(m.array, expected.membrane).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        lifTestWeightedSum([(s, gS), (m, gM)]).backward()
        func close(_ a: [Float], _ b: [Double]) -> Bool {
            zip(a, b).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) }
        }
        #expect(close(input.grad!.array, expected.gradInput))
        #expect(close(mem0.grad!.array, expected.gradMem0))
    }

    @Test("finite differences of the membrane while no neuron fires (step 1e-2, tolerance 2e-3)")
    func finiteDifferences() {
        // Silent neurons make the membrane linear in input and mem0, but the surrogate of the
        // (1 − s) factor is still non-zero for mem in (0, 1); detaching it leaves the true
        // gradient, which finite differences see.
        let input = Tensor(lifTestNormals(4 * 6, std: 0.07, seed: 35), shape: [4, 6], requiresGrad: true)
        let mem0 = Tensor(lifTestNormals(6, std: 0.1, seed: 36), shape: [6], requiresGrad: true)
        let config = GeneralSNNNeuronConfiguration(detachReset: true)
        let r = gradientCheck([input, mem0], step: 1e-2) { generalSNNNeuron($0[0], mem0: $0[1], config).membrane }
        #expect(r.maxError < 2e-3, "\(r)")
    }
}

@Suite("Bernoulli spike encoder")
struct BernoulliSpikeTests {
    @Test("equals drawing nextUniform per element, from any buffer position, and resumes the stream")
    func matchesSequentialDraws() {
        for (n, skip) in [(0, 0), (1, 0), (7, 3), (4 * 5000 + 3, 1), (4 * 5000, 0), (33, 2)] {
            let x = Tensor(lifTestNormals(n, mean: 0.5, std: 0.4, seed: UInt64(n)), shape: [n])
            var fast = PhiloxGenerator(seed: 77, stream: 5)
            for _ in 0..<skip { _ = fast.next32() }
            var slow = fast
            let s = bernoulliSpikes(x, rng: &fast)
            let expected: [Float] = x.array.map { $0 > slow.nextUniform() ? 1 : 0 }
            #expect(s.array == expected, "n=\(n) skip=\(skip)")
            #expect((0..<9).map { _ in fast.next32() } == (0..<9).map { _ in slow.next32() }, "n=\(n) skip=\(skip)")
        }
    }

    @Test("x ≤ 0 never fires, x ≥ 1 always fires, x = 0.3 fires 30 % of the time; no gradient")
    func probabilities() {
        var rng = PhiloxGenerator(seed: 3)
        let n = 100_000
        #expect(bernoulliSpikes(Tensor.zeros([n]), rng: &rng).array.allSatisfy { $0 == 0 })
        #expect(bernoulliSpikes(Tensor.full([n], -0.5), rng: &rng).array.allSatisfy { $0 == 0 })
        #expect(bernoulliSpikes(Tensor.ones([n]), rng: &rng).array.allSatisfy { $0 == 1 })
        let x = Tensor.full([n], 0.3, requiresGrad: true)
        let s = bernoulliSpikes(x, rng: &rng)
        #expect(!s.requiresGrad && s.gradFn == nil)
        #expect(abs(Double(s.array.reduce(0, +)) / Double(n) - 0.3) < 0.006)
    }
}

@Suite("Membrane projections sincos and mean")
struct MembraneProjectionTests {
    @Test("hand values")
    func handValues() {
        let a = Tensor([2, -2, 1, 1, 0.5], shape: [5]), b = Tensor([0, 0, 0, 2, 4], shape: [5])
        let p = MembraneProjection.sincos(a, b).array
        // 2·sin(π/2) = 2; −2; 2·sin(π/4) = √2; cos(π/2) = 0 → 0; cos(π) = −1 → 2·sin(−π/8)
        let expected: [Float] = [2, -2, Float(2.0.squareRoot()), 0, Float(2 * sin(-Double.pi / 8))]
        #expect(zip(p, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(p)")
        #expect(MembraneProjection.mean(a, b).array == [1, -1, 0.5, 1.5, 2.25])
    }

    @Test("gradients match finite differences (step 1e-2, tolerance 2e-3)", arguments: MembraneProjection.allCases)
    func gradients(_ kind: MembraneProjection) {
        let a = Tensor(lifTestNormals(40, std: 1.5, seed: 41), shape: [5, 8], requiresGrad: true)
        let b = Tensor(lifTestNormals(40, std: 1.5, seed: 42), shape: [5, 8], requiresGrad: true)
        let r = gradientCheck([a, b], step: 1e-2) { kind($0[0], $0[1]) }
        #expect(r.maxError < 2e-3, "\(kind): \(r)")
        // Only b needs a gradient: a gets none.
        let a2 = Tensor(lifTestNormals(40, seed: 43), shape: [40])
        let b2 = Tensor(lifTestNormals(40, seed: 44), shape: [40], requiresGrad: true)
        kind(a2, b2).backward(Tensor.ones([40]))
        #expect(a2.grad == nil && b2.grad != nil)
    }
}
