import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// `spikelab eval`: a checkpoint's model evaluated on a split of its own manifest's data,
/// without touching the run directory.
public struct CheckpointEvaluation {
    /// Which part of the dataset to evaluate on.
    public enum Split: String, CaseIterable, Sendable {
        /// The test split, limited to `data.test_subset` as during training.
        case test
        /// The training split, limited to `data.subset` (the samples training saw), without augmentation.
        case train
    }

    /// Which checkpoint of a run directory.
    public enum Which: String, CaseIterable, Sendable {
        case last, best
        /// A convert run's SNN (`checkpoints/converted.h5`).
        case converted
    }

    public var checkpointPath: String
    public var manifestName: String
    public var epoch: Int
    public var globalStep: Int
    public var split: Split
    public var threads: Int
    /// The task's test metrics without their `test_` prefix (`loss, top1, top5` for
    /// classification, `loss, miou, pixel_acc` for segmentation), in order.
    public var metrics: [String]
    /// Their values, the firing rate and the sample count.
    public var result: TaskEvaluation
    /// Predicted masks written (segmentation with `predictions`), 0 otherwise.
    public var predictionsWritten = 0
    /// A detector's evaluation with its detections (detection runs), nil otherwise.
    public var detection: DetectionEvaluation? = nil
    /// Training batches the batch-norm running statistics were re-estimated on before evaluating
    /// (`recalibrateBatchNorm`), nil when the checkpoint's own statistics were used.
    public var recalibrationBatches: Int? = nil

