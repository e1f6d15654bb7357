import SpikeTensor

/// Merges axes `startAxis...endAxis` into one, a view (PyTorch's `nn.Flatten`, default from axis 1).
public final class Flatten: Module, UnaryLayer {
    /// First merged axis.
    public let startAxis: Int
    /// Last merged axis (negative counts from the end).
    public let endAxis: Int

    /// Flattens axes `startAxis...endAxis`; the default keeps the batch axis.
    public init(startAxis: Int = 1, endAxis: Int = -1) {
        self.startAxis = startAxis
        self.endAxis = endAxis
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.flattened(from: startAxis, through: endAxis)
    }
}
