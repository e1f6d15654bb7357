import SpikeNeurons
import SpikeTensor

/// What a general-SNN block uses to mix tokens: the convolutional SNN2D or its LSTM form.
/// `membranes` is the membrane map the LSTM form carries from block to block of a stage
/// (nil: zeros); the convolutional form keeps nothing between blocks and returns nil.
public protocol GeneralSNNTokenMixer: Module {
    /// The mixer's output for the channels-last map `x` [N, H, W, d] (same shape) and the
    /// membrane map to hand to the next block.
    func mix(_ x: Tensor, membranes: Tensor?) -> (output: Tensor, membranes: Tensor?)
}

/// The inner spiking network of the convolutional SNN2D (the authors' `SNN`): Bernoulli
/// encoding s = [x > u], then two 3×3 convolutions (bias, no BN) each followed by the
/// general-SNN neuron, one time step:
///   m1 = leak·m1₀ + conv1(s), s1 = [m1 > θ];  m2 = leak·m2₀ + conv2(s1), s2 = [m2 > θ].
/// With the ReLU twin (variant relu) the encoding is its mean, clamp(x, 0, 1) (`twinEncoding`),
/// and each neuron is relu(m).
public final class GeneralSNNConvUnit: Module {
    /// `conv1`: 3×3, d → d, padding 1.
    public let conv1: Conv2d
    /// `conv2`: 3×3, d → d, padding 1.
    public let conv2: Conv2d
    /// The neuron after conv1.
    public let sn1: NeuronLayer
    /// The neuron after conv2.
    public let sn2: NeuronLayer

    /// A unit of width `dim`; convolution weights LeCun-normal, biases 0 (the authors' init).
    public init(dim: Int, neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        conv1 = Conv2d(dim, dim, kernelSize: 3, padding: 1, rng: &rng)
        conv2 = Conv2d(dim, dim, kernelSize: 3, padding: 1, rng: &rng)
        for conv in [conv1, conv2] { lecunInitialise(conv, rng: &rng) }
        sn1 = NeuronLayer(spec: neuron, rng: &rng)
        sn2 = NeuronLayer(spec: neuron, rng: &rng)
    }

    /// conv2's spikes [N, d, h, w] for each of `windows` encoded windows stacked along the batch
    /// in `s` [windows·N, d, h, w], visited in order: window 1 starts from zero membranes,
    /// window k from (m1, P(m1, m2)) of window k − 1.
    ///
    /// A window's convolution inputs do not depend on the recurrence (s is drawn from the input;
    /// m1 carries no reset between windows, so s1 follows from conv1's outputs), so each
    /// convolution runs once on the stacked windows; only the element-wise membrane updates run
    /// window by window.
    public func run(_ s: Tensor, windows: Int, projection: MembraneProjection) -> [Tensor] {
        precondition(windows >= 1 && s.shape[0] % windows == 0,
                     "GeneralSNNConvUnit.run: \(s.shape[0]) rows are not \(windows) windows of equal batches")
        let n = s.shape[0] / windows
        func window(_ t: Tensor, _ k: Int) -> Tensor { t.sliced(axis: 0, range: (k * n)..<((k + 1) * n)) }
        let c1 = conv1(s)
        var m1: [Tensor] = [], s1: [Tensor] = []
        for k in 0..<windows {
            let (spikes, membrane) = sn1.generalSNNStep(window(c1, k), from: m1.last)
            m1.append(membrane)
            s1.append(spikes)
        }
        let c2 = conv2(concat(s1, axis: 0))
        var m2: [Tensor] = [], s2: [Tensor] = []
        for k in 0..<windows {
            let start = k == 0 ? nil : projection(m1[k - 1], m2[k - 1])
            let (spikes, membrane) = sn2.generalSNNStep(window(c2, k), from: start)
            m2.append(membrane)
            s2.append(spikes)
        }
        return s2
    }
}

/// The convolutional SNN2D token mixer (`rnn_tokens` of the authors' Sequencer2D blocks): the
/// map is cut into four windows (`WindowPartition`), visited in order; window 1 starts from
/// zero membranes, window k > 1 from (m1, P(m1, m2)) of window k − 1 at the same in-window
/// position, P the projection (sincos or mean). The windows' spikes are tiled back (overlaps
/// averaged in mode B) and mixed by fc = Linear(d → d).
///
/// State names: `snn_g1.forward_snn.conv1.weight`, …, `fc.weight` (the authors' nesting).
public final class GeneralSNNConvMixer: Module, GeneralSNNTokenMixer {
    /// The inner network, shared by the four windows.
    public let unit: GeneralSNNConvUnit
    /// `fc`: Linear(d → d).
    public let fc: Linear
    /// Draws the Bernoulli encoding (every call, training and evaluation alike, as the authors do).
    public let encoder: RandomStream
    /// Quadrants (A) or overlapping windows (B).
    public let mode: WindowPartition.Mode
    /// How the previous window's membranes start the next window's second layer.
    public let projection: MembraneProjection
    /// When set, averaged overlap values above it become 1 before fc in mode B (the authors'
    /// CIFAR-100 file uses 0.2); nil keeps the averages.
    public let overlapThreshold: Float?

