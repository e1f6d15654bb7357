import SpikeTensor

/// Affine map y = x·Wᵀ + b over the last axis (PyTorch's `nn.Linear`): weight [out, in], bias [out].
public final class Linear: Module, UnaryLayer {
    /// Weight [outFeatures, inFeatures].
    public let weight: Tensor
    /// Bias [outFeatures], or nil.
    public let bias: Tensor?

    /// A linear layer initialised as PyTorch does: weight Kaiming-uniform with a = √5, i.e.
    /// U(−1/√in, 1/√in), then bias U(−1/√in, 1/√in), both drawn from `rng` in that order.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout PhiloxGenerator) {
        precondition(inFeatures >= 1 && outFeatures >= 1,
                     "Linear: feature counts must be positive, got \(inFeatures) → \(outFeatures)")
        weight = Tensor.kaimingUniform([outFeatures, inFeatures], a: Float(5).squareRoot(), rng: &rng,
                                       requiresGrad: true)
        self.bias = bias ? pytorchDefaultBias(outFeatures, fanIn: inFeatures, rng: &rng) : nil
    }

    /// A linear layer holding the given tensors (weight [out, in], bias [out]).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]],
                     "Linear: bias must be [\(weight.shape[0])], got \(bias!.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// Input features.
    public var inFeatures: Int { weight.shape[1] }
    /// Output features.
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = linear(x, weight: weight, bias: bias)
        forwardObserver?(self, x, y)
        return y
    }
}

/// PyTorch's default bias of a layer with `fanIn` inputs per output: U(−1/√fanIn, 1/√fanIn).
func pytorchDefaultBias(_ count: Int, fanIn: Int, rng: inout PhiloxGenerator) -> Tensor {
    let bound = 1 / Float(fanIn).squareRoot()
    return Tensor.uniform([count], low: -bound, high: bound, rng: &rng, requiresGrad: true)
}
