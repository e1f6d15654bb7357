import SpikeTensor

/// 2-d max pooling over [N, C, H, W] (PyTorch's `nn.MaxPool2d`; stride defaults to the kernel).
public final class MaxPool2d: Module, UnaryLayer {
    /// Window size (rows, columns).
    public let kernelSize: (Int, Int)
    /// Step between windows.
    public let stride: (Int, Int)
    /// Padding (counts as −∞).
    public let padding: (Int, Int)
    /// In a converted rate-coded SNN, its T: pool spike trains with `spikingMaxPool2d` under
    /// `spikingRule` instead of taking the max of each step's spikes; nil (default) pools plainly.
    public var spikingTimeSteps: Int?
    /// How spike trains are pooled when `spikingTimeSteps` is set.
    public var spikingRule: SpikingMaxPoolRule = .cumulative

    /// Max pooling with a `kernelSize` window.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    /// Max pooling with a square window.
    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let t = spikingTimeSteps {
            return spikingMaxPool2d(x, timeSteps: t, kernel: kernelSize, stride: stride, padding: padding, rule: spikingRule)
        }
        return maxPool2d(x, kernel: kernelSize, stride: stride, padding: padding)
    }
}

/// 2-d average pooling over [N, C, H, W] (PyTorch's `nn.AvgPool2d`; stride defaults to the kernel).
public final class AvgPool2d: Module, UnaryLayer {
    /// Window size (rows, columns).
    public let kernelSize: (Int, Int)
    /// Step between windows.
    public let stride: (Int, Int)
    /// Zero padding.
    public let padding: (Int, Int)
    /// Whether padded zeros count in each window's divisor.
    public let countIncludePad: Bool

    /// Average pooling with a `kernelSize` window.
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
    }

    /// Average pooling with a square window.
    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding),
                  countIncludePad: countIncludePad)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        avgPool2d(x, kernel: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }
}

/// Average pooling of [N, C, H, W] to a fixed output size (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d: Module, UnaryLayer {
    /// Output size (rows, columns).
    public let outputSize: (Int, Int)

    /// Pooling to `outputSize`.
    public init(outputSize: (Int, Int)) {
        self.outputSize = outputSize
    }

    /// Pooling to a square output (1 for global average pooling).
    public convenience init(_ outputSize: Int) {
        self.init(outputSize: (outputSize, outputSize))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        adaptiveAvgPool2d(x, outputSize: outputSize)
    }
}
