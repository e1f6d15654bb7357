import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// What evaluating a classifier on one split gives.
public struct Evaluation: Equatable, Sendable {
    /// Mean cross-entropy (no label smoothing).
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
    public static func run(_ model: any ClassifierModel, on batcher: any BatchSource) throws -> Evaluation {
        var lossSum = 0.0, top1 = 0, top5 = 0, seen = 0
        batcher.restore(.start)
        let firingRate = try evaluatingWithFiringRate(model) {
            while let batch = try batcher.next() {
                let logits = model(batch.inputs)
                lossSum += Double(crossEntropy(logits, batch.labels).item) * Double(batch.count)
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
    static func correct(_ logits: Tensor, _ labels: Tensor, k: Int) -> Int {
        let classes = logits.shape[1], p = logits.floats, y = labels.int32s
        var count = 0
        for row in 0..<logits.shape[0] {
            let target = p[row * classes + Int(y[row])]
            var larger = 0
            for c in 0..<classes where p[row * classes + c] > target { larger += 1 }
            if larger < k { count += 1 }
        }
        return count
    }
}
