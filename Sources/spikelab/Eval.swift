import ArgumentParser
import Foundation
import SpikeLab

/// `spikelab eval`: evaluate a checkpoint on its manifest's data.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a run's checkpoint: loss, top-1, top-5 (segmentation: mIoU, pixel accuracy; detection: mAP@0.5, mAP@[.5:.95]) and firing rate.",
        discussion: """
            Rebuilds the model from the manifest stored in the checkpoint, loads its weights and \
            evaluates on the test split (data.test_subset) or the training split (data.subset, \
            without augmentation). Writes nothing into the run directory; --out FILE saves the \
            result as JSON. Uses the run's thread count, so the test metrics equal metrics.csv's row. \
            For a segmentation run, --predictions DIR writes each evaluated image's predicted mask \
            as DIR/<image id>.png (VOC palette, the image's own size), scoreable with \
            `spikelab score segmentation --truth <masks> --pred DIR`. \
            A detection run reports VOC all-point mAP@0.5 and COCO mAP@[.50:.95]; --detections DIR \
            writes DIR/ground_truth.json and DIR/<split>.json (COCO formats) for `spikelab score detection`.
            --recalibrate-bn first re-estimates every batch-norm layer's running statistics from the \
            training split with the weights fixed ("precise BN"), which tells stale statistics apart \
            from overfitting when evaluation falls far below training accuracy.
            Exit codes: 0 done, 2 bad arguments or no such checkpoint, 3 unreadable checkpoint or missing data.
            """)

    @Argument(help: "A run directory (the --out of `spikelab run`) or a checkpoint file.")
    var path: String

    @Option(help: "Which split to evaluate: test or train.")
    var split: String = "test"

    @Option(help: "With a run directory: last, best or converted (default: converted for a finished convert run, else last).")
    var checkpoint: String?

    @Option(help: "Also write the result as JSON to this file.")
    var out: String?

    @Option(help: "Segmentation runs: write each evaluated image's predicted mask to this folder as <image id>.png.")
    var predictions: String?

    @Option(help: "Detection runs: write ground_truth.json and <split>.json (COCO formats) into this folder.")
    var detections: String?

    @Flag(name: .customLong("recalibrate-bn"),
          help: "Before evaluating, re-estimate the batch-norm running statistics with the weights fixed: one pass over the training split (data.subset, no augmentation), each batch weighted equally. A diagnostic of stale running statistics; the checkpoint is not changed.")
    var recalibrateBatchNorm = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Threads (default: the count the run used).")
    var threads: Int?

    func validate() throws {
        guard CheckpointEvaluation.Split(rawValue: split) != nil else {
            throw ValidationError("--split must be test or train, got '\(split)'")
        }
        if let checkpoint, CheckpointEvaluation.Which(rawValue: checkpoint) == nil {
            throw ValidationError("--checkpoint must be last or best (or converted, for a training.mode convert run), got '\(checkpoint)'")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        do {
            let file = try CheckpointEvaluation.locate(path, which: checkpoint.flatMap { CheckpointEvaluation.Which(rawValue: $0) })
            let evaluation = try CheckpointEvaluation.run(checkpointAt: file, split: CheckpointEvaluation.Split(rawValue: split)!,
                                                          threads: threads, predictions: predictions,
                                                          recalibrateBatchNorm: recalibrateBatchNorm)
            if let detections {
                guard let result = evaluation.detection else {
                    FileHandle.standardError.write(Data("error: --detections applies to detection runs; \(file) is a checkpoint of \(evaluation.manifestName), which is not one\n".utf8))
                    throw ExitCode(ExitStatus.badInput)
                }
                try DetectionPipeline.write(result, to: detections, name: split)
            }
            let text = try evaluation.json()
            if let out {
                do {
                    try (text + "\n").write(toFile: out, atomically: true, encoding: .utf8)
                } catch {
                    FileHandle.standardError.write(Data("error: \(out): cannot write the result: \(error.localizedDescription)\n".utf8))
                    throw ExitCode(ExitStatus.badInput)
                }
            }
            print(json ? text : evaluation.table())
            if let predictions, !json {
                print("predictions  \(evaluation.predictionsWritten) masks in \(predictions)")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw report(error)
        }
    }
}
