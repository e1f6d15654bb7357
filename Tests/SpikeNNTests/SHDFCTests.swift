import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

@Suite("SHDFC speech architecture")
struct SHDFCTests {
    @Test("SHDFC has the hand-counted parameters and names, and maps [N, T, F] to logits [N, classes]")
    func shapesAndNames() {
        var rng = PhiloxGenerator(seed: 3)
        let model = SHDFC(neuron: NeuronSpec(.lif, timeSteps: 6), inputs: 10, numClasses: 4, width: 1.0 / 64, rng: &rng)
        // hidden = 1024/64 = 16. Temporal: depth-wise k5 10·5 + 10, k3 10·3 + 10 = 100.
        // Linear 10·16 + 16 = 176, BN 32, Linear 16·16 + 16 = 272, BN 32, classifier 16·4 + 4 = 68 → 680.
        #expect(model.parameterCount == 680)
        let names = model.namedParameters().map(\.name)
        #expect(names.prefix(6) == ["temporal.conv.weight", "temporal.conv.bias", "temporal.gate.weight",
                                    "temporal.gate.bias", "body.0.weight", "body.0.bias"])
        let x = Tensor.uniform([3, 6, 10], rng: &rng)
        #expect(model(x).shape == [3, 4])
        #expect(model.foldedLogits(x).shape == [18, 4])
    }

    @Test("the folded rows are time-major: a change at (sample 1, step 5) reaches only sample 1 from step 3 on")
    func timeMajorFolding() {
        var rng = PhiloxGenerator(seed: 11)
        let t = 8, n = 3, f = 5
        // A low threshold keeps both layers firing, so a change reaches the logits.
        var spec = NeuronSpec(.lif, timeSteps: t)
        spec.vThreshold = 0.02
        let model = SHDFC(neuron: spec, inputs: f, numClasses: 3, width: 1.0 / 32, rng: &rng)
        model.eval()
        let x = Tensor.uniform([n, t, f], low: 0, high: 4, rng: &rng)
        var values = withExtendedLifetime(x) { Array(x.floats) }
        for c in 0..<f { values[(1 * t + 5) * f + c] += 100 }
        let changed = Tensor(values, shape: [n, t, f])
        let before = noGrad { model.foldedLogits(x) }, after = noGrad { model.foldedLogits(changed) }
        let a = withExtendedLifetime(before) { Array(before.floats) }, b = withExtendedLifetime(after) { Array(after.floats) }
        func row(_ logits: [Float], step: Int, sample: Int) -> [Float] {
            Array(logits[((step * n + sample) * 3)..<((step * n + sample) * 3 + 3)])
        }
        for step in 0..<t {
            #expect(row(a, step: step, sample: 0) == row(b, step: step, sample: 0), "sample 0 step \(step)")
            #expect(row(a, step: step, sample: 2) == row(b, step: step, sample: 2), "sample 2 step \(step)")
            if step < 3 { #expect(row(a, step: step, sample: 1) == row(b, step: step, sample: 1), "sample 1 step \(step)") }
        }
        #expect((3..<t).contains { row(a, step: $0, sample: 1) != row(b, step: $0, sample: 1) })
    }

    @Test("one SGD step on a batch lowers the loss and every parameter gets a gradient")
    func trains() {
        var rng = PhiloxGenerator(seed: 5)
        let model = SHDFC(neuron: NeuronSpec(.lif, timeSteps: 4), inputs: 12, numClasses: 3, width: 1.0 / 16, rng: &rng)
        let x = Tensor.uniform([6, 4, 12], low: 0, high: 3, rng: &rng)
        let labels = Tensor(int32: [0, 1, 2, 0, 1, 2])
        let optimizer = SGD(parameters: model.namedParameters(), lr: 0.5)
        let loss = crossEntropy(model(x), labels)
        loss.backward()
        for p in model.namedParameters() {
            #expect(p.tensor.grad?.floats.contains { $0 != 0 } == true, "\(p.name) has no gradient")
        }
        optimizer.step()
        model.zeroGrad()
        let after = noGrad { crossEntropy(model(x), labels).item }
        #expect(after < loss.item)
    }
}
