import SpikeTensor

/// The PSU paper's fully-connected network for speech (SHD), one feature vector per step:
///
///     temporal: y = conv5(x) ⊙ σ(gate3(x))      depth-wise Conv1d over time on each of the F
///                                               input channels (k = 5 and k = 3, same padding)
///     body:     Linear(F → H) → Dropout → BN → neuron → Linear(H → H) → Dropout → BN → neuron
///     classifier: Linear(H → classes), logits averaged over the T steps
///
/// H = 1024 × width, F = 700 for SHD (40 for log-mel Speech Commands). Assumptions where
/// `shared/papers/psu.md` is silent: the gate multiplies the k = 5 branch by the sigmoid of
/// the k = 3 branch (no residual), both branches have a bias, and the temporal convolutions
/// see the whole sequence (non-causal "same" padding). Dropout layers are always present (p
/// may be 0) so parameter names do not depend on p.
///
/// Input: `[N, T, F]` (the batcher's layout of sequence samples). It becomes time-major
/// `[T, N, F]`, folded to `[T·N, F]` for the stateless layers (see `foldTime`); neuron
/// layers see `[T, N·H]`. Output: logits `[N, classes]`.
public final class SHDFC: Module, UnaryLayer {
    /// The gated depth-wise temporal convolution on the input channels.
    public let temporal: TemporalGate
    /// Two hidden layers on time-folded tensors [T·N, H].
    public let body: Sequential
    /// The per-step classifier.
    public let classifier: Linear
    /// Steps the neurons run (T, or 1 for ReLU and SpikePack, which run on each step alone).
    public let timeSteps: Int

    /// An SHDFC on `inputs` features per step with `neuron` neurons, hidden width 1024·`width`
    /// and dropout `dropout`, every initial value drawn from `rng` in layer order.
    public init(neuron: NeuronSpec, inputs: Int = 700, numClasses: Int = 20, width: Float = 1, dropout: Float = 0,
                rng: inout PhiloxGenerator) {
        precondition(inputs >= 1 && numClasses >= 1, "SHDFC: inputs and numClasses must be positive")
        timeSteps = neuron.foldedSteps
        let hidden = scaledChannels(1024, width: width)
        temporal = TemporalGate(channels: inputs, rng: &rng)
        body = Sequential([
            Linear(inputs, hidden, rng: &rng),
            Dropout(p: dropout, rng: &rng),
            BatchNorm1d(hidden),
            NeuronLayer(spec: neuron, rng: &rng),
            Linear(hidden, hidden, rng: &rng),
            Dropout(p: dropout, rng: &rng),
            BatchNorm1d(hidden),
            NeuronLayer(spec: neuron, rng: &rng),
        ])
        classifier = Linear(hidden, numClasses, rng: &rng)
    }

    /// Per-step logits, folded: [T·N, classes], from a batch [N, T, F].
    public func foldedLogits(_ sequences: Tensor) -> Tensor {
        precondition(sequences.rank == 3, "SHDFC: input must be [N, T, F], got shape \(sequences.shape)")
        let n = sequences.shape[0], t = sequences.shape[1], f = sequences.shape[2]
        precondition(timeSteps == 1 || t == timeSteps,
                     "SHDFC: input has \(t) time steps, the neurons run \(timeSteps)")
        // [N, T, F] → [N, F, T] for the convolution over time → [T, N, F] time-major → [T·N, F].
        let mixed = temporal(sequences.permuted([0, 2, 1]))
        let folded = mixed.permuted([2, 0, 1]).reshaped([t * n, f])
        return classifier(body(folded))
    }

    /// Logits [N, classes]: the per-step logits averaged over the sequence's steps.
    public func callAsFunction(_ sequences: Tensor) -> Tensor {
        meanOverTime(foldedLogits(sequences), timeSteps: sequences.shape[1])
    }
}

/// A gated depth-wise convolution over time, [N, C, L] → [N, C, L]:
/// y = conv(x) ⊙ σ(gate(x)), `conv` with kernel 5 and `gate` with kernel 3, one filter per channel.
public final class TemporalGate: Module, UnaryLayer {
    public let conv: Conv1d
    public let gate: Conv1d

    public init(channels: Int, kernelSize: Int = 5, gateKernelSize: Int = 3, rng: inout PhiloxGenerator) {
        conv = Conv1d(channels, channels, kernelSize: kernelSize, padding: kernelSize / 2, groups: channels, rng: &rng)
        gate = Conv1d(channels, channels, kernelSize: gateKernelSize, padding: gateKernelSize / 2, groups: channels,
                      rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv(x) * gate(x).sigmoid()
    }
}
