import SpikeTensor

/// The ResNet basic block (two 3×3 convolutions) on time-folded activations [T·N, C, H, W],
/// with its neurons placed as in the spiking-ResNet literature:
///
///     spiking ResNet (`.afterAdd`, tdBN/TET/SpikingJelly `spiking_resnet`):
///         out = sn2( bn2(conv2( sn1(bn1(conv1(x))) )) + shortcut(x) )
///     SEW ResNet, ADD connection (`.sewAdd`, Fang et al. 2021):
///         out = sn2(bn2(conv2( sn1(bn1(conv1(x))) ))) + shortcut(x)      (spike + spike)
///
/// The shortcut is the identity, or `downsample` (conv 1×1 → BN, plus a neuron for SEW) when
/// the block changes the width or the resolution. State names follow torchvision:
/// `conv1.weight`, `bn1.*`, `sn1.*`, `conv2.weight`, `bn2.*`, `sn2.*`, `downsample.0.weight`, ….
public final class BasicBlock: Module, UnaryLayer {
    /// Where the block's output neuron sits relative to the residual sum.
    public enum Connection: String, Sendable, CaseIterable {
        /// The sum of BN outputs feeds the last neuron (spiking ResNet).
        case afterAdd
        /// The last neuron fires before the sum, so spikes are added (SEW ResNet, ADD).
        case sewAdd
    }

    /// 3×3 convolution, stride s, no bias.
    public let conv1: Conv2d
    /// BN after `conv1`.
    public let bn1: BatchNorm2d
    /// Neuron after `bn1`.
    public let sn1: NeuronLayer
    /// 3×3 convolution, stride 1, no bias.
    public let conv2: Conv2d
    /// BN after `conv2`.
    public let bn2: BatchNorm2d
    /// The output neuron (after the sum for `.afterAdd`, before it for `.sewAdd`).
    public let sn2: NeuronLayer
    /// The projection shortcut, or nil for the identity.
    public let downsample: Sequential?
    /// The neuron placement.
    public let connection: Connection

    /// A block from `inChannels` to `outChannels` whose first convolution has `stride`; a
    /// projection shortcut is made when the two differ or the stride is not 1.
    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1, connection: Connection = .afterAdd,
                neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        precondition(stride >= 1, "BasicBlock: stride must be positive, got \(stride)")
        self.connection = connection
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(outChannels)
        sn1 = NeuronLayer(spec: neuron, rng: &rng)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn2 = BatchNorm2d(outChannels)
        sn2 = NeuronLayer(spec: neuron, rng: &rng)
        if stride != 1 || inChannels != outChannels {
            downsample = makeDownsample(inChannels, outChannels, stride: stride,
                                        neuron: connection == .sewAdd ? neuron : nil, rng: &rng)
        } else {
            downsample = nil
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let residual = bn2(conv2(sn1(bn1(conv1(x)))))
        let shortcut = downsample.map { $0(x) } ?? x
        switch connection {
        case .afterAdd: return sn2(residualAdd(residual, shortcut))
        case .sewAdd: return residualAdd(sn2(residual), shortcut)
        }
    }
}
