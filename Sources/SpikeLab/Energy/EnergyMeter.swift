import SpikeData
import SpikeNN
import SpikeTensor

/// Measures the synaptic operations of a model on real batches: attaches an observer to every
/// `Conv1d`, `Conv2d` and `Linear` of the tree, runs forwards without gradients in eval mode,
/// and counts each layer's MACs and non-zero-input operations from the tensors it received.
///
/// A layer is charged as accumulates (AC) when its input is derived from spikes: a spiking
/// neuron layer (any `NeuronLayer` but ReLU) has already run in the same forward, and the input
/// holds only a few distinct values (`spikeLevelLimit`) — spikes, spikes averaged by pooling,
/// spike counts added by residual connections, SpikePack's packed levels. Layers before the
/// first spiking neuron (the encoding layers on the analog input), layers fed a real-valued
/// stream after it (the general SNN's MLPs, patch merging and head read the residual stream),
/// and every layer of an ANN are charged as multiply-accumulates (MAC). A layer that received
/// a real-valued input in any measured batch stays MAC.
public final class EnergyMeter {
    /// The model measured.
    public let model: any ClassifierModel
    /// Counts by layer, in module order.
    public private(set) var layers: [SynapticLayerCount] = []
    /// Samples forwarded so far.
    public private(set) var samples = 0
    /// Spikes and neuron-steps over the spiking neuron layers.
    public private(set) var neuronSpikes = 0
    public private(set) var neuronSteps = 0

    /// Most distinct values a spike-derived input may hold (binary spikes hold 2; pooling a
    /// k×k window of them gives k² + 1; a real-valued activation holds thousands per batch).
    public static let spikeLevelLimit = 256

    private let synaptic: [(index: Int, module: Module)]
    /// Layers that have received a real-valued input in some measured batch.
    private var realValued: Set<Int> = []
    private let spikingNeurons: [NeuronLayer]
    /// Neuron-steps the spiking layers had recorded when the current forward began.
    private var baseline = 0
    /// Samples of the batch being forwarded.
    private var batchSamples = 0

    /// Neuron-steps the spiking layers have recorded in the current measurement.
    private func neuronStepsSoFar() -> Int {
        spikingNeurons.reduce(0) { $0 + ($1.firingRate?.elementCount ?? 0) }
    }

    /// A meter for `model` (nothing is attached until `measure`).
    public init(model: any ClassifierModel) {
        self.model = model
        var synaptic: [(Int, Module)] = []
        var layers: [SynapticLayerCount] = []
        for (name, module) in model.namedModules() {
            let type: SynapticLayerCount.LayerType
            switch module {
            case is Conv2d: type = .conv2d
            case is Conv1d: type = .conv1d
            case is Linear: type = .linear
            default: continue
            }
            synaptic.append((layers.count, module))
            layers.append(SynapticLayerCount(name: name, type: type, operation: .mac))
        }
        self.synaptic = synaptic
        self.layers = layers
        spikingNeurons = model.modules(ofType: NeuronLayer.self).filter { $0.spec.variant != .relu }
    }

    /// Runs the model on `inputs` (one batch of `count` samples), adds its counts and returns
    /// the model's outputs (so a caller can score the same forward).
    @discardableResult
    public func measure(inputs: Tensor, count: Int) -> Tensor {
        let neurons = model.modules(ofType: NeuronLayer.self)
        let wasTraining = model.isTraining
        model.eval()
        for layer in neurons { layer.recordsFiringRate = true }
        for (index, module) in synaptic {
            module.forwardObserver = { [unowned self] layer, input, output in
                // Decided by what ran before this layer in this forward and by what it received.
                if self.neuronStepsSoFar() == self.baseline || !Self.isSpikeDerived(input) { self.realValued.insert(index) }
                self.layers[index].operation = self.realValued.contains(index) ? .mac : .ac
                self.layers[index].add(layer: layer, input: input, output: output, samples: self.batchSamples)
            }
        }
        defer {
            for (_, module) in synaptic { module.forwardObserver = nil }
            for layer in spikingNeurons {
                neuronSpikes += layer.firingRate?.spikeCount ?? 0
                neuronSteps += layer.firingRate?.elementCount ?? 0
            }
            for layer in neurons { layer.recordsFiringRate = false }
            model.train(wasTraining)
        }
        baseline = neuronStepsSoFar()
        batchSamples = count
        let output = noGrad { model(inputs) }
        samples += count
        return output
    }

    /// Whether `input` holds at most `spikeLevelLimit` distinct finite values.
    static func isSpikeDerived(_ input: Tensor) -> Bool {
        var levels = Set<UInt32>()
        for value in input.floats {
            guard value.isFinite else { return false }
            if levels.insert((value == 0 ? 0 : value).bitPattern).inserted, levels.count > spikeLevelLimit { return false }
        }
        return true
    }

    /// Runs at most `batches` batches of `batcher` from its start (nil: all of them).
    public func measure(batcher: any BatchSource, batches: Int?) throws {
        batcher.restore(.start)
        var done = 0
        while batches.map({ done < $0 }) ?? true, let batch = try batcher.next() {
            measure(inputs: batch.inputs, count: batch.count)
            done += 1
        }
    }

    /// The per-sample report under `costs`.
    public func report(costs: EnergyCosts = EnergyCosts()) -> EnergyReport {
        let folded = model.modules(ofType: NeuronLayer.self).map(\.foldedSteps).max() ?? 1
        return EnergyReport(layers: layers, samples: samples, costs: costs,
                            neuronFiringRate: neuronSteps == 0 ? nil : Double(neuronSpikes) / Double(neuronSteps),
                            foldedSteps: folded)
    }
}
