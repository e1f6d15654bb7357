import SpikeTensor

/// The sequential-CIFAR network of the PSN paper, which PSU compares against (psu.md): an
/// image is read one column per time step, so T = 32 and each step sees a 3×32 column
/// (channels × rows); Conv1d slides along the rows.
///
///     features: [Conv1d(C→128, k3, p1, no bias) → BN1d → neuron] ×3, AvgPool1d(2)   (32 → 16)
///               [Conv1d(128→128, k3, p1, no bias) → BN1d → neuron] ×3, AvgPool1d(2) (16 → 8)
///     flatten → classifier: Linear(128·8 → 256) → neuron → Linear(256 → classes)
///     (channels and the hidden width × width)
///
/// State names: `features.0.weight`, `features.1.*` (BN), `features.2.*` (neuron), …,
/// `classifier.0.*`, `classifier.1.*` (neuron), `classifier.2.*`.
///
/// Input: images [N, C, H, W] (column w is step w), or sequences [N, T, C·H] whose step-t
/// vector holds column t channel-major (feature c·H + h = pixel (c, h, t)). The neurons see all
/// T = W steps; every neuron's `time_steps` must equal W. Output: logits [N, classes], the mean
/// over the steps of the per-step logits.
public final class SeqCIFARConv1d: Module, UnaryLayer {
    /// Convolutional body, run on time-folded tensors [T·N, C, L].
    public let features: Sequential
    /// [T·N, C, L/4] → [T·N, C·L/4].
    public let flatten: Flatten
    /// Hidden spiking FC layer and the per-step readout.
    public let classifier: Sequential
    /// Steps (image columns).
    public let timeSteps: Int
    /// Input channels C.
    public let inChannels: Int
    /// Rows per column H (the Conv1d length).
    public let length: Int

    /// A network for `inChannels`×`length`-pixel columns over `timeSteps` steps whose neurons
    /// are `neuron`, channels scaled by `width`, drawing every initial value from `rng`.
    public init(neuron: NeuronSpec, numClasses: Int = 10, inChannels: Int = 3, length: Int = 32, timeSteps: Int = 32,
                width: Float = 1, rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "SeqCIFARConv1d: numClasses must be positive, got \(numClasses)")
        precondition(length >= 4 && length % 4 == 0, "SeqCIFARConv1d: length must be a positive multiple of 4, got \(length)")
        precondition(!neuron.variant.runsOverTime || neuron.timeSteps == timeSteps,
                     "SeqCIFARConv1d: the neuron's time_steps (\(neuron.timeSteps)) must equal the sequence length \(timeSteps)")
        self.timeSteps = timeSteps
        self.inChannels = inChannels
        self.length = length
        let c = scaledChannels(128, width: width), hidden = scaledChannels(256, width: width)
        var layers: [any UnaryLayer] = []
        var channels = inChannels
        for _ in 0..<2 {
            for _ in 0..<3 {
                layers.append(Conv1d(channels, c, kernelSize: 3, padding: 1, bias: false, rng: &rng))
                layers.append(BatchNorm1d(c))
                layers.append(NeuronLayer(spec: neuron, rng: &rng))
                channels = c
            }
            layers.append(AvgPool1d(2))
        }
        features = Sequential(layers)
        flatten = Flatten()
        classifier = Sequential([
            Linear(c * (length / 4), hidden, rng: &rng),
            NeuronLayer(spec: neuron, rng: &rng),
            Linear(hidden, numClasses, rng: &rng),
        ])
    }

    /// The input as time-folded columns [T·N, C, L].
    public func foldedColumns(_ x: Tensor) -> Tensor {
        let t = timeSteps, c = inChannels, l = length
        switch x.rank {
        case 4:
            precondition(x.shape[1] == c && x.shape[2] == l && x.shape[3] == t,
                         "SeqCIFARConv1d: expects images [N, \(c), \(l), \(t)], got \(x.shape)")
            return foldTime(x.permuted([3, 0, 1, 2]))
        case 3:
            precondition(x.shape[1] == t && x.shape[2] == c * l,
                         "SeqCIFARConv1d: expects sequences [N, \(t), \(c * l)], got \(x.shape)")
            return foldTime(x.reshaped([x.shape[0], t, c, l]).permuted([1, 0, 2, 3]))
        default:
            preconditionFailure("SeqCIFARConv1d: input must be images [N, C, H, W] or sequences [N, T, C·H], got \(x.shape)")
        }
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ x: Tensor) -> Tensor {
        classifier(flatten(features(foldedColumns(x))))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        meanOverTime(foldedLogits(x), timeSteps: timeSteps)
    }
}
