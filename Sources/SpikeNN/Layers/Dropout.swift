import SpikeTensor

/// Inverted dropout (PyTorch's `nn.Dropout`): in training zeroes each element with
/// probability `p` and scales the rest by 1/(1 − p); the identity in evaluation.
///
/// The layer owns its generator (`rng`, checkpointed under the layer's name by
/// `namedRandomStreams()`), so masks are reproducible and resume where they stopped.
public final class Dropout: Module, UnaryLayer {
    /// Drop probability.
    public let p: Float
    /// The generator masks are drawn from.
    public let rng: RandomStream

    /// Dropout whose generator is seeded by one draw from `rng`.
    public init(p: Float = 0.5, rng: inout PhiloxGenerator) {
        precondition(p >= 0 && p <= 1, "Dropout: probability must be in [0, 1], got \(p)")
        self.p = p
        self.rng = RandomStream(splittingFrom: &rng)
    }

    /// Dropout drawing from `generator`.
    public init(p: Float = 0.5, generator: PhiloxGenerator) {
        precondition(p >= 0 && p <= 1, "Dropout: probability must be in [0, 1], got \(p)")
        self.p = p
        self.rng = RandomStream(generator)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        dropout(x, p: p, training: isTraining, rng: &rng.generator)
    }
}
