import SpikeTensor

/// 1-d convolution over [N, C, L] (PyTorch's `nn.Conv1d`): weight [out, in/groups, K], bias [out].
public final class Conv1d: Module, UnaryLayer {
    /// Weight [outChannels, inChannels/groups, K].
    public let weight: Tensor
    /// Bias [outChannels], or nil.
    public let bias: Tensor?
    /// Step between windows.
    public let stride: Int
    /// Zero padding on each side.
    public let padding: Int
    /// Spacing of kernel taps.
    public let dilation: Int
    /// Channel groups.
    public let groups: Int

    /// A convolution initialised as PyTorch does: weight U(−1/√fan_in, 1/√fan_in) (Kaiming-uniform
    /// with a = √5, fan_in = in/groups·K), then bias from the same bound, drawn in that order.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout PhiloxGenerator) {
        precondition(inChannels >= 1 && outChannels >= 1,
                     "Conv1d: channel counts must be positive, got \(inChannels) → \(outChannels)")
        precondition(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv1d: groups \(groups) must divide both \(inChannels) and \(outChannels)")
        precondition(kernelSize >= 1, "Conv1d: kernel size must be positive, got \(kernelSize)")
        let shape = [outChannels, inChannels / groups, kernelSize]
        weight = Tensor.kaimingUniform(shape, a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        self.bias = bias ? pytorchDefaultBias(outChannels, fanIn: Tensor.fans(shape).fanIn, rng: &rng) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = conv1d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        forwardObserver?(self, x, y)
        return y
    }
}
