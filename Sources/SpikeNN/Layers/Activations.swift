import SpikeTensor

/// max(x, 0) element-wise (PyTorch's `nn.ReLU`).
public final class ReLU: Module, UnaryLayer {
    /// A ReLU.
    public override init() {}

    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// Returns its input unchanged (PyTorch's `nn.Identity`), a placeholder in a layer slot.
public final class Identity: Module, UnaryLayer {
    /// An identity layer.
    public override init() {}

    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}
