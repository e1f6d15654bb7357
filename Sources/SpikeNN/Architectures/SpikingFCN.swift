import SpikeTensor

/// A fully convolutional spiking segmenter in the FCN / DeepLab mould (arch `fcn`): a spiking
/// VGG-11 trunk cut after its third pool (output stride 8, `backbonePlan`), a spiking head
/// (conv 3×3 → BN → neuron) and a 1×1 convolution giving per-step class scores at 1/8 of the
/// input size. The scores are averaged over the T steps (the readout) and resized bilinearly
/// (`align_corners=False`) to the input's height and width.
///
/// State names: `backbone.0.weight` (conv), `backbone.1.*` (BN), `backbone.2.*` (neuron), …,
/// `head.0.weight`, `head.1.*`, `head.2.*`, `classifier.weight`/`.bias`.
///
/// Input: images [N, C, H, W] repeated over the T steps (direct encoding), or a time-major
/// batch [T, N, C, H, W]; H and W multiples of 8. Output: logits [N, classes, H, W].
public final class SpikingFCN: Module, UnaryLayer {
    /// The trunk: VGG-11's layers up to its fourth block, without the pool that ends it.
    public static let backbonePlan: [SpikingVGG.Entry] = [
        .conv(64), .pool, .conv(128), .pool, .conv(256), .conv(256), .pool, .conv(512), .conv(512),
    ]
    /// How much smaller than the input the class scores are before the final resize.
    public static let outputStride = 8
    /// Channels of the head's conv before width scaling.
    public static let headChannels = 256

    /// The trunk, run on time-folded tensors [T·N, C, H, W].
    public let backbone: Sequential
    /// conv 3×3 → BN → neuron.
    public let head: Sequential
    /// The per-step 1×1 class-score convolution (with bias).
    public let classifier: Conv2d
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int
    public let inChannels: Int
    public let numClasses: Int

    /// An FCN whose neurons are `neuron`, channels scaled by `width`, drawing every initial
    /// value from `rng` in layer order.
    public init(neuron: NeuronSpec, numClasses: Int, inChannels: Int = 3, width: Float = 1, rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "SpikingFCN: numClasses must be positive, got \(numClasses)")
        timeSteps = neuron.foldedSteps
        self.inChannels = inChannels
        self.numClasses = numClasses
        let (layers, channels) = SpikingVGG.layers(plan: Self.backbonePlan, neuron: neuron, inChannels: inChannels,
                                                   width: width, rng: &rng)
        backbone = Sequential(layers)
        let headOut = scaledChannels(Self.headChannels, width: width)
        head = Sequential([
            Conv2d(channels, headOut, kernelSize: 3, padding: 1, bias: false, rng: &rng),
            BatchNorm2d(headOut),
            NeuronLayer(spec: neuron, rng: &rng),
        ])
        classifier = Conv2d(headOut, numClasses, kernelSize: 1, rng: &rng)
    }

    /// Per-step class scores at 1/8 of the input size, folded: [T·N, classes, H/8, W/8].
    public func foldedScores(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == inChannels && x.shape[2] % Self.outputStride == 0 && x.shape[3] % Self.outputStride == 0,
                     "SpikingFCN: expects \(inChannels)-channel inputs whose height and width are multiples of \(Self.outputStride), got input shape \(images.shape)")
        return classifier(head(backbone(x)))
    }

    /// Logits [N, classes, H, W]: the per-step scores averaged over time, resized to the input's size.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        let height = images.shape[images.rank - 2], width = images.shape[images.rank - 1]
        let scores = meanOverTime(foldedScores(images), timeSteps: timeSteps)
        return upsampleBilinear2d(scores, size: (height, width))
    }
}
