import SpikeTensor

/// A plain spiking VGG: [conv 3×3 (no bias) → BN → neuron] per channel entry, 2×2 average
/// pooling at each pool entry, then flatten → one linear classifier. It builds `vgg11`,
/// `vgg16` (CIFAR forms, 32×32 input, five pools to 1×1, FC 512 → classes) and `dvs_vgg`
/// (PSU's CIFAR10-DVS net, 48×48 event frames, four pools to 3×3, FC 512·3·3 → classes).
///
/// Average rather than max pooling, as many SNN VGGs use (a max over spikes is an OR) and as
/// ANN-to-SNN conversion needs. State names: `features.0.weight` (conv), `features.1.*` (BN),
/// `features.2.*` (neuron), …, `classifier.weight`/`.bias`.
///
/// Input: an image batch [N, C, H, W] repeated over the T steps (direct encoding), or a
/// time-major batch [T, N, C, H, W] (event frames). Output: logits [N, classes].
public final class SpikingVGG: Module, UnaryLayer {
    /// One entry of a VGG plan.
    public enum Entry: Sendable, Hashable {
        /// conv 3×3 → BN → neuron with this many output channels (before width scaling).
        case conv(Int)
        /// 2×2 average pooling, stride 2.
        case pool
    }

    /// Convolutional body, run on time-folded tensors [T·N, C, H, W].
    public let features: Sequential
    /// [T·N, C, h, w] → [T·N, C·h·w].
    public let flatten: Flatten
    /// The per-step classifier.
    public let classifier: Linear
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int
    /// Input channels.
    public let inChannels: Int
    /// Input height and width.
    public let inputSize: Int

    /// VGG-11 with BN, CIFAR form (Simonyan & Zisserman 2015 configuration A).
    public static let vgg11Plan: [Entry] = [
        .conv(64), .pool, .conv(128), .pool, .conv(256), .conv(256), .pool,
        .conv(512), .conv(512), .pool, .conv(512), .conv(512), .pool,
    ]
    /// VGG-16 with BN, CIFAR form (configuration D).
    public static let vgg16Plan: [Entry] = [
        .conv(64), .conv(64), .pool, .conv(128), .conv(128), .pool, .conv(256), .conv(256), .conv(256), .pool,
        .conv(512), .conv(512), .conv(512), .pool, .conv(512), .conv(512), .conv(512), .pool,
    ]
    /// PSU's CIFAR10-DVS VGG (psu.md): 64, 128, AP, 256, 256, AP, 512, 512, AP, 512, 512, AP.
    public static let dvsPlan: [Entry] = [
        .conv(64), .conv(128), .pool, .conv(256), .conv(256), .pool,
        .conv(512), .conv(512), .pool, .conv(512), .conv(512), .pool,
    ]

    /// A VGG of `plan` for `inChannels`×`inputSize`×`inputSize` inputs whose neurons are
    /// `neuron`, channels scaled by `width`, drawing every initial value from `rng` in layer order.
    public init(plan: [Entry], neuron: NeuronSpec, numClasses: Int = 10, inChannels: Int = 3, inputSize: Int = 32,
                width: Float = 1, rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "SpikingVGG: numClasses must be positive, got \(numClasses)")
        let pools = plan.filter { $0 == .pool }.count
        precondition(inputSize >= 1 && inputSize % (1 << pools) == 0,
                     "SpikingVGG: input size \(inputSize) is not divisible by 2^\(pools) (the plan's pools)")
        timeSteps = neuron.foldedSteps
        self.inChannels = inChannels
        self.inputSize = inputSize
        let (layers, channels) = Self.layers(plan: plan, neuron: neuron, inChannels: inChannels, width: width, rng: &rng)
        features = Sequential(layers)
        flatten = Flatten()
        let side = inputSize >> pools
        classifier = Linear(channels * side * side, numClasses, rng: &rng)
    }

    /// The body's layers for `plan` (conv 3×3 → BN → neuron per channel entry, 2×2 average
    /// pooling per pool entry) and its output channels, initial values drawn from `rng` in layer order.
    public static func layers(plan: [Entry], neuron: NeuronSpec, inChannels: Int, width: Float,
                              rng: inout PhiloxGenerator) -> (layers: [any UnaryLayer], channels: Int) {
        var layers: [any UnaryLayer] = []
        var channels = inChannels
        for entry in plan {
            switch entry {
            case .pool:
                layers.append(AvgPool2d(2))
            case .conv(let base):
                let out = scaledChannels(base, width: width)
                layers.append(Conv2d(channels, out, kernelSize: 3, padding: 1, bias: false, rng: &rng))
                layers.append(BatchNorm2d(out))
                layers.append(NeuronLayer(spec: neuron, rng: &rng))
                channels = out
            }
        }
        return (layers, channels)
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == inChannels && x.shape[2] == inputSize && x.shape[3] == inputSize,
                     "SpikingVGG: expects \(inChannels)×\(inputSize)×\(inputSize) inputs, got input shape \(images.shape)")
        return classifier(flatten(features(x)))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedLogits(images), timeSteps: timeSteps)
    }
}
