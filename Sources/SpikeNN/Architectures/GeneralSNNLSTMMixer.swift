import SpikeNeurons
import SpikeTensor

/// The inner spiking network of the general SNN's RNN form (the authors' `SNN` with `lstm1`):
/// Bernoulli encoding of a window's pixels (a token sequence), a one-layer bidirectional LSTM
/// (d → d per direction) and one general-SNN neuron layer on its [L, N, 2d] output,
/// mem = leak·mem₀ + LSTM(s). The ReLU twin encodes with the Bernoulli encoding's mean clamp(x, 0, 1)
/// (`twinEncoding`) and outputs relu(mem).
public final class GeneralSNNLSTMUnit: Module {
    /// `lstm1`: bidirectional LSTM, d → 2d.
    public let lstm1: LSTM
    /// The neuron on the LSTM's output.
    public let sn1: NeuronLayer

    /// A unit of width `dim` (PyTorch's LSTM initialisation, as the authors' `_init_weights`).
    public init(dim: Int, neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        lstm1 = LSTM(dim, dim, bidirectional: true, rng: &rng)
        sn1 = NeuronLayer(spec: neuron, rng: &rng)
    }

    /// Spikes and membranes [L, N, 2d] of the neuron on `currents` (LSTM outputs) from `mem0`.
    public func fire(_ currents: Tensor, from mem0: Tensor?) -> (spikes: Tensor, membrane: Tensor) {
        sn1.generalSNNStep(currents, from: mem0)
    }
}

/// The general SNN's RNN-form token mixer: the map is cut into four windows
/// (`WindowPartition`), each window's pixels read row by row as a token sequence through
/// `GeneralSNNLSTMUnit`. A membrane map [H, W, N, 2d] persists across the blocks of a stage;
/// window k starts from P of two membranes at the same in-window position, as in the authors'
/// RNN file (M_k: the carried map's window k; M′_k: window k's new membrane):
///   start₁ = P(M₁, M₂), start₂ = P(M′₁, M₂), start₃ = P(M₃, M′₂), start₄ = P(M₄, M′₃).
/// The windows' spikes and membranes are tiled back (overlaps averaged in mode B); the spikes
/// go through fc = Linear(2d → d), the membranes become the next block's map. The last block of
/// a stage (all but the last stage) down-samples the map with its own `down` =
/// PatchMerging(2d), so it fits the next stage's width.
///
/// State names: `snn_g1.forward_snn.lstm1.weight_ih_l0`, …, `fc.weight`, `down.reduction.weight`.
public final class GeneralSNNLSTMMixer: Module, GeneralSNNTokenMixer {
    /// The inner network, shared by the four windows.
    public let unit: GeneralSNNLSTMUnit
    /// `fc`: Linear(2d → d).
    public let fc: Linear
    /// `down`: the membrane map's patch merging at the end of a stage, or nil.
    public let down: PatchMerging?
    /// Draws the Bernoulli encoding (every call, as the authors do).
    public let encoder: RandomStream
    /// Quadrants (A) or overlapping windows (B).
    public let mode: WindowPartition.Mode
    /// How two membranes make a window's starting membrane.
    public let projection: MembraneProjection

    public override var stateKeyOverrides: [String: String] { ["unit": "snn_g1.forward_snn"] }

    /// A mixer of width `dim`; `downsamples` gives it the map's patch merging.
    public init(dim: Int, mode: WindowPartition.Mode, projection: MembraneProjection, downsamples: Bool,
                neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        precondition(neuron.variant == .generalSNN || neuron.variant == .relu,
                     "GeneralSNNLSTMMixer: neuron must be general_snn or its relu twin, got \(neuron.variant.rawValue)")
        unit = GeneralSNNLSTMUnit(dim: dim, neuron: neuron, rng: &rng)
        fc = xavierLinear(2 * dim, dim, rng: &rng)
        down = downsamples ? PatchMerging(dim: 2 * dim, rng: &rng) : nil
        encoder = RandomStream(splittingFrom: &rng)
        self.mode = mode
        self.projection = projection
    }

    func encode(_ tokens: Tensor) -> Tensor {
        unit.sn1.spec.variant == .relu ? twinEncoding(tokens) : bernoulliSpikes(tokens, rng: &encoder.generator)
    }

    /// The output [N, H, W, d] for `x` [N, H, W, d] and the map for the next block: [H, W, N, 2d],
    /// or [H/2, W/2, N, 4d] after `down`. `membranes` nil means a map of zeros.
    public func mix(_ x: Tensor, membranes: Tensor?) -> (output: Tensor, membranes: Tensor?) {
        precondition(x.rank == 4, "GeneralSNNLSTMMixer: input must be [N, H, W, d], got \(x.shape)")
        let n = x.shape[0], h = x.shape[1], w = x.shape[2], d = x.shape[3]
        let mapShape = [h, w, n, 2 * d]
        if let membranes {
            precondition(membranes.shape == mapShape,
                         "GeneralSNNLSTMMixer: membrane map must be \(mapShape), got \(membranes.shape)")
        }
        let partition = WindowPartition(height: h, width: w, mode: mode)
        let windowShape = [partition.windowHeight, partition.windowWidth, n]
        let tokens = partition.windows(x.permuted([1, 2, 0, 3]), rowAxis: 0)
            .map { $0.reshaped([partition.windowHeight * partition.windowWidth, n, d]) }
        let zero = Tensor.zeros([partition.windowHeight * partition.windowWidth, n, 2 * d])
        let carried = membranes.map { map in
            partition.windows(map, rowAxis: 0).map { $0.reshaped(zero.shape) }
        } ?? [zero, zero, zero, zero]
        // The LSTM's inputs do not depend on the membranes: one Bernoulli draw and one LSTM call
        // over the four windows stacked along the batch (window k is batch rows kN..<(k+1)N).
        let currents = unit.lstm1(encode(concat(tokens, axis: 1)))
        var spikes: [Tensor] = [], fresh: [Tensor] = []
        for k in 0..<4 {
            let start: Tensor
            switch k {
            case 0: start = projection(carried[0], carried[1])
            case 1: start = projection(fresh[0], carried[1])
            default: start = projection(carried[k], fresh[k - 1])
            }
            let result = unit.fire(currents.sliced(axis: 1, range: (k * n)..<((k + 1) * n)), from: start)
            spikes.append(result.spikes.reshaped(windowShape + [2 * d]))
            fresh.append(result.membrane)
        }
        let tiledSpikes = partition.tile(spikes, rowAxis: 0).permuted([2, 0, 1, 3])  // [N, H, W, 2d]
        var map = partition.tile(fresh.map { $0.reshaped(windowShape + [2 * d]) }, rowAxis: 0)
        if let down {
            map = down(map.permuted([2, 0, 1, 3])).permuted([1, 2, 0, 3])
        }
        return (fc(tiledSpikes), map)
    }
}
