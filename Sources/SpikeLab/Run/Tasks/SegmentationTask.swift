import Foundation
import SpikeData
import SpikeTensor

/// Semantic segmentation: per-pixel cross-entropy on logits `[N, classes, H, W]` against masks
/// `[N, H, W]`, void pixels (255) ignored; pixel accuracy while training; loss, mean IoU and
/// pixel accuracy on the test set.
///
/// Test mIoU and pixel accuracy are scored at each image's own size when the test set keeps its
/// original masks (`ResizedSegmentationSet`): the logits are resized bilinearly to the image's
/// size and the largest score per pixel is the prediction — the same masks `predictions` writes,
/// so `spikelab score segmentation` on those PNGs gives the logged values. The test loss is taken
/// at the network's input size, against the resized masks.
public final class SegmentationTask: RunTask {
    /// Classes the network predicts (background included).
    public let classCount: Int
    private var lossSum = 0.0, seen = 0.0, correctPixels = 0.0, labelledPixels = 0.0

    public init(classCount: Int) {
        precondition(classCount >= 1 && classCount <= 255, "a segmentation task has 1…255 classes, got \(classCount)")
        self.classCount = classCount
    }

    /// The task's `metrics.csv` columns (static, so tables can name them before a run exists).
    public static let columns = (train: ["train_loss", "train_pixel_acc"], test: ["test_loss", "test_miou", "test_pixel_acc"])
    public var trainColumns: [String] { Self.columns.train }
    public var testColumns: [String] { Self.columns.test }

    public func trainingLoss(_ output: Tensor, _ batch: Batch) -> Tensor {
        crossEntropy(output, batch.labels, ignoreIndex: SegmentationTarget.void)
    }

    public func recordTraining(_ output: Tensor, _ batch: Batch, loss: Double) {
        lossSum += loss * Double(batch.count)
        seen += Double(batch.count)
        let predicted = Self.argmaxLabels(output)
        let truth = batch.labels.int32Array
        for i in 0..<predicted.count where truth[i] != SegmentationTarget.void {
            labelledPixels += 1
            if Int32(predicted[i]) == truth[i] { correctPixels += 1 }
        }
    }

    public var trainValues: [Double] {
        [seen > 0 ? lossSum / seen : .nan, labelledPixels > 0 ? correctPixels / labelledPixels : .nan]
    }

    public var trainState: [String: Double] {
        get { ["loss_sum": lossSum, "seen": seen, "correct_pixels": correctPixels, "labelled_pixels": labelledPixels] }
        set {
            lossSum = newValue["loss_sum"] ?? 0
            seen = newValue["seen"] ?? 0
            correctPixels = newValue["correct_pixels"] ?? 0
            labelledPixels = newValue["labelled_pixels"] ?? 0
        }
    }

    public func resetTraining() { trainState = [:] }

    public var progressText: String {
        let values = trainValues
        return String(format: "loss %.4f  pixel acc %.2f%%", values[0], 100 * values[1])
    }

    public func evaluate(_ model: any ClassifierModel, on batcher: any BatchSource) throws -> TaskEvaluation {
        guard let batcher = batcher as? Batcher else {
            preconditionFailure("SegmentationTask evaluates Batcher batches, got \(type(of: batcher))")
        }
        return evaluate(model, on: batcher, each: nil)
    }

    /// Evaluates as `evaluate(_:on:)` does and hands every image's predicted mask (at the size
    /// it is scored at) to `each`, in test order.
    public func evaluate(_ model: any ClassifierModel, on batcher: Batcher,
                         each: ((_ id: String, _ mask: ResizedSegmentationSet.OriginalMask) -> Void)?) -> TaskEvaluation {
        let set = batcher.dataset as? ResizedSegmentationSet
        var matrix = ConfusionMatrix(classCount: classCount)
        var lossSum = 0.0, seen = 0
        batcher.restore(.start)
        let firingRate = evaluatingWithFiringRate(model) {
            while let batch = batcher.next() {
                let logits = model(batch.inputs)
                lossSum += Double(crossEntropy(logits, batch.labels, ignoreIndex: SegmentationTarget.void).item) * Double(batch.count)
                seen += batch.count
                for (k, index) in batch.sampleIndices.enumerated() {
                    let row = logits.sliced(axis: 0, range: k..<k + 1)
                    let truth: ResizedSegmentationSet.OriginalMask
                    if let original = set?.originalMasks?[index] {
                        truth = original
                    } else {
                        let height = batch.labels.shape[1], width = batch.labels.shape[2]
                        let labels = batch.labels.int32Array[k * height * width..<(k + 1) * height * width]
                        truth = .init(width: width, height: height, labels: labels.map { UInt8(truncatingIfNeeded: $0) })
                    }
                    let scaled = truth.width == row.shape[3] && truth.height == row.shape[2]
                        ? row : upsampleBilinear2d(row, size: (truth.height, truth.width))
                    let predicted = ResizedSegmentationSet.OriginalMask(width: truth.width, height: truth.height,
                                                                       labels: Self.argmaxLabels(scaled))
                    do {
                        try matrix.add(truth: truth.labels, predicted: predicted.labels, width: truth.width)
                    } catch {
                        // Masks were checked against model.num_classes when the run was built.
                        preconditionFailure("segmentation label out of range: \(error)")
                    }
                    each?(set?.ids[index] ?? String(index), predicted)
                }
            }
        }
        let n = Double(max(seen, 1))
        return TaskEvaluation(values: [lossSum / n, matrix.meanIoU ?? .nan, matrix.pixelAccuracy ?? .nan],
                              firingRate: firingRate, samples: seen)
    }

    public func epochText(train: [Double], test: [Double]) -> String {
        String(format: "train loss %.4f  train pixel acc %.2f%%  test loss %.4f  test mIoU %.2f%%  test pixel acc %.2f%%",
               train[0], 100 * train[1], test[0], 100 * test[1], 100 * test[2])
    }

    /// The class of largest score at every pixel of logits `[N, C, H, W]` (the first of equal
    /// scores), row-major over N, H, W.
    static func argmaxLabels(_ logits: Tensor) -> [UInt8] {
        precondition(logits.rank == 4, "segmentation logits are [N, C, H, W], got \(logits.shape)")
        let n = logits.shape[0], classes = logits.shape[1], plane = logits.shape[2] * logits.shape[3]
        return withExtendedLifetime(logits) {
            let p = logits.floats
            var labels = [UInt8](repeating: 0, count: n * plane)
            for image in 0..<n {
                let base = image * classes * plane
                for pixel in 0..<plane {
                    var best = 0, bestScore = p[base + pixel]
                    for c in 1..<max(classes, 1) where p[base + c * plane + pixel] > bestScore {
                        best = c
                        bestScore = p[base + c * plane + pixel]
                    }
                    labels[image * plane + pixel] = UInt8(best)
                }
            }
            return labels
        }
    }
}
