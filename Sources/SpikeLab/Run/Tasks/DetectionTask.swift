import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// Single-stage detection (`yolo_tiny`): the YOLO loss on the detector's `[N, slots, 5 + K]`
/// output while training; on the test set the loss, VOC all-point mAP@0.5 and COCO
/// mAP@[.50:.95] (`DetectionPipeline.evaluate`). Each evaluation also writes
/// `detections/ground_truth.json` and `detections/test.json` (COCO formats, what
/// `spikelab score detection` reads) and `previews/preview_<k>.png` into the run directory.
public final class DetectionTask: RunTask {
    public let setup: DetectionSetup
    /// Where evaluations write their files (nil: write nothing).
    public let directory: String?
    private var lossSum = 0.0, seen = 0.0

    public init(setup: DetectionSetup, directory: String?) {
        self.setup = setup
        self.directory = directory
    }

    /// The task's `metrics.csv` columns (static, so tables can name them before a run exists).
    public static let columns = (train: ["train_loss"], test: ["test_loss", "test_map50", "test_map"])
    public var trainColumns: [String] { Self.columns.train }
    public var testColumns: [String] { Self.columns.test }

    public func trainingLoss(_ output: Tensor, _ batch: Batch) -> Tensor {
        setup.loss(output, objects: batch.detection!.targets.map(DetectionPipeline.objects)).total
    }

    public func recordTraining(_ output: Tensor, _ batch: Batch, loss: Double) {
        lossSum += loss * Double(batch.count)
        seen += Double(batch.count)
    }

    public var trainValues: [Double] { [seen > 0 ? lossSum / seen : .nan] }

    public var trainState: [String: Double] {
        get { ["loss_sum": lossSum, "seen": seen] }
        set { lossSum = newValue["loss_sum"] ?? 0; seen = newValue["seen"] ?? 0 }
    }

    public func resetTraining() { lossSum = 0; seen = 0 }

    public var progressText: String { String(format: "loss %.4f", trainValues[0]) }

    public func evaluate(_ model: any ClassifierModel, on batcher: any BatchSource) throws -> TaskEvaluation {
        guard let batcher = batcher as? DetectionBatcher else { preconditionFailure("DetectionTask evaluates DetectionBatcher batches, got \(type(of: batcher))") }
        let evaluation = try DetectionPipeline.evaluate(model, on: batcher, loss: setup.loss,
                                                        decoder: setup.decoder)
        if let directory {
            try DetectionPipeline.write(evaluation, to: directory + "/detections", name: "test")
            try DetectionPreview.write(evaluation, dataset: setup.test, count: setup.settings.previews,
                                       to: directory + "/previews")
        }
        return TaskEvaluation(values: [evaluation.loss, evaluation.map50 ?? .nan, evaluation.map],
                              firingRate: evaluation.firingRate, samples: evaluation.samples)
    }

    public func epochText(train: [Double], test: [Double]) -> String {
        String(format: "train loss %.4f  test loss %.4f  mAP@0.5 %.4f  mAP@[.5:.95] %.4f", train[0], test[0], test[1], test[2])
    }
}
