/// The stages of a `SpikingResNet`: stem width, (channels, blocks, stride) per stage, the
/// head, and where the block neurons sit. Channel counts are before width scaling.
public struct ResNetLayout: Sendable, Hashable {
    /// One stage: `blocks` basic blocks of `channels`, the first with `stride`.
    public struct Stage: Sendable, Hashable {
        /// Output channels of every block of the stage.
        public var channels: Int
        /// Number of basic blocks.
        public var blocks: Int
        /// Stride of the stage's first block.
        public var stride: Int

        /// A stage of `blocks` blocks of `channels` whose first block has `stride`.
        public init(_ channels: Int, blocks: Int, stride: Int) {
            self.channels = channels
            self.blocks = blocks
            self.stride = stride
        }
    }

    /// The architecture's manifest name.
    public var name: String
    /// Channels of the stem convolution.
    public var stemChannels: Int
    /// The stages, 3 or 4.
    public var stages: [Stage]
    /// Width of a hidden spiking FC layer before the classifier, or nil for one linear layer.
    public var hiddenFeatures: Int?
    /// Neuron placement in the blocks.
    public var connection: BasicBlock.Connection

    /// A layout from its parts.
    public init(name: String, stemChannels: Int, stages: [Stage], hiddenFeatures: Int? = nil,
                connection: BasicBlock.Connection = .afterAdd) {
        self.name = name
        self.stemChannels = stemChannels
        self.stages = stages
        self.hiddenFeatures = hiddenFeatures
        self.connection = connection
    }

    /// ResNet-18 (He et al. 2016, torchvision's [2, 2, 2, 2] basic blocks at 64/128/256/512)
    /// with the CIFAR stem: conv 3×3 stride 1, no max-pool.
    public static let resnet18 = ResNetLayout(name: "resnet18", stemChannels: 64, stages: [
        Stage(64, blocks: 2, stride: 1), Stage(128, blocks: 2, stride: 2),
        Stage(256, blocks: 2, stride: 2), Stage(512, blocks: 2, stride: 2),
    ])

    /// ResNet-34 (He et al. 2016, [3, 4, 6, 3] basic blocks at 64/128/256/512) with the CIFAR stem.
    public static let resnet34 = ResNetLayout(name: "resnet34", stemChannels: 64, stages: [
        Stage(64, blocks: 3, stride: 1), Stage(128, blocks: 4, stride: 2),
        Stage(256, blocks: 6, stride: 2), Stage(512, blocks: 3, stride: 2),
    ])

    /// ResNet-19 (Zheng et al., "Going Deeper With Directly-Trained Larger SNNs", AAAI 2021,
    /// tdBN; the form TET and later SNN papers train): stem 128, [3, 3, 2] basic blocks at
    /// 128/256/512 with strides 1, 2, 2, global average pooling, then FC 512 → 256 → neuron →
    /// FC 256 → classes. 1 + 16 convolutions + 2 FC = 19 weight layers.
    public static let resnet19 = ResNetLayout(name: "resnet19", stemChannels: 128, stages: [
        Stage(128, blocks: 3, stride: 1), Stage(256, blocks: 3, stride: 2), Stage(512, blocks: 2, stride: 2),
    ], hiddenFeatures: 256)

    /// ResNet-20 for CIFAR (He et al. 2016, §4.2, n = 3): stem 16, [3, 3, 3] basic blocks at
    /// 16/32/64 with strides 1, 2, 2, global average pooling, FC 64 → classes. The paper's
    /// shortcut A (zero padding) is replaced by projection shortcuts B (conv 1×1 + BN), as in
    /// spiking implementations; 1 + 18 convolutions + 1 FC = 20 weight layers.
    public static let resnet20 = ResNetLayout(name: "resnet20", stemChannels: 16, stages: [
        Stage(16, blocks: 3, stride: 1), Stage(32, blocks: 3, stride: 2), Stage(64, blocks: 3, stride: 2),
    ])

    /// SEW-ResNet-18 (Fang et al., "Deep Residual Learning in Spiking Neural Networks", NeurIPS
    /// 2021) with the ADD connection (spike + spike) and the CIFAR stem; stages as ResNet-18.
    public static let sewResNet18 = ResNetLayout(name: "sew_resnet18", stemChannels: 64, stages: [
        Stage(64, blocks: 2, stride: 1), Stage(128, blocks: 2, stride: 2),
        Stage(256, blocks: 2, stride: 2), Stage(512, blocks: 2, stride: 2),
    ], connection: .sewAdd)
}
