import SpikeTensor

/// The reference spiking VGG for 32×32 images (CIFAR), in SpikingJelly's layout:
///
///     features: [conv3×3 (no bias) → BN → neuron] for 64, 128, avg-pool 2,
///               256, 256, avg-pool 2, 512, 512, avg-pool 2      (channels × width)
///     flatten → classifier: linear(512·4·4 → classes)
///
/// State names: `features.0.weight` (conv), `features.1.*` (BN), `features.2.*` (neuron
/// parameters, if any), …, `classifier.weight`/`.bias`. With `NeuronSpec(.relu)` the same code
/// builds the ANN twin with the same state names.
///
/// Input: an image batch [N, 3, 32, 32], repeated over the T steps inside the model (direct
/// encoding), or a time-major batch [T, N, 3, 32, 32]. Output: logits [N, classes], the mean
/// over time of the per-step logits.
public final class VGGSmall: Module, UnaryLayer {
    /// Convolutional body, run on time-folded tensors [T·N, C, H, W].
    public let features: Sequential
    /// [T·N, C, 4, 4] → [T·N, C·16].
    public let flatten: Flatten
    /// The per-step classifier.
    public let classifier: Linear
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int

    /// A VGGSmall whose neurons are `neuron`, channels scaled by `width`, drawing every
    /// initial value from `rng` in layer order.
    public init(neuron: NeuronSpec, numClasses: Int = 10, width: Float = 1, rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "VGGSmall: numClasses must be positive, got \(numClasses)")
        timeSteps = neuron.foldedSteps
        // nil marks a 2×2 average pooling.
        let plan: [Int?] = [64, 128, nil, 256, 256, nil, 512, 512, nil]
        var layers: [any UnaryLayer] = []
        var channels = 3
        for entry in plan {
            guard let base = entry else {
                layers.append(AvgPool2d(2))
                continue
            }
            let out = scaledChannels(base, width: width)
            layers.append(Conv2d(channels, out, kernelSize: 3, padding: 1, bias: false, rng: &rng))
            layers.append(BatchNorm2d(out))
            layers.append(NeuronLayer(spec: neuron, rng: &rng))
            channels = out
        }
        features = Sequential(layers)
        flatten = Flatten()
        classifier = Linear(channels * 4 * 4, numClasses, rng: &rng)
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == 3 && x.shape[2] == 32 && x.shape[3] == 32,
                     "VGGSmall: expects 3×32×32 images, got input shape \(images.shape)")
        return classifier(flatten(features(x)))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedLogits(images), timeSteps: timeSteps)
    }
}