    /// The checkpoint file `path` names: the file itself, or `checkpoints/<which>.h5` of a run
    /// directory (`which` defaults to last; it is an error with a file path).
    public static func locate(_ path: String, which: Which?) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EvaluationError.noSuchPath(path)
        }
        guard isDirectory.boolValue else {
            if let which { throw EvaluationError.checkpointOptionWithFile(path: path, which: which) }
            return path
        }
        // A convert run's result is its SNN: without --checkpoint, converted.h5 when there is one.
        let converted = "\(path)/checkpoints/\(Which.converted.rawValue).h5"
        if which == nil, FileManager.default.fileExists(atPath: converted) { return converted }
        let file = "\(path)/checkpoints/\((which ?? .last).rawValue).h5"
        guard FileManager.default.fileExists(atPath: file) else {
            let present = (try? FileManager.default.contentsOfDirectory(atPath: path + "/checkpoints"))?
                .filter { $0.hasSuffix(".h5") }.sorted() ?? []
            throw EvaluationError.noCheckpoint(directory: path, which: which ?? .last, present: present)
        }
        return file
    }

    /// Loads the checkpoint at `path`, rebuilds its model from the manifest stored inside it,
    /// and evaluates it on `split`. Uses the run's thread count unless `threads` is given, so
    /// the test metrics equal the ones the run logged for that epoch.
    ///
    /// With `predictions` (segmentation only), every evaluated image's predicted mask is written
    /// there as `<image id>.png`, a VOC-palette PNG at the size it was scored at.
    ///
    /// With `recalibrateBatchNorm`, the batch-norm running statistics are first re-estimated with
    /// the weights fixed, from one pass over the training split (`data.subset`, no augmentation,
    /// unshuffled; `SpikeNN.recalibrateBatchNorm`); the checkpoint file is not changed. A
    /// diagnostic: it shows how much of a train/test gap comes from running statistics that lag
    /// behind the weights (results/README.md, "PSU family: train/test gap").
    public static func run(checkpointAt path: String, split: Split, threads: Int? = nil,
                           predictions: String? = nil, recalibrateBatchNorm recalibrate: Bool = false) throws -> CheckpointEvaluation {
        let loaded = try LoadedCheckpoint(path: path, threads: threads)
        let checkpoint = loaded.checkpoint, experiment = loaded.experiment
        var recalibrationBatches: Int?
        if recalibrate {
            let source = try loaded.batcher(split: .train)
            defer { source.stopPrefetching() }
            source.restore(.start)
            recalibrationBatches = try recalibrateBatchNorm(loaded.model) { try source.next()?.inputs }
        }
        if experiment.task == .detection {
            if predictions != nil { throw EvaluationError.predictionsNeedSegmentation(task: experiment.task.rawValue) }
            // Evaluated here rather than through DetectionTask so the detections themselves
            // come back (`eval --detections` writes them).
            let setup = try DetectionSetup(experiment)
            let batcher = setup.evalBatcher(split: split == .test ? .test : .train)
            let d = try DetectionPipeline.evaluate(loaded.model, on: batcher, loss: setup.loss, decoder: setup.decoder)
            return CheckpointEvaluation(checkpointPath: path, manifestName: experiment.name, epoch: checkpoint.epoch,
                                        globalStep: checkpoint.globalStep, split: split, threads: Threads.count,
                                        metrics: ["loss", "map50", "map"],
                                        result: TaskEvaluation(values: [d.loss, d.map50 ?? .nan, d.map], firingRate: d.firingRate,
                                                               samples: d.samples),
                                        detection: d, recalibrationBatches: recalibrationBatches)
        }
        let task = try RunTasks.make(experiment)
        if predictions != nil && !(task is SegmentationTask) {
            throw EvaluationError.predictionsNeedSegmentation(task: experiment.task.rawValue)
        }
        let batcher = try loaded.batcher(split: split)
        defer { batcher.stopPrefetching() }
        let result: TaskEvaluation
        var written = 0
        if let predictions, let segmentation = task as? SegmentationTask, let batcher = batcher as? Batcher {
            let writer = try SegmentationPredictionWriter(directory: predictions)
            result = segmentation.evaluate(loaded.model, on: batcher) { id, mask in writer.write(id: id, mask: mask) }
            try writer.finish()
            written = writer.written
        } else {
            result = try task.evaluate(loaded.model, on: batcher)
        }
        return CheckpointEvaluation(checkpointPath: path, manifestName: experiment.name, epoch: checkpoint.epoch,
                                    globalStep: checkpoint.globalStep, split: split, threads: Threads.count,
                                    metrics: task.testColumns.map { String($0.dropFirst("test_".count)) },
                                    result: result, predictionsWritten: written, recalibrationBatches: recalibrationBatches)
    }

    /// Plain text, one value per line.
    public func table() -> String {
        let r = result
        var lines = ["\(checkpointPath): \(manifestName), epoch \(epoch), global step \(globalStep)",
                     "split        \(split.rawValue) (\(r.samples) samples, \(threads) threads)"]
        if let recalibrationBatches {
            lines.append("batch norm   running statistics re-estimated on \(recalibrationBatches) training batches")
        }
        for (name, value) in zip(metrics, r.values) {
            let padded = name.padding(toLength: 12, withPad: " ", startingAt: 0)
            lines.append("\(padded) \(String(format: name == "loss" ? "%.6f" : "%.4f", value))")
        }
        if let detection { lines.append("detections   \(detection.detections.count)") }
        lines.append("firing_rate  \(r.firingRate.isNaN ? "n/a (no spiking neurons)" : String(format: "%.6f", r.firingRate))")
        return lines.joined(separator: "\n")
    }

    /// JSON with the exact values (firing rate null for an ANN).
    public func json() throws -> String {
        var object: [String: Any] = [
            "checkpoint": checkpointPath, "name": manifestName, "epoch": epoch, "global_step": globalStep,
            "split": split.rawValue, "samples": result.samples, "threads": threads,
            "firing_rate": result.firingRate.isNaN ? NSNull() : result.firingRate as Any,
        ]
        for (name, value) in zip(metrics, result.values) { object[name] = value.isNaN ? NSNull() : value as Any }
        if let detection { object["detections"] = detection.detections.count }
        if let recalibrationBatches { object["recalibrated_bn_batches"] = recalibrationBatches }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Why `spikelab eval` cannot start; all are bad arguments (exit code 2).
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case noSuchPath(String)
    case checkpointOptionWithFile(path: String, which: CheckpointEvaluation.Which)
    case noCheckpoint(directory: String, which: CheckpointEvaluation.Which, present: [String])
    case predictionsNeedSegmentation(task: String)

    public var description: String {
        switch self {
        case .noSuchPath(let path):
            return "\(path): no such file or directory; give a run directory (the --out of `spikelab run`) or a checkpoint file"
        case .checkpointOptionWithFile(let path, let which):
            return "--checkpoint \(which.rawValue) picks a file inside a run directory, but \(path) is already a file; drop --checkpoint or pass the run directory"
        case .noCheckpoint(let directory, let which, let present):
            return "\(directory) has no checkpoints/\(which.rawValue).h5 (present: \(present.isEmpty ? "none" : present.joined(separator: ", ")))"
                + (which == .best ? "; best.h5 exists only when the manifest sets checkpoint.keep_best" : "")
                + (which == .converted ? "; converted.h5 exists once a training.mode convert run has finished" : "")
        case .predictionsNeedSegmentation(let task):
            return "--predictions writes predicted masks, which only a segmentation run makes; this checkpoint's task is \(task)"
        }
    }
}
