import Foundation
import SpikeData
import SpikeTensor

/// Image (or event, or sequence) classification: cross-entropy on logits `[N, classes]`,
/// top-1 while training, loss, top-1 and top-5 on the test set.
public final class ClassificationTask: RunTask {
    public let labelSmoothing: Float
    private var partial = EpochAccumulator()

    public init(labelSmoothing: Float = 0) { self.labelSmoothing = labelSmoothing }

    public var trainColumns: [String] { ["train_loss", "train_top1"] }
    public var testColumns: [String] { ["test_loss", "test_top1", "test_top5"] }

    public func trainingLoss(_ output: Tensor, _ batch: Batch) -> Tensor {
        crossEntropy(output, batch.labels, labelSmoothing: labelSmoothing)
    }

    public func recordTraining(_ output: Tensor, _ batch: Batch, loss: Double) {
        partial.add(loss: loss, count: batch.count, correct: Evaluation.correct(output, batch.labels, k: 1))
    }

    public var trainValues: [Double] { [partial.meanLoss, partial.accuracy] }

    public var trainState: [String: Double] {
        get { partial.values }
        set { partial = EpochAccumulator(newValue) }
    }

    public func resetTraining() { partial = EpochAccumulator() }

    public var progressText: String {
        String(format: "loss %.4f  acc %.2f%%", partial.meanLoss, 100 * partial.accuracy)
    }

    public func evaluate(_ model: any ClassifierModel, on batcher: any BatchSource) throws -> TaskEvaluation {
        let result = try Evaluation.run(model, on: batcher)
        return TaskEvaluation(values: [result.loss, result.top1, result.top5], firingRate: result.firingRate,
                              samples: result.samples)
    }

    public func epochText(train: [Double], test: [Double]) -> String {
        String(format: "train loss %.4f  train acc %.2f%%  test loss %.4f  test acc %.2f%%",
               train[0], 100 * train[1], test[0], 100 * test[1])
    }
}

/// Running sums of a classification epoch in progress.
struct EpochAccumulator {
    var lossSum = 0.0
    var correct = 0.0
    var seen = 0.0

    init() {}

    init(_ values: [String: Double]) {
        lossSum = values["loss_sum"] ?? 0
        correct = values["correct"] ?? 0
        seen = values["seen"] ?? 0
    }

    var values: [String: Double] { ["loss_sum": lossSum, "correct": correct, "seen": seen] }

    mutating func add(loss: Double, count: Int, correct right: Int) {
        lossSum += loss * Double(count)
        correct += Double(right)
        seen += Double(count)
    }

    var meanLoss: Double { seen > 0 ? lossSum / seen : .nan }
    var accuracy: Double { seen > 0 ? correct / seen : .nan }
}
