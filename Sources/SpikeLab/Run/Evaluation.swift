import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// What evaluating a classifier on one split gives.
public struct Evaluation: Equatable, Sendable {
    /// Mean of the evaluation loss (cross-entropy without label smoothing unless `run` is given another).
    public var loss: Double
    /// Fraction of samples whose label is the top score, and among the five top scores.
    public var top1: Double
    public var top5: Double
    /// Spikes per neuron per step over all spiking neuron layers (NaN for an ANN).
    public var firingRate: Double
    /// Samples evaluated.
    public var samples: Int

    /// Evaluates `model` on every batch of `batcher` (from its start) in eval mode, without
    /// gradients, and puts the model back into training mode.
    public static func run(_ model: any ClassifierModel, on batcher: any BatchSource,
                           loss lossFunction: (Tensor, Tensor) -> Tensor = { crossEntropy($0, $1) }) throws -> Evaluation {
        var lossSum = 0.0, top1 = 0, top5 = 0, seen = 0
        batcher.restore(.start)
        let firingRate = try evaluatingWithFiringRate(model) {
            while let batch = try batcher.next() {
                let logits = model(batch.inputs)
                lossSum += Double(lossFunction(logits, batch.labels).item) * Double(batch.count)
                top1 += correct(logits, batch.labels, k: 1)
                top5 += correct(logits, batch.labels, k: 5)
                seen += batch.count
            }
        }
        let n = Double(max(seen, 1))
        return Evaluation(loss: lossSum / n, top1: Double(top1) / n, top5: Double(top5) / n,
                          firingRate: firingRate, samples: seen)
    }

    /// How many rows of `logits` have their label among the `k` largest scores.
    ///
    /// Equal scores rank by class index, lower first (as `argmax` picks the first maximum), so
    /// a network whose scores are all equal — a silent SNN — is right only for class 0, never
    /// for every label at once.
    static func correct(_ logits: Tensor, _ labels: Tensor, k: Int) -> Int {
        let classes = logits.shape[1], p = logits.floats, y = labels.int32s
        var count = 0
        for row in 0..<logits.shape[0] {
            let label = Int(y[row]), target = p[row * classes + label]
            var ahead = 0
            for c in 0..<classes {
                let score = p[row * classes + c]
                if score > target || (score == target && c < label) { ahead += 1 }
            }
            if ahead < k { count += 1 }
        }
        return count
    }
}
