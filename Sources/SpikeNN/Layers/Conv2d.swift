import SpikeTensor

/// 2-d convolution over [N, C, H, W] (PyTorch's `nn.Conv2d`): weight [out, in/groups, kH, kW], bias [out].
public final class Conv2d: Module, UnaryLayer {
    /// Weight [outChannels, inChannels/groups, kH, kW] (OIHW).
    public let weight: Tensor
    /// Bias [outChannels], or nil.
    public let bias: Tensor?
    /// Step between windows (rows, columns).
    public let stride: (Int, Int)
    /// Zero padding on each side (rows, columns).
    public let padding: (Int, Int)
    /// Spacing of kernel taps (rows, columns).
    public let dilation: (Int, Int)
    /// Channel groups.
    public let groups: Int

    /// A convolution initialised as PyTorch does: weight Kaiming-uniform with a = √5, i.e.
    /// U(−1/√fan_in, 1/√fan_in) with fan_in = in/groups·kH·kW, then bias from the same bound,
    /// both drawn from `rng` in that order.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                rng: inout PhiloxGenerator) {
        precondition(inChannels >= 1 && outChannels >= 1,
                     "Conv2d: channel counts must be positive, got \(inChannels) → \(outChannels)")
        precondition(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: groups \(groups) must divide both \(inChannels) and \(outChannels)")
        precondition(kernelSize.0 >= 1 && kernelSize.1 >= 1, "Conv2d: kernel size must be positive, got \(kernelSize)")
        let shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
        weight = Tensor.kaimingUniform(shape, a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        self.bias = bias ? pytorchDefaultBias(outChannels, fanIn: Tensor.fans(shape).fanIn, rng: &rng) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// A square-kernel convolution with equal stride, padding and dilation on both axes.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            rng: inout PhiloxGenerator) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        forwardObserver?(self, x, y)
        return y
    }
}