    public override var stateKeyOverrides: [String: String] { ["unit": "snn_g1.forward_snn"] }

    /// A mixer of width `dim`; fc Xavier-uniform with zero bias (the authors' init).
    public init(dim: Int, mode: WindowPartition.Mode, projection: MembraneProjection, overlapThreshold: Float? = nil,
                neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        precondition(neuron.variant == .generalSNN || neuron.variant == .relu,
                     "GeneralSNNConvMixer: neuron must be general_snn or its relu twin, got \(neuron.variant.rawValue)")
        unit = GeneralSNNConvUnit(dim: dim, neuron: neuron, rng: &rng)
        fc = xavierLinear(dim, dim, rng: &rng)
        encoder = RandomStream(splittingFrom: &rng)
        self.mode = mode
        self.projection = projection
        self.overlapThreshold = overlapThreshold
    }

    /// The window's input spikes: Bernoulli draws for the spiking neuron, their mean
    /// clamp(x, 0, 1) for the ReLU twin (`twinEncoding`).
    func encode(_ window: Tensor) -> Tensor {
        unit.sn1.spec.variant == .relu ? twinEncoding(window) : bernoulliSpikes(window, rng: &encoder.generator)
    }

    public func mix(_ x: Tensor, membranes: Tensor?) -> (output: Tensor, membranes: Tensor?) {
        (callAsFunction(x), nil)
    }

    /// The mixer's output for `x` [N, H, W, d] (channels last), same shape.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "GeneralSNNConvMixer: input must be [N, H, W, d], got \(x.shape)")
        let partition = WindowPartition(height: x.shape[1], width: x.shape[2], mode: mode)
        let channelsFirst = x.permuted([0, 3, 1, 2])
        // One Bernoulli draw over the four windows in visiting order (the same stream as
        // drawing window by window).
        let windows = partition.windows(channelsFirst, rowAxis: 2)
        let outputs = unit.run(encode(concat(windows, axis: 0)), windows: windows.count, projection: projection)
        var tiled = partition.tile(outputs, rowAxis: 2).permuted([0, 2, 3, 1])
        if mode == .overlapping, let threshold = overlapThreshold {
            let above = Tensor(tiled.array.map { $0 > threshold ? 1 : 0 }, shape: tiled.shape)
            tiled = whereSelect(above, Tensor.ones(tiled.shape), tiled)
        }
        return fc(tiled)
    }
}

/// The ReLU twin's encoding: the mean of the Bernoulli encoding Θ(x − u), u ~ U[0, 1), which is
/// P(u < x) = clamp(x, 0, 1) (gradient 1 inside [0, 1], 0 outside). The twin's mixers thus see
/// the SNN's input range; the identity used before let the unnormalised residual stream's scale
/// compound through every block (results/README.md, "General SNN").
func twinEncoding(_ x: Tensor) -> Tensor { x.clamp(min: 0, max: 1) }

/// A linear layer initialised as the authors' `_init_weights` does outside the head: weight
/// Xavier-uniform, bias `biasStd`·N(0, 1) (0: zeros; the MLP's biases use 1e-6).
func xavierLinear(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, biasStd: Float = 0,
                  rng: inout PhiloxGenerator) -> Linear {
    let weight = Tensor.xavierUniform([outFeatures, inFeatures], rng: &rng, requiresGrad: true)
    let b: Tensor? = bias ? (biasStd > 0 ? Tensor.normal([outFeatures], std: biasStd, rng: &rng, requiresGrad: true)
                                          : Tensor.zeros([outFeatures], requiresGrad: true)) : nil
    return Linear(weight: weight, bias: b)
}

/// Re-initialises `conv` as the authors' `_init_weights` does: weight LeCun-normal (timm's
/// truncated form), bias zeros. Writes in place, outside autograd (construction time only).
func lecunInitialise(_ conv: Conv2d, rng: inout PhiloxGenerator) {
    let values = Tensor.lecunNormal(conv.weight.shape, rng: &rng)
    conv.weight.floats.baseAddress!.update(from: values.floats.baseAddress!, count: values.count)
    conv.bias?.fill(0)
}
