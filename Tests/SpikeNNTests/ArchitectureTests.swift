import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

/// A fixed batch of `count` images of `shape` with labels 0..<10, drawn from `seed`.
private func fixedBatch(_ count: Int, _ shape: [Int], seed: UInt64) -> (images: Tensor, labels: Tensor) {
    var rng = PhiloxGenerator(seed: seed)
    let images = Tensor.uniform([count] + shape, rng: &rng)
    let labels = Tensor(int32: (0..<count).map { Int32($0 % 10) })
    return (images, labels)
}

/// Loss before and after one plain SGD step on the same batch (training mode throughout).
private func lossBeforeAndAfterOneStep(_ model: some UnaryLayer, _ batch: (images: Tensor, labels: Tensor),
                                       lr: Float) -> (Float, Float) {
    let optimizer = SGD(parameters: model.namedParameters(), lr: lr)
    let loss = crossEntropy(model(batch.images), batch.labels)
    loss.backward()
    optimizer.step()
    model.zeroGrad()
    let after = noGrad { crossEntropy(model(batch.images), batch.labels).item }
    return (loss.item, after)
}

@Suite("Architectures")
struct ArchitectureTests {
    @Test("VGGSmall has the hand-counted number of parameters and PyTorch-style names")
    func vggSmallParameters() {
        var rng = PhiloxGenerator(seed: 31)
        let model = VGGSmall(neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        // conv3×3 without bias, in·out·9:  3·64·9 = 1 728;  64·128·9 = 73 728;  128·256·9 = 294 912;
        // 256·256·9 = 589 824;  256·512·9 = 1 179 648;  512·512·9 = 2 359 296   → 4 499 136
        // BN γ and β, 2·C:  2·(64 + 128 + 256 + 256 + 512 + 512) = 3 456
        // classifier 512·4·4·10 + 10 = 81 930                                   → 4 584 522
        #expect(model.parameterCount == 4_584_522)
        let names = model.stateDict().map(\.name)
        #expect(names.prefix(7) == ["features.0.weight", "features.1.weight", "features.1.bias",
                                    "features.1.running_mean", "features.1.running_var",
                                    "features.1.num_batches_tracked", "features.3.weight"])
        #expect(names.suffix(2) == ["classifier.weight", "classifier.bias"])
        #expect(names.count == 6 * 6 + 2)
        #expect(model.modules(ofType: NeuronLayer.self).count == 6)

        // PLIF adds one 0-d w per neuron layer, at features.2, 5, 9, 12, 16, 19.
        var rng2 = PhiloxGenerator(seed: 31)
        let plif = VGGSmall(neuron: NeuronSpec(.plif, timeSteps: 2), rng: &rng2)
        #expect(plif.parameterCount == 4_584_522 + 6)
        #expect(plif.namedParameters().map(\.name).filter { $0.hasSuffix(".w") }
                == ["features.2.w", "features.5.w", "features.9.w", "features.12.w", "features.16.w", "features.19.w"])
    }

    @Test("VGGSmall maps images or time-major frames to per-sample logits")
    func vggSmallForward() {
        var rng = PhiloxGenerator(seed: 32)
        // Width 0.25: channels 16, 32, 64, 64, 128, 128.
        // conv 3·16·9 + 16·32·9 + 32·64·9 + 64·64·9 + 64·128·9 + 128·128·9 = 281 520;
        // BN 2·(16 + 32 + 64 + 64 + 128 + 128) = 864; classifier 128·16·7 + 7 = 14 343 → 296 727.
        let model = VGGSmall(neuron: NeuronSpec(.lif, timeSteps: 2), numClasses: 7, width: 0.25, rng: &rng)
        #expect(model.parameterCount == 296_727)
        let images = Tensor.uniform([3, 3, 32, 32], rng: &rng)
        #expect(model.foldedLogits(images).shape == [6, 7])
        #expect(model(images).shape == [3, 7])
        model.eval()
        // A time-major input of T copies is the same as the repeated image batch.
        let frames = Tensor.ones([2, 1, 1, 1, 1]) * images.unsqueezed(axis: 0)
        #expect(model(frames).array == model(images).array)
    }

    @Test("the ReLU twin of an architecture has the same state names and runs one step")
    func annTwin() {
        var a = PhiloxGenerator(seed: 33), b = PhiloxGenerator(seed: 33)
        let snn = SpikingCNN28(neuron: NeuronSpec(.lif, timeSteps: 4), rng: &a)
        let ann = SpikingCNN28(neuron: NeuronSpec(.relu), rng: &b)
        #expect(snn.stateDict().map(\.name) == ann.stateDict().map(\.name))
        #expect(snn.timeSteps == 4 && ann.timeSteps == 1)
        let images = Tensor.uniform([2, 1, 28, 28], rng: &a)
        #expect(ann.foldedLogits(images).shape == [2, 10])
        // Same seed, same weights: loading one into the other is exact.
        #expect(throws: Never.self) { try ann.loadStateDict(snn.stateDict()) }
    }

    @Test("SpikingCNN28 has the hand-counted number of parameters and maps 28×28 images to logits")
    func spikingCNN28() {
        var rng = PhiloxGenerator(seed: 34)
        let model = SpikingCNN28(neuron: NeuronSpec(.lif, timeSteps: 4), rng: &rng)
        // conv 1·32·9 = 288, BN 64; conv 32·64·9 = 18 432, BN 128; classifier 64·7·7·10 + 10 = 31 370.
        #expect(model.parameterCount == 288 + 64 + 18_432 + 128 + 31_370)
        #expect(model.parameterCount == 50_282)
        #expect(model.namedParameters().map(\.name) == [
            "features.0.weight", "features.1.weight", "features.1.bias", "features.4.weight", "features.5.weight",
            "features.5.bias", "classifier.weight", "classifier.bias",
        ])
        let images = Tensor.uniform([5, 1, 28, 28], rng: &rng)
        #expect(model.foldedLogits(images).shape == [20, 10])
        #expect(model(images).shape == [5, 10])
        let half = SpikingCNN28(neuron: NeuronSpec(.lif, timeSteps: 4), numClasses: 3, width: 0.5, rng: &rng)
        // conv 1·16·9 = 144, BN 32; conv 16·32·9 = 4 608, BN 64; classifier 32·49·3 + 3 = 4 707.
        #expect(half.parameterCount == 144 + 32 + 4_608 + 64 + 4_707)
    }

    @Test("one SGD step lowers the loss of SpikingCNN28 on a fixed batch (LIF, T = 2)")
    func spikingCNN28Step() {
        var rng = PhiloxGenerator(seed: 35)
        let model = SpikingCNN28(neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        let (before, after) = lossBeforeAndAfterOneStep(model, fixedBatch(16, [1, 28, 28], seed: 36), lr: 0.1)
        #expect(after < before, "loss \(before) → \(after)")
    }

    @Test("one SGD step lowers the loss of VGGSmall on a fixed batch (LIF, T = 2)")
    func vggSmallStep() {
        var rng = PhiloxGenerator(seed: 37)
        let model = VGGSmall(neuron: NeuronSpec(.lif, timeSteps: 2), width: 0.25, rng: &rng)
        let (before, after) = lossBeforeAndAfterOneStep(model, fixedBatch(8, [3, 32, 32], seed: 38), lr: 0.1)
        #expect(after < before, "loss \(before) → \(after)")
    }
}
