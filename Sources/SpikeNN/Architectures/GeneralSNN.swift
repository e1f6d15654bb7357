import SpikeNeurons
import SpikeTensor

/// The general single-time-step SNN of Yao et al. ("Training a General Spiking Neural Network
/// with Improved Efficiency and Minimum Latency", ACML 2023), as their code builds it on
/// Sequencer2D (timm): a channels-last network whose token mixer is a spiking network over
/// four receptive fields (`GeneralSNNConvMixer`, or `GeneralSNNLSTMMixer` in the RNN form).
///
///     stem.proj     Conv2d(3 → d₀, kernel 2, stride 2), then channels last [N, S/2, S/2, d₀]
///     blocks.i.j    x = x + rnn_tokens(x); x = x + mlp_channels(x)      (no normalisation)
///                   mlp_channels = fc1 Linear(d → 3d) → GELU → fc2 Linear(3d → d)
///     blocks.i.n    PatchMerging between stages: 2×2 space-to-depth, Linear(4d → 2d, no bias)
///     head          mean over H, W → Linear(d₃ → classes)
///
/// Stages [2, 2, 6, 2] blocks at widths [48, 96, 192, 384] (d_i = d₀·2^i). Within a stage the
/// blocks alternate receptive-field modes A (quadrants), B (overlapping), A, …; the last stage
/// always uses A. One time step: images [N, C, S, S] in, logits [N, classes] out; S a multiple
/// of 2^(stages+1) (32 → maps 16, 8, 4, 2; TinyImageNet's 64 → 32, 16, 8, 4).
///
/// Initialisation as the authors' `_init_weights`: linear weights Xavier-uniform with zero
/// biases (the MLP's biases N(0, 1e-6)), head weight and bias zero, convolutions LeCun-normal
/// with zero bias, LSTMs U(−1/√H, 1/√H). The authors' unused `norm` LayerNorm is left out.
public final class GeneralSNN: Module, UnaryLayer {
    /// The token mixer's form.
    public enum Form: String, Sendable, CaseIterable {
        /// Two 3×3 convolutions with spiking neurons per window (`general_snn_cnn`).
        case cnn
        /// A bidirectional LSTM and one spiking layer per window (`general_snn_lstm`).
        case lstm
    }

    /// `stem`: the patch embedding.
    public let stem: GeneralSNNStem
    /// `blocks`: the stages.
    public let blocks: [GeneralSNNStage]
    /// `head`: the classifier.
    public let head: Linear
    /// The mixer form.
    public let form: Form
    /// Width of each stage.
    public let widths: [Int]

    /// The paper's blocks per stage.
    public static let paperDepths = [2, 2, 6, 2]
    /// The paper's first-stage width (then doubled per stage).
    public static let paperBaseWidth = 48

    /// A network of `form` with `depths` blocks per stage and first width round(48·`width`),
    /// whose mixers use `neuron` (general_snn, or relu for the ANN twin) and `projection`.
    public init(form: Form, neuron: NeuronSpec, numClasses: Int = 10, inChannels: Int = 3,
                depths: [Int] = GeneralSNN.paperDepths, width: Float = 1, projection: MembraneProjection = .sincos,
                overlapThreshold: Float? = nil, rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1 && inChannels >= 1, "GeneralSNN: classes and channels must be positive")
        precondition(!depths.isEmpty && depths.allSatisfy { $0 >= 1 }, "GeneralSNN: every stage needs a block, got \(depths)")
        let base = scaledChannels(Self.paperBaseWidth, width: width)
        let widths = depths.indices.map { base << $0 }
        self.widths = widths
        self.form = form
        stem = GeneralSNNStem(inChannels: inChannels, dim: base, rng: &rng)
        var stages: [GeneralSNNStage] = []
        for (i, depth) in depths.enumerated() {
            let last = i == depths.count - 1
            stages.append(GeneralSNNStage(form: form, dim: widths[i], depth: depth, lastStage: last,
                                          neuron: neuron, projection: projection, overlapThreshold: overlapThreshold,
                                          rng: &rng))
        }
        blocks = stages
        head = Linear(weight: Tensor.zeros([numClasses, widths.last!], requiresGrad: true),
                      bias: Tensor.zeros([numClasses], requiresGrad: true))
    }

    /// The factor the input side must be a multiple of: the stem halves it, each merge
    /// halves it again, and the last stage's quadrants need an even map.
    public var sideMultiple: Int { 1 << (blocks.count + 1) }

    /// Logits [N, classes] for images [N, C, S, S].
    public func callAsFunction(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "GeneralSNN: input must be images [N, C, H, W], got \(images.shape)")
        precondition(images.shape[2] % sideMultiple == 0 && images.shape[3] % sideMultiple == 0,
                     "GeneralSNN: image sides must be multiples of \(sideMultiple), got \(images.shape)")
        var x = stem(images)
        var membranes: Tensor?
        for stage in blocks { (x, membranes) = stage.forward(x, membranes: membranes) }
        return head(x.mean(axes: [1, 2]))
    }
}

/// The stem (timm's PatchEmbed without norm): `proj` = Conv2d(C → d, kernel 2, stride 2),
/// LeCun-normal, zero bias; output channels last [N, H/2, W/2, d].
public final class GeneralSNNStem: Module, UnaryLayer {
    /// `proj`: the patch projection.
    public let proj: Conv2d

