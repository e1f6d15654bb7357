import SpikeTensor

/// A small spiking CNN for 28×28 grey images (Fashion-MNIST, the demo experiment):
///
///     features: conv3×3(in→32) → BN → neuron → max-pool 2         (28 → 14)
///               conv3×3(32→64) → BN → neuron → max-pool 2          (14 → 7)
///     [adaptive average pool to 7×7, only for other input sizes]
///     flatten → classifier: linear(64·7·7 → classes)               (channels × width)
///
/// `inChannels` 2 with 34×34 inputs serves N-MNIST event frames (OFF, ON): 34 → 17 → 8, pooled
/// adaptively to 7×7 (PyTorch's `AdaptiveAvgPool2d` bins), so the classifier is the same size.
///
/// Convolutions have no bias (BN follows). Pooling before the second convolution keeps the
/// work small (about 4 M multiply-adds per image and step), so an epoch of Fashion-MNIST at
/// T = 4 fits in minutes on two cores.
///
/// Input: an image batch [N, C, H, W], repeated over the T steps inside the model (direct
/// encoding), or a time-major batch [T, N, C, H, W] (event frames: a different input at every
/// step). Output: logits [N, classes], the mean over time of the per-step logits.
public final class SpikingCNN28: Module, UnaryLayer {
    /// Convolutional body, run on time-folded tensors [T·N, C, H, W].
    public let features: Sequential
    /// Brings feature maps of inputs other than 28×28 to 7×7 (unused for 28×28; no parameters).
    public let pool: AdaptiveAvgPool2d
    /// [T·N, C, 7, 7] → [T·N, C·49].
    public let flatten: Flatten
    /// The per-step classifier.
    public let classifier: Linear
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int
    /// Channels of the input images or frames.
    public let inChannels: Int

    /// A SpikingCNN28 whose neurons are `neuron`, channels scaled by `width`, drawing every
    /// initial value from `rng` in layer order.
    public init(neuron: NeuronSpec, numClasses: Int = 10, width: Float = 1, inChannels: Int = 1,
                rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "SpikingCNN28: numClasses must be positive, got \(numClasses)")
        precondition(inChannels >= 1, "SpikingCNN28: inChannels must be positive, got \(inChannels)")
        timeSteps = neuron.foldedSteps
        self.inChannels = inChannels
        let c1 = scaledChannels(32, width: width), c2 = scaledChannels(64, width: width)
        features = Sequential([
            Conv2d(inChannels, c1, kernelSize: 3, padding: 1, bias: false, rng: &rng),
            BatchNorm2d(c1),
            NeuronLayer(spec: neuron, rng: &rng),
            MaxPool2d(2),
            Conv2d(c1, c2, kernelSize: 3, padding: 1, bias: false, rng: &rng),
            BatchNorm2d(c2),
            NeuronLayer(spec: neuron, rng: &rng),
            MaxPool2d(2),
        ])
        pool = AdaptiveAvgPool2d(7)
        flatten = Flatten()
        classifier = Linear(c2 * 7 * 7, numClasses, rng: &rng)
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == inChannels && x.shape[2] >= 28 && x.shape[3] >= 28,
                     "SpikingCNN28: expects \(inChannels)×H×W inputs with H, W ≥ 28, got input shape \(images.shape)")
        var maps = features(x)
        if maps.shape[2] != 7 || maps.shape[3] != 7 { maps = pool(maps) }
        return classifier(flatten(maps))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedLogits(images), timeSteps: timeSteps)
    }
}
