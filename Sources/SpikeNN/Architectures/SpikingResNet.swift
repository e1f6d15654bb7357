import SpikeTensor

/// A spiking ResNet of basic blocks for small images (CIFAR stem: conv 3×3, stride 1, no
/// max-pool), the family behind `resnet18`, `resnet19`, `resnet20`, `resnet34` and
/// `sew_resnet18` (see `ResNetLayout` for each one's stages and source):
///
///     conv1: conv3×3(in → stem, no bias) → bn1 → sn1
///     layer1 … layerK: BasicBlock × blocks, the first of each stage with the stage's stride
///     avgpool: global average pooling → flatten
///     head: fc(C → classes), or fc1(C → hidden) → sn_fc → fc2(hidden → classes) (ResNet-19)
///
/// Everything but the neurons runs on time-folded tensors [T·N, …]; the logits are the mean
/// over time of the per-step logits. State names are torchvision's (`conv1.weight`,
/// `layer1.0.conv1.weight`, `layer2.0.downsample.0.weight`, `fc.weight`). With
/// `NeuronSpec(.relu)` the same code builds the ANN twin with the same names.
///
/// Input: an image batch [N, C, H, W] repeated over the T steps (direct encoding), or a
/// time-major batch [T, N, C, H, W]. Output: logits [N, classes].
public final class SpikingResNet: Module, UnaryLayer {
    /// Stem convolution.
    public let conv1: Conv2d
    /// Stem BN.
    public let bn1: BatchNorm2d
    /// Stem neuron.
    public let sn1: NeuronLayer
    /// Stage 1.
    public let layer1: Sequential
    /// Stage 2.
    public let layer2: Sequential
    /// Stage 3 (every layout has at least three stages).
    public let layer3: Sequential
    /// Stage 4, absent in three-stage layouts (ResNet-19, ResNet-20).
    public let layer4: Sequential?
    /// Global average pooling.
    public let avgpool: AdaptiveAvgPool2d
    /// [T·N, C, 1, 1] → [T·N, C].
    public let flatten: Flatten
    /// The classifier of a one-layer head.
    public let fc: Linear?
    /// First layer of a two-layer head (ResNet-19: C → 256).
    public let fc1: Linear?
    /// Neuron between the two head layers.
    public let snFc: NeuronLayer?
    /// Second layer of a two-layer head (hidden → classes).
    public let fc2: Linear?
    /// The layout this network was built from (channels before width scaling).
    public let layout: ResNetLayout
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int
    /// Input channels the stem expects.
    public let inChannels: Int

    /// A network of `layout` whose neurons are `neuron`, every channel count (and the hidden
    /// head width) scaled by `width`, drawing every initial value from `rng` in layer order.
    public init(layout: ResNetLayout, neuron: NeuronSpec, numClasses: Int = 10, inChannels: Int = 3,
                width: Float = 1, rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "SpikingResNet: numClasses must be positive, got \(numClasses)")
        precondition((3...4).contains(layout.stages.count),
                     "SpikingResNet: a layout has 3 or 4 stages, got \(layout.stages.count)")
        precondition(layout.stages.allSatisfy { $0.blocks >= 1 }, "SpikingResNet: every stage needs a block")
        self.layout = layout
        self.inChannels = inChannels
        timeSteps = neuron.foldedSteps
        let stem = scaledChannels(layout.stemChannels, width: width)
        conv1 = Conv2d(inChannels, stem, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(stem)
        sn1 = NeuronLayer(spec: neuron, rng: &rng)
        var channels = stem
        var stages: [Sequential] = []
        for stage in layout.stages {
            let out = scaledChannels(stage.channels, width: width)
            var blocks: [any UnaryLayer] = []
            for index in 0..<stage.blocks {
                blocks.append(BasicBlock(channels, out, stride: index == 0 ? stage.stride : 1,
                                         connection: layout.connection, neuron: neuron, rng: &rng))
                channels = out
            }
            stages.append(Sequential(blocks))
        }
        layer1 = stages[0]
        layer2 = stages[1]
        layer3 = stages[2]
        layer4 = stages.count > 3 ? stages[3] : nil
        avgpool = AdaptiveAvgPool2d(1)
        flatten = Flatten()
        if let hidden = layout.hiddenFeatures {
            let h = scaledChannels(hidden, width: width)
            fc = nil
            fc1 = Linear(channels, h, rng: &rng)
            snFc = NeuronLayer(spec: neuron, rng: &rng)
            fc2 = Linear(h, numClasses, rng: &rng)
        } else {
            fc = Linear(channels, numClasses, rng: &rng)
            fc1 = nil
            snFc = nil
            fc2 = nil
        }
    }

    /// The blocks of every stage, in order.
    public var blocks: [BasicBlock] {
        ([layer1, layer2, layer3] + (layer4.map { [$0] } ?? [])).flatMap { $0.layers.map { $0 as! BasicBlock } }
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == inChannels,
                     "SpikingResNet(\(layout.name)): expects \(inChannels)-channel images, got input shape \(images.shape)")
        var y = layer3(layer2(layer1(sn1(bn1(conv1(x))))))
        if let layer4 { y = layer4(y) }
        y = flatten(avgpool(y))
        if let fc { return fc(y) }
        return fc2!(snFc!(fc1!(y)))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedLogits(images), timeSteps: timeSteps)
    }
}
