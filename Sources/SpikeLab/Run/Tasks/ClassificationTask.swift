import Foundation
import SpikeData
import SpikeTensor

/// Image (or event, or sequence) classification: the manifest's loss on the time-averaged
/// outputs `[N, classes]`, top-1 while training, loss, top-1 and top-5 on the test set.
public final class ClassificationTask: RunTask {
    /// What the outputs are trained against (`training.loss`).
    public enum Loss: Equatable, Sendable {
        /// Cross-entropy of the logits, with label smoothing while training.
        case crossEntropy(labelSmoothing: Float)
        /// Mean squared error of the outputs to the one-hot label.
        case meanSquared
        /// The outputs clamped at 1 from above, then mean squared error to the one-hot label
        /// (BrainCog's UnilateralMse as the PSU SHD script names it).
        case unilateralMeanSquared
    }

    public let loss: Loss
    private var partial = EpochAccumulator()

    public init(loss: Loss = .crossEntropy(labelSmoothing: 0)) { self.loss = loss }

    public convenience init(labelSmoothing: Float) { self.init(loss: .crossEntropy(labelSmoothing: labelSmoothing)) }

    /// Label smoothing of a cross-entropy loss (0 for the others).
    public var labelSmoothing: Float {
        if case .crossEntropy(let smoothing) = loss { return smoothing }
        return 0
    }

    /// The loss of `output` `[N, classes]` against Int32 `labels`, smoothed only when `training`.
    public func lossValue(_ output: Tensor, _ labels: Tensor, training: Bool) -> Tensor {
        switch loss {
        case .crossEntropy(let smoothing):
            return crossEntropy(output, labels, labelSmoothing: training ? smoothing : 0)
        case .meanSquared:
            return mseLoss(output, Self.oneHot(labels, classes: output.shape[1]))
        case .unilateralMeanSquared:
            return mseLoss(output.clamp(max: 1), Self.oneHot(labels, classes: output.shape[1]))
        }
    }

    /// Float `[N, classes]` with 1 at each row's label.
    static func oneHot(_ labels: Tensor, classes: Int) -> Tensor {
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (row, label) in labels.int32s.enumerated() { values[row * classes + Int(label)] = 1 }
        return Tensor(values, shape: [labels.count, classes])
    }

    /// The task's `metrics.csv` columns (static, so tables can name them before a run exists).
    public static let columns = (train: ["train_loss", "train_top1"], test: ["test_loss", "test_top1", "test_top5"])
    public var trainColumns: [String] { Self.columns.train }
    public var testColumns: [String] { Self.columns.test }

    public func trainingLoss(_ output: Tensor, _ batch: Batch) -> Tensor {
        lossValue(output, batch.labels, training: true)
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
        let result = try Evaluation.run(model, on: batcher) { self.lossValue($0, $1, training: false) }
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
