import Foundation
import SpikeData
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
    }

    public var checkpointPath: String
    public var manifestName: String
    public var epoch: Int
    public var globalStep: Int
    public var split: Split
    public var threads: Int
    public var result: Evaluation
    /// A detector's evaluation (then `result` holds its loss and firing rate, top-1 and top-5 NaN).
    public var detection: DetectionEvaluation?

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
    public static func run(checkpointAt path: String, split: Split, threads: Int? = nil) throws -> CheckpointEvaluation {
        let loaded = try LoadedCheckpoint(path: path, threads: threads)
        let checkpoint = loaded.checkpoint, experiment = loaded.experiment
        if experiment.task == .detection {
            let setup = try DetectionSetup(experiment)
            let batcher = setup.evalBatcher(split: split == .test ? .test : .train)
            let d = try DetectionPipeline.evaluate(loaded.model, on: batcher, loss: setup.loss, decoder: setup.decoder)
            return CheckpointEvaluation(checkpointPath: path, manifestName: experiment.name, epoch: checkpoint.epoch,
                                        globalStep: checkpoint.globalStep, split: split, threads: Threads.count,
                                        result: Evaluation(loss: d.loss, top1: .nan, top5: .nan, firingRate: d.firingRate,
                                                           samples: d.samples),
                                        detection: d)
        }
        let batcher = try loaded.batcher(split: split)
        defer { batcher.stopPrefetching() }
        let result = try Evaluation.run(loaded.model, on: batcher)
        return CheckpointEvaluation(checkpointPath: path, manifestName: experiment.name, epoch: checkpoint.epoch,
                                    globalStep: checkpoint.globalStep, split: split, threads: Threads.count,
                                    result: result)
    }

    /// Plain text, one value per line.
    public func table() -> String {
        let r = result
        if let d = detection {
            return """
                \(checkpointPath): \(manifestName), epoch \(epoch), global step \(globalStep)
                split        \(split.rawValue) (\(r.samples) images, \(threads) threads)
                loss         \(String(format: "%.6f", r.loss))
                map50        \(d.map50.map { String(format: "%.4f", $0) } ?? "n/a (no non-difficult objects)")  (VOC all-point AP@0.5)
                map          \(String(format: "%.4f", d.map))  (COCO AP@[.50:.95])
                detections   \(d.detections.count)
                firing_rate  \(r.firingRate.isNaN ? "n/a (no spiking neurons)" : String(format: "%.6f", r.firingRate))
                """
        }
        return """
            \(checkpointPath): \(manifestName), epoch \(epoch), global step \(globalStep)
            split        \(split.rawValue) (\(r.samples) samples, \(threads) threads)
            loss         \(String(format: "%.6f", r.loss))
            top1         \(String(format: "%.4f", r.top1))
            top5         \(String(format: "%.4f", r.top5))
            firing_rate  \(r.firingRate.isNaN ? "n/a (no spiking neurons)" : String(format: "%.6f", r.firingRate))
            """
    }

    /// JSON with the exact values (firing rate null for an ANN).
    public func json() throws -> String {
        var object: [String: Any] = [
            "checkpoint": checkpointPath, "name": manifestName, "epoch": epoch, "global_step": globalStep,
            "split": split.rawValue, "samples": result.samples, "threads": threads,
            "loss": result.loss, "top1": result.top1, "top5": result.top5,
            "firing_rate": result.firingRate.isNaN ? NSNull() : result.firingRate as Any,
        ]
        if let d = detection {
            object["top1"] = nil
            object["top5"] = nil
            object["map50"] = d.map50.map { $0 as Any } ?? NSNull()
            object["map"] = d.map
            object["detections"] = d.detections.count
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Why `spikelab eval` cannot start; all are bad arguments (exit code 2).
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case noSuchPath(String)
    case checkpointOptionWithFile(path: String, which: CheckpointEvaluation.Which)
    case noCheckpoint(directory: String, which: CheckpointEvaluation.Which, present: [String])

    public var description: String {
        switch self {
        case .noSuchPath(let path):
            return "\(path): no such file or directory; give a run directory (the --out of `spikelab run`) or a checkpoint file"
        case .checkpointOptionWithFile(let path, let which):
            return "--checkpoint \(which.rawValue) picks a file inside a run directory, but \(path) is already a file; drop --checkpoint or pass the run directory"
        case .noCheckpoint(let directory, let which, let present):
            return "\(directory) has no checkpoints/\(which.rawValue).h5 (present: \(present.isEmpty ? "none" : present.joined(separator: ", ")))"
                + (which == .best ? "; best.h5 exists only when the manifest sets checkpoint.keep_best" : "")
        }
    }
}
