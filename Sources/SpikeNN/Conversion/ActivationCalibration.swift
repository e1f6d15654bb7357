import SpikeTensor

/// What calibration measured at one activation site of a ReLU network.
public struct ActivationScale: Sendable, Equatable {
    /// The `NeuronLayer`'s dotted module name (`features.2`), the same in the ANN and its SNN.
    public var name: String
    /// λ: the statistic of the layer's positive activations; nil when none was positive.
    public var scale: Float?
    /// Activations seen, and how many of them were positive.
    public var seen: Int
    public var positive: Int
}

/// Records every ReLU output of a network over calibration batches and reduces each layer's
/// positive values to one scale λ (percentile or max), as snntoolbox's conversion does.
///
/// The network runs in eval mode (batch norm uses its running statistics, as the converted
/// SNN will) and without gradients. Memory: the positive activations of every layer over all
/// batches are kept until `scales()` (4 bytes each).
public final class ActivationCalibration {
    private let layers: [(name: String, layer: NeuronLayer)]
    private var values: [[Float]]
    private var seen: [Int]

    /// Starts recording the ReLU sites (`NeuronLayer`s of variant relu) of `model`.
    public init(model: Module) {
        layers = model.namedModules().compactMap { entry in
            (entry.module as? NeuronLayer).flatMap { $0.spec.variant == .relu ? (entry.name, $0) : nil }
        }
        precondition(!layers.isEmpty, "ActivationCalibration: the model has no ReLU NeuronLayer to calibrate")
        values = Array(repeating: [], count: layers.count)
        seen = Array(repeating: 0, count: layers.count)
    }

    /// Runs `model` on `inputs` and records the activations of every ReLU site.
    public func record(_ model: Module & UnaryLayer, inputs: Tensor) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        for (index, entry) in layers.enumerated() {
            entry.layer.forwardObserver = { [unowned self] _, _, output in self.keep(output, at: index) }
        }
        defer { for entry in layers { entry.layer.forwardObserver = nil } }
        noGrad { _ = model(inputs) }
    }

    private func keep(_ output: Tensor, at index: Int) {
        let x = output.floats
        seen[index] += x.count
        values[index].reserveCapacity(values[index].count + x.count / 2)
        for v in x where v > 0 { values[index].append(v) }
    }

    /// Each site's scale λ under `statistic`, in module order; frees the recorded values.
    public func scales(_ statistic: ActivationStatistic) -> [ActivationScale] {
        var result: [ActivationScale] = []
        for (index, entry) in layers.enumerated() {
            let positive = values[index].count
            let scale = activationStatistic(&values[index], statistic)
            values[index] = []
            result.append(ActivationScale(name: entry.name, scale: scale, seen: seen[index], positive: positive))
        }
        return result
    }
}
