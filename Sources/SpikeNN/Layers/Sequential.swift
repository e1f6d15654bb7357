import SpikeTensor

/// Layers applied in order; the layers are named `0`, `1`, … (PyTorch's `nn.Sequential`).
public final class Sequential: Module, UnaryLayer {
    /// The layers, first applied first.
    public let layers: [any UnaryLayer]

    /// A chain of `layers`.
    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
    }

    /// A chain of the given layers.
    public convenience init(_ layers: any UnaryLayer...) {
        self.init(layers)
    }

    // The layers take indices directly under this module's prefix, not under "layers".
    public override var stateKeyOverrides: [String: String] { ["layers": ""] }

    /// Number of layers.
    public var count: Int { layers.count }

    /// The layer at `index`.
    public subscript(index: Int) -> any UnaryLayer { layers[index] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}
