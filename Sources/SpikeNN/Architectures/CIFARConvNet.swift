import SpikeTensor

/// PSU's static-image network for CIFAR (`cifar_convnet`, psu.md's reading of the authors'
/// BrainCog script): four conv 3×3 (no bias) → BN → neuron stages of 256, 256, 512 and 1024
/// channels with a 2×2 average pooling between consecutive stages, then global average
/// pooling and one linear layer:
///
///     features: 256, AP2, 256, AP2, 512, AP2, 1024             (32 → 16 → 8 → 4)
///     avgpool (global) → flatten → classifier: linear(1024 → classes)     (channels × width)
///
/// State names: `features.0.weight` (conv), `features.1.*` (BN), `features.2.*` (neuron), …,
/// `classifier.weight`/`.bias`. Input: images [N, C, 32, 32] (direct encoding) or [T, N, C, H,
/// W]; output logits [N, classes], the mean over time.
public final class CIFARConvNet: Module, UnaryLayer {
    /// Convolutional body, run on time-folded tensors [T·N, C, H, W].
    public let features: Sequential
    /// Global average pooling.
    public let avgpool: AdaptiveAvgPool2d
    /// [T·N, C, 1, 1] → [T·N, C].
    public let flatten: Flatten
    /// The per-step classifier.
    public let classifier: Linear
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int
    /// Input channels.
    public let inChannels: Int

    /// The stage widths before scaling.
    public static let stageChannels = [256, 256, 512, 1024]

    /// A CIFARConvNet whose neurons are `neuron`, channels scaled by `width`, drawing every
    /// initial value from `rng` in layer order.
    public init(neuron: NeuronSpec, numClasses: Int = 10, inChannels: Int = 3, width: Float = 1,
                rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "CIFARConvNet: numClasses must be positive, got \(numClasses)")
        timeSteps = neuron.foldedSteps
        self.inChannels = inChannels
        var layers: [any UnaryLayer] = []
        var channels = inChannels
        for (index, base) in Self.stageChannels.enumerated() {
            if index > 0 { layers.append(AvgPool2d(2)) }
            let out = scaledChannels(base, width: width)
            layers.append(Conv2d(channels, out, kernelSize: 3, padding: 1, bias: false, rng: &rng))
            layers.append(BatchNorm2d(out))
            layers.append(NeuronLayer(spec: neuron, rng: &rng))
            channels = out
        }
        features = Sequential(layers)
        avgpool = AdaptiveAvgPool2d(1)
        flatten = Flatten()
        classifier = Linear(channels, numClasses, rng: &rng)
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == inChannels,
                     "CIFARConvNet: expects \(inChannels)-channel images, got input shape \(images.shape)")
        return classifier(flatten(avgpool(features(x))))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedLogits(images), timeSteps: timeSteps)
    }
}
