import SpikeTensor

/// The residual sum of a block: `residual + shortcut`, element-wise and shape-checked.
///
/// In a spiking ResNet the two terms are BN outputs (the sum then feeds a neuron); in a SEW
/// ResNet's ADD connection they are spike tensors, so the sum counts spikes (0, 1 or 2). The
/// gradient reaches both terms unchanged.
public func residualAdd(_ residual: Tensor, _ shortcut: Tensor) -> Tensor {
    precondition(residual.shape == shortcut.shape,
                 "residualAdd: residual branch \(residual.shape) and shortcut \(shortcut.shape) differ in shape")
    return residual + shortcut
}

/// A projection shortcut for a block that changes width or resolution: conv 1×1 (stride s, no
/// bias) → BN, then a neuron for SEW blocks (whose shortcut must carry spikes). Named as in
/// torchvision, `downsample.0.weight`, `downsample.1.*`, `downsample.2.*`.
public func makeDownsample(_ inChannels: Int, _ outChannels: Int, stride: Int, neuron: NeuronSpec?,
                           rng: inout PhiloxGenerator) -> Sequential {
    var layers: [any UnaryLayer] = [
        Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false, rng: &rng),
        BatchNorm2d(outChannels),
    ]
    if let neuron { layers.append(NeuronLayer(spec: neuron, rng: &rng)) }
    return Sequential(layers)
}
