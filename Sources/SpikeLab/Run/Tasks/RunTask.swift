import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// What differs between the kinds of task a run trains (classification, segmentation, and
/// next detection): the loss of a training batch, the epoch's running training statistics,
/// the test-set evaluation, and the `metrics.csv` columns they fill. The runner owns
/// everything else (the loop, optimizer, schedule, finite checks, checkpoints, the log).
///
/// A row of `metrics.csv` is `epoch, step, lr`, then `trainColumns`, then `testColumns`, then
/// `firing_rate, epoch_seconds, images_per_s` (`RunTaskColumns.all`). `checkpoint.keep_best: m`
/// picks the column `test_<m>` (largest wins; for `loss`, smallest).
public protocol RunTask: AnyObject {
    /// The training statistics' columns, e.g. `train_loss, train_top1`.
    var trainColumns: [String] { get }
    /// The test evaluation's columns, e.g. `test_loss, test_top1, test_top5`.
    var testColumns: [String] { get }

    /// The scalar loss to backpropagate for `batch`, given the model's `output` for `batch.inputs`.
    func trainingLoss(_ output: Tensor, _ batch: Batch) -> Tensor
    /// Adds a finished optimizer step's batch (its output and loss value) to the running statistics.
    func recordTraining(_ output: Tensor, _ batch: Batch, loss: Double)
    /// The running statistics in `trainColumns` order (NaN before the first batch).
    var trainValues: [Double] { get }
    /// The running sums, as saved in a checkpoint (`partialEpoch`) and restored from it.
    var trainState: [String: Double] { get set }
    /// Starts a new epoch's statistics.
    func resetTraining()
    /// The running statistics for the progress line, e.g. `loss 0.4321  acc 85.00%`.
    var progressText: String { get }

    /// Evaluates `model` on every batch of `batcher` from its start, in eval mode without
    /// gradients, and puts the model back into training mode.
    func evaluate(_ model: any ClassifierModel, on batcher: any BatchSource) throws -> TaskEvaluation
    /// The epoch's end-of-epoch progress text from its train and test values (column order).
    func epochText(train: [Double], test: [Double]) -> String
}

/// What evaluating a model on one split gives, whatever the task.
public struct TaskEvaluation: Equatable, Sendable {
    /// The values of the task's `testColumns`, in order.
    public var values: [Double]
    /// Spikes per neuron per step over all spiking neuron layers (NaN for an ANN).
    public var firingRate: Double
    /// Samples evaluated.
    public var samples: Int

    public init(values: [Double], firingRate: Double, samples: Int) {
        self.values = values
        self.firingRate = firingRate
        self.samples = samples
    }
}

/// The `metrics.csv` columns every task shares, around the task's own.
public enum RunTaskColumns {
    public static let leading = ["epoch", "step", "lr"]
    public static let trailing = ["firing_rate", "epoch_seconds", "images_per_s"]

    /// Every column of a task's rows, in order.
    public static func all(_ task: any RunTask) -> [String] {
        leading + task.trainColumns + task.testColumns + trailing
    }

    /// Every column a run of `task` writes, in order, known before the task is built.
    public static func all(for task: Experiment.Task) -> [String] {
        let columns = switch task {
        case .classification: ClassificationTask.columns
        case .segmentation: SegmentationTask.columns
        case .detection: DetectionTask.columns
        }
        return leading + columns.train + columns.test + trailing
    }

    /// The column `checkpoint.keep_best: metric` compares, and whether larger is better.
    public static func best(_ metric: CheckpointSettings.Metric) -> (column: String, largerIsBetter: Bool) {
        metric == .loss ? ("test_loss", false) : ("test_" + metric.rawValue, true)
    }
}

/// The task object of an experiment.
public enum RunTasks {
    /// Tasks this build can run.
    static let supported: [Experiment.Task] = [.classification, .segmentation, .detection]

    /// The task of `experiment`; a detection task writes its result files and previews into
    /// `directory` when one is given.
    public static func make(_ experiment: Experiment, directory: String? = nil) throws -> any RunTask {
        switch experiment.task {
        case .classification:
            switch experiment.training.loss {
            case .ce: return ClassificationTask(labelSmoothing: Float(experiment.training.labelSmoothing ?? 0))
            case .mse: return ClassificationTask(loss: .meanSquared)
            case .mseOneHot: return ClassificationTask(loss: .unilateralMeanSquared)
            case .tet:
                // TET needs every step's logits; the models return their mean over T.
                throw BuildError.unsupported(keyPath: "training.loss", value: "tet",
                                             supported: ["ce", "mse", "mse_onehot (tet, the per-step loss, is not built yet)"])
            case .yolo:
                throw BuildError.unsupported(keyPath: "training.loss", value: "yolo",
                                             supported: ["ce", "mse", "mse_onehot (yolo is the detection loss)"])
            }
        case .segmentation:
            // Per-pixel cross-entropy is the one segmentation loss built.
            if experiment.training.loss != .ce {
                throw BuildError.unsupported(keyPath: "training.loss", value: experiment.training.loss.rawValue,
                                             supported: ["ce (segmentation: per-pixel cross-entropy, void pixels ignored)"])
            }
            if let smoothing = experiment.training.labelSmoothing, smoothing != 0 {
                throw BuildError.unsupported(keyPath: "training.label_smoothing", value: "\(smoothing)",
                                             supported: ["0 or unset for segmentation"])
            }
            if experiment.model.numClasses > 255 {
                throw BuildError.unsupported(keyPath: "model.num_classes", value: "\(experiment.model.numClasses)",
                                             supported: ["at most 255 for segmentation (masks are 8-bit, 255 is void)"])
            }
            return SegmentationTask(classCount: experiment.model.numClasses)
        case .detection:
            return DetectionTask(setup: try DetectionSetup(experiment), directory: directory)
        }
    }
}

/// Runs `body` in eval mode without gradients with every neuron layer counting spikes, puts
/// the model back into training mode, and returns the spikes per neuron per step over all
/// spiking layers (NaN when there are none).
func evaluatingWithFiringRate(_ model: any ClassifierModel, _ body: () throws -> Void) rethrows -> Double {
    let neuronLayers = model.modules(ofType: NeuronLayer.self)
    model.eval()
    defer { model.train() }
    for layer in neuronLayers {
        layer.recordsFiringRate = true
        layer.firingRate?.reset()
    }
    defer { for layer in neuronLayers { layer.recordsFiringRate = false } }
    try noGrad { try body() }
    var spikes = 0, elements = 0
    for layer in neuronLayers where layer.spec.variant != .relu {
        spikes += layer.firingRate?.spikeCount ?? 0
        elements += layer.firingRate?.elementCount ?? 0
    }
    return elements > 0 ? Double(spikes) / Double(elements) : .nan
}
