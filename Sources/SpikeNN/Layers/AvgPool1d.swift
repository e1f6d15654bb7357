import SpikeTensor

/// 1-d average pooling over [N, C, L] (PyTorch's `nn.AvgPool1d` without padding; stride
/// defaults to the kernel), computed as a 2-d pooling of the [N, C, 1, L] view.
public final class AvgPool1d: Module, UnaryLayer {
    /// Window length.
    public let kernelSize: Int
    /// Step between windows.
    public let stride: Int

    /// Average pooling with a `kernelSize` window.
    public init(_ kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize >= 1, "AvgPool1d: kernel size must be positive, got \(kernelSize)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "AvgPool1d: input must be [N, C, L], got shape \(x.shape)")
        let n = x.shape[0], c = x.shape[1], l = x.shape[2]
        let y = avgPool2d(x.reshaped([n, c, 1, l]), kernel: (1, kernelSize), stride: (1, stride))
        return y.reshaped([n, c, y.shape[3]])
    }
}
