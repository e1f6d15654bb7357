import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

// Parameter counts are written out layer by layer with these three helpers, independently of
// the builders' loops: a conv k×k without bias, a BN's γ and β, a linear layer with bias.
private func conv(_ i: Int, _ o: Int, _ k: Int = 3) -> Int { i * o * k * k }
private func conv1d(_ i: Int, _ o: Int, _ k: Int = 3) -> Int { i * o * k }
private func bn(_ c: Int) -> Int { 2 * c }
private func fc(_ i: Int, _ o: Int) -> Int { i * o + o }

/// A basic block without a shortcut projection: two 3×3 convolutions of c channels and their BNs.
private func plainBlock(_ c: Int) -> Int { 2 * conv(c, c) + 2 * bn(c) }
/// The first block of a stage that changes width: conv i→o, conv o→o, BNs, 1×1 projection + BN.
private func projectionBlock(_ i: Int, _ o: Int) -> Int { conv(i, o) + conv(o, o) + 2 * bn(o) + conv(i, o, 1) + bn(o) }

/// A fixed batch of `count` samples of `shape` with labels 0..<classes, drawn from `seed`.
private func fixedBatch(_ count: Int, _ shape: [Int], classes: Int = 10, seed: UInt64) -> (images: Tensor, labels: Tensor) {
    var rng = PhiloxGenerator(seed: seed)
    let images = Tensor.uniform([count] + shape, rng: &rng)
    let labels = Tensor(int32: (0..<count).map { Int32($0 % classes) })
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

/// Two evaluation-mode forwards of the same input give the same bits.
private func evalIsDeterministic(_ model: some UnaryLayer, _ input: Tensor) -> Bool {
    model.eval()
    let a = noGrad { model(input).array }, b = noGrad { model(input).array }
    model.train()
    return a == b
}

@Suite("Paper architectures")
struct PaperArchitectureTests {
    // MARK: - Parameter counts at width 1

    @Test("ResNet-19 has the layer-by-layer count: 12 697 994 parameters for 10 classes")
    func resnet19Count() {
        var rng = PhiloxGenerator(seed: 1)
        let model = SpikingResNet(layout: .resnet19, neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        let stem = conv(3, 128) + bn(128)
        let layer1 = 3 * plainBlock(128)
        let layer2 = projectionBlock(128, 256) + 2 * plainBlock(256)
        let layer3 = projectionBlock(256, 512) + plainBlock(512)
        let head = fc(512, 256) + fc(256, 10)
        #expect(model.parameterCount == stem + layer1 + layer2 + layer3 + head)
        #expect(model.parameterCount == 12_697_994)
        // With a single FC 512 → classes instead of the hidden spiking FC (for the docs' comparison).
        #expect(model.parameterCount - fc(512, 256) - fc(256, 10) + fc(512, 10) == 12_569_226)
        #expect(model.blocks.count == 8)
        // 1 stem conv + 16 block convs + 2 FC = 19 weight layers (shortcut projections aside).
        let weights = model.namedParameters().filter { $0.name.hasSuffix("weight") && $0.tensor.rank >= 2 }
        #expect(weights.filter { !$0.name.contains("downsample") }.count == 19)
    }

    @Test("ResNet-20 has the layer-by-layer count, 0.27 M as in He et al. 2016 Table 6")
    func resnet20Count() {
        var rng = PhiloxGenerator(seed: 2)
        let model = SpikingResNet(layout: .resnet20, neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        let expected = conv(3, 16) + bn(16) + 3 * plainBlock(16)
            + projectionBlock(16, 32) + 2 * plainBlock(32) + projectionBlock(32, 64) + 2 * plainBlock(64) + fc(64, 10)
        #expect(model.parameterCount == expected)
        #expect(model.parameterCount == 272_474)
        // He et al.'s shortcut A (zero padding, no parameters) instead of the two projections.
        #expect(model.parameterCount - (conv(16, 32, 1) + bn(32) + conv(32, 64, 1) + bn(64)) == 269_722)
        #expect((Double(model.parameterCount) / 1e6 * 100).rounded() / 100 == 0.27)
        let weights = model.namedParameters().filter { $0.name.hasSuffix("weight") && $0.tensor.rank >= 2 }
        #expect(weights.filter { !$0.name.contains("downsample") }.count == 20)
    }

    @Test("CIFAR ResNet-18 and ResNet-34 have the layer-by-layer counts (11 173 962 and 21 282 122)")
    func resnet18And34Counts() {
        var rng = PhiloxGenerator(seed: 3)
        let stem = conv(3, 64) + bn(64)
        let r18 = SpikingResNet(layout: .resnet18, neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        let expected18 = stem + 2 * plainBlock(64) + projectionBlock(64, 128) + plainBlock(128)
            + projectionBlock(128, 256) + plainBlock(256) + projectionBlock(256, 512) + plainBlock(512) + fc(512, 10)
        #expect(r18.parameterCount == expected18)
        #expect(r18.parameterCount == 11_173_962)
        let r34 = SpikingResNet(layout: .resnet34, neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        let expected34 = stem + 3 * plainBlock(64) + projectionBlock(64, 128) + 3 * plainBlock(128)
            + projectionBlock(128, 256) + 5 * plainBlock(256) + projectionBlock(256, 512) + 2 * plainBlock(512) + fc(512, 10)
        #expect(r34.parameterCount == expected34)
        #expect(r34.parameterCount == 21_282_122)
    }

    @Test("SEW-ResNet-18 has ResNet-18's weights plus one neuron on each projection shortcut")
    func sewResNet18Count() {
        var rng = PhiloxGenerator(seed: 4)
        let lif = SpikingResNet(layout: .sewResNet18, neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        #expect(lif.parameterCount == 11_173_962)
        // PLIF has one w per neuron layer: stem 1 + 8 blocks × 2 + 3 shortcut neurons = 20.
        let plif = SpikingResNet(layout: .sewResNet18, neuron: NeuronSpec(.plif, timeSteps: 2), rng: &rng)
        #expect(plif.parameterCount == 11_173_962 + 20)
        #expect(plif.namedParameters().map(\.name).contains("layer2.0.downsample.2.w"))
        // The spiking ResNet-18 has no shortcut neurons: 17 neuron layers.
        let spiking = SpikingResNet(layout: .resnet18, neuron: NeuronSpec(.plif, timeSteps: 2), rng: &rng)
        #expect(spiking.parameterCount == 11_173_962 + 17)
    }

    @Test("VGG-11, VGG-16 and the DVS VGG have the layer-by-layer counts")
    func vggCounts() {
        var rng = PhiloxGenerator(seed: 5)
        let spec = NeuronSpec(.lif, timeSteps: 2)
        let vgg11 = SpikingVGG(plan: SpikingVGG.vgg11Plan, neuron: spec, rng: &rng)
        let convs11 = conv(3, 64) + conv(64, 128) + conv(128, 256) + conv(256, 256) + conv(256, 512) + 3 * conv(512, 512)
        let bns11 = bn(64) + bn(128) + 2 * bn(256) + 4 * bn(512)
        #expect(vgg11.parameterCount == convs11 + bns11 + fc(512, 10))
        #expect(vgg11.parameterCount == 9_228_362)
        let vgg16 = SpikingVGG(plan: SpikingVGG.vgg16Plan, neuron: spec, rng: &rng)
        let convs16 = conv(3, 64) + conv(64, 64) + conv(64, 128) + conv(128, 128) + conv(128, 256) + 2 * conv(256, 256)
            + conv(256, 512) + 5 * conv(512, 512)
        let bns16 = 2 * bn(64) + 2 * bn(128) + 3 * bn(256) + 6 * bn(512)
        #expect(vgg16.parameterCount == convs16 + bns16 + fc(512, 10))
        // The common PyTorch CIFAR VGG-16 (convolutions with bias) has 14 728 266; ours drops the 4 224 conv biases.
        #expect(vgg16.parameterCount + (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512) == 14_728_266)
        let dvs = SpikingVGG(plan: SpikingVGG.dvsPlan, neuron: spec, inChannels: 2, inputSize: 48, rng: &rng)
        let convsDVS = conv(2, 64) + conv(64, 128) + conv(128, 256) + conv(256, 256) + conv(256, 512) + 3 * conv(512, 512)
        #expect(dvs.parameterCount == convsDVS + bns11 + fc(512 * 3 * 3, 10))
        #expect(dvs.parameterCount == 9_268_746)
    }

    @Test("PSU's cifar_convnet and the sequential-CIFAR Conv1d net have the layer-by-layer counts")
    func psuNetCounts() {
        var rng = PhiloxGenerator(seed: 6)
        let convnet = CIFARConvNet(neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        #expect(convnet.parameterCount == conv(3, 256) + conv(256, 256) + conv(256, 512) + conv(512, 1024)
            + bn(256) + bn(256) + bn(512) + bn(1024) + fc(1024, 10))
        #expect(convnet.parameterCount == 6_509_322)
        let seq = SeqCIFARConv1d(neuron: NeuronSpec(.lif, timeSteps: 32), rng: &rng)
        #expect(seq.parameterCount == conv1d(3, 128) + 5 * conv1d(128, 128) + 6 * bn(128) + fc(128 * 8, 256) + fc(256, 10))
        #expect(seq.parameterCount == 513_418)
    }

    // MARK: - Names

    @Test("state names are PyTorch's: torchvision's for the ResNets, Sequential indices for the VGGs")
    func stateNames() {
        var rng = PhiloxGenerator(seed: 7)
        let r19 = SpikingResNet(layout: .resnet19, neuron: NeuronSpec(.plif, timeSteps: 2), width: 0.0625, rng: &rng)
        let names = Set(r19.stateDict().map(\.name))
        for name in ["conv1.weight", "bn1.weight", "bn1.running_var", "sn1.w", "layer1.0.conv1.weight",
                     "layer1.2.bn2.num_batches_tracked", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias",
                     "layer3.1.sn2.w", "fc1.weight", "sn_fc.w", "fc2.bias"] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(!names.contains("layer1.0.downsample.0.weight"))  // identity shortcut
        #expect(!names.contains { $0.hasPrefix("layer4") || $0.hasPrefix("fc.") })
        let r18 = SpikingResNet(layout: .resnet18, neuron: NeuronSpec(.lif, timeSteps: 2), width: 0.0625, rng: &rng)
        #expect(r18.namedParameters().map(\.name).suffix(3) == ["layer4.1.bn2.bias", "fc.weight", "fc.bias"])
        let seq = SeqCIFARConv1d(neuron: NeuronSpec(.lif, timeSteps: 32), width: 0.0625, rng: &rng)
        #expect(seq.namedParameters().map(\.name).suffix(4)
                == ["classifier.0.weight", "classifier.0.bias", "classifier.2.weight", "classifier.2.bias"])
        let vgg = SpikingVGG(plan: SpikingVGG.vgg11Plan, neuron: NeuronSpec(.lif, timeSteps: 2), width: 0.0625, rng: &rng)
        // conv, BN, neuron, pool, conv …: the second conv is features.4.
        #expect(vgg.namedParameters().map(\.name).prefix(4)
                == ["features.0.weight", "features.1.weight", "features.1.bias", "features.4.weight"])
    }

    // MARK: - Forward shapes

    @Test("every ResNet maps images and time-major frames to per-sample logits")
    func resnetShapes() {
        var rng = PhiloxGenerator(seed: 8)
        for layout in [ResNetLayout.resnet18, .resnet19, .resnet20, .resnet34, .sewResNet18] {
            let model = SpikingResNet(layout: layout, neuron: NeuronSpec(.lif, timeSteps: 2), numClasses: 7,
                                      width: 0.0625, rng: &rng)
            let images = Tensor.uniform([3, 3, 16, 16], rng: &rng)
            #expect(model.foldedLogits(images).shape == [6, 7], "\(layout.name)")
            #expect(model(images).shape == [3, 7], "\(layout.name)")
            model.eval()
            let frames = Tensor.ones([2, 1, 1, 1, 1]) * images.unsqueezed(axis: 0)
            #expect(model(frames).array == model(images).array, "\(layout.name)")
        }
    }

    @Test("the VGGs, cifar_convnet and the DVS VGG map their inputs to per-sample logits")
    func plainShapes() {
        var rng = PhiloxGenerator(seed: 9)
        let spec = NeuronSpec(.lif, timeSteps: 2)
        let vgg16 = SpikingVGG(plan: SpikingVGG.vgg16Plan, neuron: spec, numClasses: 5, width: 0.0625, rng: &rng)
        #expect(vgg16(Tensor.uniform([2, 3, 32, 32], rng: &rng)).shape == [2, 5])
        let convnet = CIFARConvNet(neuron: spec, numClasses: 100, width: 0.03125, rng: &rng)
        #expect(convnet.foldedLogits(Tensor.uniform([2, 3, 32, 32], rng: &rng)).shape == [4, 100])
        // Event frames [T, N, 2, 48, 48].
        let dvs = SpikingVGG(plan: SpikingVGG.dvsPlan, neuron: NeuronSpec(.lif, timeSteps: 3), inChannels: 2,
                             inputSize: 48, width: 0.0625, rng: &rng)
        #expect(dvs(Tensor.uniform([3, 2, 2, 48, 48], rng: &rng)).shape == [2, 10])
        #expect(dvs.foldedLogits(Tensor.uniform([3, 2, 2, 48, 48], rng: &rng)).shape == [6, 10])
    }

    @Test("the sequential-CIFAR net reads one column per step, from images or [N, 32, 96] sequences alike")
    func sequentialShapes() {
        var rng = PhiloxGenerator(seed: 10)
        let model = SeqCIFARConv1d(neuron: NeuronSpec(.lif, timeSteps: 32), width: 0.0625, rng: &rng)
        let images = Tensor.uniform([2, 3, 32, 32], rng: &rng)
        // Step t's vector is column t, channel-major: feature c·32 + h = pixel (c, h, t).
        let sequences = images.permuted([0, 3, 1, 2]).reshaped([2, 32, 96])
        let columns = model.foldedColumns(sequences)
        #expect(columns.shape == [64, 3, 32])
        #expect(columns.array == model.foldedColumns(images).array)
        let pixels = images.array, folded = columns.array
        // Row t·N + n of the folded columns is sample n's column t: check one pixel by hand.
        let (n, c, h, t) = (1, 2, 5, 17)
        #expect(folded[((t * 2 + n) * 3 + c) * 32 + h] == pixels[((n * 3 + c) * 32 + h) * 32 + t])
        #expect(model(sequences).shape == [2, 10])
        model.eval()
        #expect(model(sequences).array == model(images).array)
    }

    @Test("a SEW block adds spikes: its output counts 0, 1 or 2 spikes per unit")
    func sewAddsSpikes() {
        var rng = PhiloxGenerator(seed: 11)
        let block = BasicBlock(4, 4, connection: .sewAdd, neuron: NeuronSpec(.if, timeSteps: 2, vThreshold: 0.1), rng: &rng)
        let spikes = Tensor(Tensor.uniform([4, 4, 6, 6], rng: &rng).array.map { $0 > 0.5 ? 1 : 0 }, shape: [4, 4, 6, 6])
        let y = block(spikes).array
        #expect(y.allSatisfy { [0, 1, 2].contains($0) })
        #expect(y.contains(2))
        // The spiking-ResNet block ends in a neuron: binary output.
        let plain = BasicBlock(4, 4, connection: .afterAdd, neuron: NeuronSpec(.if, timeSteps: 2, vThreshold: 0.1), rng: &rng)
        #expect(plain(spikes).array.allSatisfy { $0 == 0 || $0 == 1 })
    }

    // MARK: - Training and determinism

    @Test("one SGD step lowers the loss of each architecture on a fixed batch (LIF)")
    func oneStepLowersLoss() {
        var rng = PhiloxGenerator(seed: 12)
        let spec = NeuronSpec(.lif, timeSteps: 2)
        let cases: [(String, any UnaryLayer, (images: Tensor, labels: Tensor))] = [
            ("resnet19", SpikingResNet(layout: .resnet19, neuron: spec, width: 0.0625, rng: &rng), fixedBatch(8, [3, 16, 16], seed: 13)),
            ("resnet20", SpikingResNet(layout: .resnet20, neuron: spec, width: 0.5, rng: &rng), fixedBatch(8, [3, 16, 16], seed: 14)),
            ("sew_resnet18", SpikingResNet(layout: .sewResNet18, neuron: spec, width: 0.0625, rng: &rng), fixedBatch(8, [3, 16, 16], seed: 15)),
            ("vgg11", SpikingVGG(plan: SpikingVGG.vgg11Plan, neuron: spec, width: 0.25, rng: &rng), fixedBatch(8, [3, 32, 32], seed: 16)),
            ("cifar_convnet", CIFARConvNet(neuron: spec, width: 0.0625, rng: &rng), fixedBatch(8, [3, 32, 32], seed: 17)),
            ("seq_cifar_conv1d", SeqCIFARConv1d(neuron: NeuronSpec(.lif, timeSteps: 32), width: 0.125, rng: &rng),
             fixedBatch(8, [32, 96], seed: 18)),
        ]
        for (name, model, batch) in cases {
            let (before, after) = lossBeforeAndAfterOneStep(model, batch, lr: 0.05)
            #expect(after < before, "\(name): loss \(before) → \(after)")
        }
    }

    @Test("evaluation-mode forwards are bit-for-bit repeatable")
    func evalDeterminism() {
        var rng = PhiloxGenerator(seed: 19)
        let spec = NeuronSpec(.lif, timeSteps: 2)
        let images = Tensor.uniform([2, 3, 16, 16], rng: &rng)
        #expect(evalIsDeterministic(SpikingResNet(layout: .resnet19, neuron: spec, width: 0.0625, rng: &rng), images))
        #expect(evalIsDeterministic(SpikingResNet(layout: .sewResNet18, neuron: spec, width: 0.0625, rng: &rng), images))
        #expect(evalIsDeterministic(CIFARConvNet(neuron: spec, width: 0.0625, rng: &rng), images))
        let seq = SeqCIFARConv1d(neuron: NeuronSpec(.lif, timeSteps: 32), width: 0.0625, rng: &rng)
        #expect(evalIsDeterministic(seq, Tensor.uniform([2, 32, 96], rng: &rng)))
    }

    @Test("the ANN twin (ReLU) of a ResNet has the same state names and loads the SNN's weights")
    func annTwin() throws {
        var a = PhiloxGenerator(seed: 20), b = PhiloxGenerator(seed: 20)
        let snn = SpikingResNet(layout: .resnet20, neuron: NeuronSpec(.lif, timeSteps: 4), rng: &a)
        let ann = SpikingResNet(layout: .resnet20, neuron: NeuronSpec(.relu), rng: &b)
        #expect(snn.stateDict().map(\.name) == ann.stateDict().map(\.name))
        #expect(snn.timeSteps == 4 && ann.timeSteps == 1)
        try ann.loadStateDict(snn.stateDict())
    }
}

@Suite("Spikformer")
struct SpikformerTests {
    @Test("Spikformer-4-384 has the layer-by-layer count, 9.32 M as in Zhou et al. 2023 (CIFAR-10)")
    func count() {
        var rng = PhiloxGenerator(seed: 30)
        let model = Spikformer(neuron: NeuronSpec(.lif, timeSteps: 2), rng: &rng)
        let d = 384
        let sps = conv(3, 48) + bn(48) + conv(48, 96) + bn(96) + conv(96, 192) + bn(192) + conv(192, 384) + bn(384)
            + conv(384, 384) + bn(384)
        let ssa = 4 * fc(d, d) + 4 * bn(d)
        let mlp = fc(d, 4 * d) + bn(4 * d) + fc(4 * d, d) + bn(d)
        #expect(model.parameterCount == sps + 4 * (ssa + mlp) + fc(d, 10))
        #expect(model.parameterCount == 9_324_730)
        #expect((Double(model.parameterCount) / 1e4).rounded() / 100 == 9.32)
        let names = Set(model.stateDict().map(\.name))
        for name in ["patch_embed.proj_conv.weight", "patch_embed.proj_bn3.running_mean", "patch_embed.rpe_conv.weight",
                     "block.0.attn.q_linear.weight", "block.3.attn.proj_bn.bias", "block.2.mlp.fc1_linear.bias",
                     "block.1.mlp.fc2_bn.weight", "head.weight"] {
            #expect(names.contains(name), "missing \(name)")
        }
    }

    @Test("Spikformer-8-512 with the ImageNet stem (8 heads, 1000 classes) has the layer-by-layer count, 29.70 M")
    func imageNetCount() {
        var rng = PhiloxGenerator(seed: 34)
        let model = Spikformer(neuron: NeuronSpec(.lif, timeSteps: 2), numClasses: 1000, embedDim: 512, depth: 8, heads: 8,
                               stem: .imagenet, rng: &rng)
        let d = 512
        let sps = conv(3, 64) + bn(64) + conv(64, 128) + bn(128) + conv(128, 256) + bn(256) + conv(256, 512) + bn(512)
            + conv(512, 512) + bn(512)
        let ssa = 4 * fc(d, d) + 4 * bn(d)
        let mlp = fc(d, 4 * d) + bn(4 * d) + fc(4 * d, d) + bn(d)
        #expect(model.embedDim == 512 && model.block.count == 8)
        #expect(model.parameterCount == sps + 8 * (ssa + mlp) + fc(d, 1000))
        #expect(model.parameterCount == 29_701_672)
        // The pools carry no parameters; the stem differs from the CIFAR one only in its token grid.
        #expect(model.patchEmbed.maxpool != nil && model.patchEmbed.maxpool1 != nil)
    }

    @Test("the ImageNet stem makes 14×14 tokens of a 224×224 image and 4×4 of a 64×64 one, and the model trains a step")
    func imageNetStemShapes() {
        var rng = PhiloxGenerator(seed: 35)
        // D = 16 (2 heads), so a 224×224 image is cheap: SPS 3 → 2 → 4 → 8 → 16 channels.
        let big = SpikingPatchSplitting(inChannels: 3, embedDim: 16, neuron: NeuronSpec(.lif, timeSteps: 1), stem: .imagenet, rng: &rng)
        #expect(big(Tensor.uniform([1, 3, 224, 224], rng: &rng)).shape == [1, 196, 16])
        let cifar = SpikingPatchSplitting(inChannels: 3, embedDim: 16, neuron: NeuronSpec(.lif, timeSteps: 1), stem: .cifar, rng: &rng)
        #expect(cifar(Tensor.uniform([1, 3, 64, 64], rng: &rng)).shape == [1, 256, 16])
        let model = Spikformer(neuron: NeuronSpec(.lif, timeSteps: 2), embedDim: 16, depth: 1, heads: 2, stem: .imagenet, rng: &rng)
        let batch = fixedBatch(4, [3, 64, 64], seed: 36)
        #expect(model.patchEmbed(batch.images).shape == [4, 16, 16])
        #expect(model(batch.images).shape == [4, 10])
        let (before, after) = lossBeforeAndAfterOneStep(model, batch, lr: 0.05)
        #expect(after < before, "loss \(before) → \(after)")
        #expect(evalIsDeterministic(model, batch.images))
    }

    @Test("Spikformer maps images to logits, trains one step and evaluates deterministically")
    func forwardAndStep() {
        var rng = PhiloxGenerator(seed: 31)
        // Width 1/16: D = 24 (2 per head), SPS 3 → 6 → 12 → 24, 64 tokens of a 32×32 image.
        let model = Spikformer(neuron: NeuronSpec(.lif, timeSteps: 2), depth: 1, width: 0.0625, rng: &rng)
        #expect(model.embedDim == 24)
        let batch = fixedBatch(4, [3, 32, 32], seed: 32)
        #expect(model.patchEmbed(foldTime(Tensor.ones([2, 1, 1, 1, 1]) * batch.images.unsqueezed(axis: 0))).shape == [8, 64, 24])
        #expect(model.foldedLogits(batch.images).shape == [8, 10])
        #expect(model(batch.images).shape == [4, 10])
        let (before, after) = lossBeforeAndAfterOneStep(model, batch, lr: 0.05)
        #expect(after < before, "loss \(before) → \(after)")
        #expect(evalIsDeterministic(model, batch.images))
    }

    @Test("spiking self-attention without softmax equals Q·Kᵀ·V·s computed by hand on one head")
    func attentionByHand() {
        var rng = PhiloxGenerator(seed: 33)
        // ReLU twin: every neuron is max(·, 0), so the attention path is easy to recompute.
        let ssa = SpikingSelfAttention(dim: 2, heads: 1, neuron: NeuronSpec(.relu), rng: &rng)
        ssa.eval()  // BN with running stats 0/1: y = x / √(1 + eps)
        let x = Tensor.uniform([1, 3, 2], rng: &rng)
        let y = noGrad { ssa(x) }.array
        let bnScale = 1 / (1 + Float(1e-5)).squareRoot()
        func project(_ layer: Linear, _ rows: [[Float]]) -> [[Float]] {
            let w = layer.weight.array, b = layer.bias!.array
            return rows.map { r in (0..<2).map { o in max(0, (w[o * 2] * r[0] + w[o * 2 + 1] * r[1] + b[o]) * bnScale) } }
        }
        let xs = x.array, rows = (0..<3).map { [xs[$0 * 2], xs[$0 * 2 + 1]] }
        let q = project(ssa.qLinear, rows), k = project(ssa.kLinear, rows), v = project(ssa.vLinear, rows)
        var mixed: [[Float]] = []
        for i in 0..<3 {
            var out: [Float] = [0, 0]
            for j in 0..<3 {
                let a = (q[i][0] * k[j][0] + q[i][1] * k[j][1]) * 0.125
                out[0] += a * v[j][0]
                out[1] += a * v[j][1]
            }
            mixed.append(out.map { max(0, $0) })
        }
        let expected = project(ssa.projLinear, mixed).flatMap { $0 }
        for (got, want) in zip(y, expected) { #expect(abs(got - want) < 1e-5, "\(y) vs \(expected)") }
    }
}

@Suite("Architecture building blocks")
struct ArchitectureBlockTests {
    @Test("AvgPool1d averages windows along the length, and its gradient matches finite differences")
    func avgPool1d() {
        let x = Tensor((0..<12).map(Float.init), shape: [1, 2, 6], requiresGrad: true)
        #expect(AvgPool1d(2)(x).array == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
        #expect(AvgPool1d(3, stride: 1)(x).shape == [1, 2, 4])
        #expect(AvgPool1d(3, stride: 1)(x).array.prefix(2) == [1, 2])
        let result = gradientCheck([x]) { AvgPool1d(2)($0[0]) }
        #expect(result.maxError < 1e-3, "\(result)")
    }

    // The ReLU twin in evaluation mode makes these blocks differentiable almost everywhere, so
    // autograd's gradient through the composition (permutes, batched matmuls, shortcut) can be
    // compared with finite differences.
    @Test("spiking self-attention's gradient (ReLU twin, eval) matches finite differences")
    func attentionGradient() {
        var rng = PhiloxGenerator(seed: 40)
        let ssa = SpikingSelfAttention(dim: 4, heads: 2, neuron: NeuronSpec(.relu), rng: &rng)
        ssa.eval()
        let x = Tensor.uniform([2, 3, 4], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let result = gradientCheck([x, ssa.qLinear.weight, ssa.vLinear.weight], step: 1e-3) { ssa($0[0]) }
        #expect(result.maxError < 5e-3, "\(result)")
    }

    @Test("a SEW block's gradient with a projection shortcut (ReLU twin, eval) matches finite differences")
    func blockGradient() {
        var rng = PhiloxGenerator(seed: 41)
        let block = BasicBlock(2, 3, stride: 2, connection: .sewAdd, neuron: NeuronSpec(.relu), rng: &rng)
        block.eval()
        let x = Tensor.uniform([2, 2, 4, 4], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let result = gradientCheck([x, block.conv1.weight, block.downsample![0].parameters()[0]], step: 1e-3) { block($0[0]) }
        #expect(result.maxError < 5e-3, "\(result)")
    }
}