    /// A stem from `inChannels` to `dim`.
    public init(inChannels: Int, dim: Int, rng: inout PhiloxGenerator) {
        proj = Conv2d(inChannels, dim, kernelSize: 2, stride: 2, rng: &rng)
        lecunInitialise(proj, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { proj(x).permuted([0, 2, 3, 1]) }
}

/// Swin's patch merging on a channels-last map [N, H, W, C]: the 2×2 neighbours
/// x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2] concatenated (in that order) on
/// the channels, then `reduction` = Linear(4C → 2C, no bias): [N, H/2, W/2, 2C].
public final class PatchMerging: Module, UnaryLayer {
    /// `reduction`: Linear(4C → 2C), Xavier-uniform.
    public let reduction: Linear

    /// Patch merging of `dim` channels.
    public init(dim: Int, rng: inout PhiloxGenerator) {
        reduction = xavierLinear(4 * dim, 2 * dim, bias: false, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] % 2 == 0 && x.shape[2] % 2 == 0,
                     "PatchMerging: input must be [N, H, W, C] with even H and W, got \(x.shape)")
        let n = x.shape[0], h = x.shape[1] / 2, w = x.shape[2] / 2, c = x.shape[3]
        // [N, h, rowParity, w, columnParity, C] → [N, h, w, columnParity, rowParity, C]: the
        // neighbour (r, c) lands at position 2c + r, which is Swin's order x0, x1, x2, x3.
        let merged = x.reshaped([n, h, 2, w, 2, c]).permuted([0, 1, 3, 4, 2, 5]).reshaped([n, h, w, 4 * c])
        return reduction(merged)
    }
}

/// timm's `Mlp` as the authors use it: `fc1` Linear(d → 3d) → GELU (exact) → `fc2` Linear(3d → d).
public final class GeneralSNNMLP: Module, UnaryLayer {
    /// `fc1`.
    public let fc1: Linear
    /// `fc2`.
    public let fc2: Linear

    /// An MLP of width `dim` with `hidden` units.
    public init(dim: Int, hidden: Int, rng: inout PhiloxGenerator) {
        fc1 = xavierLinear(dim, hidden, biasStd: 1e-6, rng: &rng)
        fc2 = xavierLinear(hidden, dim, biasStd: 1e-6, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { fc2(fc1(x).gelu()) }
}

/// One block: x = x + rnn_tokens(x); x = x + mlp_channels(x).
public final class GeneralSNNBlock: Module {
    /// `rnn_tokens`: the spiking token mixer.
    public let rnnTokens: any GeneralSNNTokenMixer
    /// `mlp_channels`: the channel MLP.
    public let mlpChannels: GeneralSNNMLP

    /// A block of width `dim` around `mixer`.
    public init(dim: Int, mixer: any GeneralSNNTokenMixer, rng: inout PhiloxGenerator) {
        rnnTokens = mixer
        mlpChannels = GeneralSNNMLP(dim: dim, hidden: 3 * dim, rng: &rng)
    }

    /// The block's output and the membrane map for the next block (LSTM form).
    public func forward(_ x: Tensor, membranes: Tensor?) -> (Tensor, Tensor?) {
        let (mixed, next) = rnnTokens.mix(x, membranes: membranes)
        let y = x + mixed
        return (y + mlpChannels(y), next)
    }
}

/// A stage: its blocks (`blocks.i.0` …) and, except in the last stage, the patch merging after
/// them (`blocks.i.<depth>`), as the authors' `nn.Sequential` numbers them.
public final class GeneralSNNStage: Module {
    /// The blocks.
    public let layers: [GeneralSNNBlock]
    /// The patch merging to the next stage, or nil in the last stage.
    public let merge: PatchMerging?

    public override var stateKeyOverrides: [String: String] { ["layers": "", "merge": String(layers.count)] }

    /// A stage of `depth` blocks of width `dim`: modes A, B, A, … (A only in the last stage).
    init(form: GeneralSNN.Form, dim: Int, depth: Int, lastStage: Bool, neuron: NeuronSpec,
         projection: MembraneProjection, overlapThreshold: Float?, rng: inout PhiloxGenerator) {
        var layers: [GeneralSNNBlock] = []
        for j in 0..<depth {
            let mode: WindowPartition.Mode = lastStage || j % 2 == 0 ? .quadrants : .overlapping
            let mixer: any GeneralSNNTokenMixer
            switch form {
            case .cnn:
                mixer = GeneralSNNConvMixer(dim: dim, mode: mode, projection: projection, overlapThreshold: overlapThreshold,
                                            neuron: neuron, rng: &rng)
            case .lstm:
                mixer = GeneralSNNLSTMMixer(dim: dim, mode: mode, projection: projection,
                                            downsamples: !lastStage && j == depth - 1, neuron: neuron, rng: &rng)
            }
            layers.append(GeneralSNNBlock(dim: dim, mixer: mixer, rng: &rng))
        }
        self.layers = layers
        merge = lastStage ? nil : PatchMerging(dim: dim, rng: &rng)
    }

    /// The stage's output and the membrane map it hands on (LSTM form; nil otherwise).
    public func forward(_ x: Tensor, membranes: Tensor?) -> (Tensor, Tensor?) {
        var y = x, map = membranes
        for block in layers { (y, map) = block.forward(y, membranes: map) }
        if let merge { y = merge(y) }
        return (y, map)
    }
}
