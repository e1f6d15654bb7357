import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// What the second phase of a `training.mode: convert` run measured: the trained ANN, the
/// activation scales calibration found, and the converted SNN at every T of
/// `training.conversion.time_steps` (docs/conversion.md).
public struct ConversionOutcome {
    /// The converted SNN at one T, and its top-1 drop from the ANN (fraction, ANN − SNN).
    public struct Step {
        public var timeSteps: Int
        public var evaluation: Evaluation
        public var top1Drop: Double
    }

    /// The ANN (final weights) on the test split.
    public var ann: Evaluation
    /// Each activation site's scale λ.
    public var scales: [ActivationScale]
    /// The statistic and how many calibration batches and samples it saw.
    public var statistic: ActivationStatistic
    public var calibrationBatches: Int
    public var calibrationSamples: Int
    /// The converted SNN at each T, in manifest order.
    public var steps: [Step]
    /// `neuron.time_steps`: the T of `checkpoints/converted.h5` and of table rows.
    public var reportedTimeSteps: Int
    /// The thresholds of the SNN at `reportedTimeSteps`, by neuron layer.
    public var thresholds: [(name: String, threshold: Float)]

    /// The step at `reportedTimeSteps`.
    public var reported: Step { steps.first { $0.timeSteps == reportedTimeSteps }! }

    /// Columns of conversion.csv.
    public static let columns = ["time_steps", "test_loss", "test_top1", "test_top5", "firing_rate", "ann_test_top1", "top1_drop"]

    /// conversion.csv: one row per T (accuracies as fractions, like metrics.csv).
    public func csv() -> String {
        var lines = [Self.columns.joined(separator: ",")]
        for step in steps {
            let e = step.evaluation
            let values = [e.loss, e.top1, e.top5, e.firingRate, ann.top1, step.top1Drop].map { $0.isNaN ? "nan" : "\($0)" }
            lines.append(([String(step.timeSteps)] + values).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// summary.json's `conversion` object.
    public func jsonObject() -> [String: Any] {
        func evaluation(_ e: Evaluation) -> [String: Any] {
            var object: [String: Any] = ["test_loss": e.loss, "test_top1": e.top1, "test_top5": e.top5, "samples": e.samples]
            if !e.firingRate.isNaN { object["firing_rate"] = e.firingRate }
            return object
        }
        let statisticText: Any = switch statistic {
        case .max: "max"
        case .percentile(let p): p
        }
        return [
            "ann": evaluation(ann),
            "calibration": [
                "percentile": statisticText, "batches": calibrationBatches, "samples": calibrationSamples,
                "layers": scales.map { scale -> [String: Any] in
                    var layer: [String: Any] = ["name": scale.name, "seen": scale.seen, "positive": scale.positive]
                    layer["scale"] = scale.scale.map { Double($0) as Any } ?? NSNull()
                    if let t = thresholds.first(where: { $0.name == scale.name }) { layer["threshold"] = Double(t.threshold) }
                    return layer
                },
            ] as [String: Any],
            "snn": steps.map { step -> [String: Any] in
                var object = evaluation(step.evaluation)
                object["time_steps"] = step.timeSteps
                object["top1_drop"] = step.top1Drop
                return object
            },
            "time_steps": reportedTimeSteps,
            "test_top1": reported.evaluation.top1,
            "top1_drop": reported.top1Drop,
        ]
    }
}

/// The second phase of a convert run: calibrate on training batches, convert at every T,
/// evaluate on the test split.
enum ConversionRun {
    /// Calibrates the trained `ann` on the first `calibration_batches` batches of
    /// `calibration`, converts it at each T of `training.conversion.time_steps` and evaluates
    /// each SNN on `test`. Returns the outcome and the SNN at `neuron.time_steps`.
    static func run(_ experiment: Experiment, ann: any ClassifierModel, calibration: Batcher, test: any BatchSource,
                    progress: ProgressReporter) throws -> (outcome: ConversionOutcome, converted: any ClassifierModel) {
        let settings = experiment.training.conversion!
        let statistic: ActivationStatistic = switch settings.percentile {
        case .max: .max
        case .percentile(let p): .percentile(p)
        }
        let annEvaluation = try Evaluation.run(ann, on: test)
        let recorder = ActivationCalibration(model: ann)
        calibration.restore(.start)
        var batches = 0, samples = 0
        while batches < settings.calibrationBatches, let batch = calibration.next() {
            recorder.record(ann, inputs: batch.inputs)
            batches += 1
            samples += batch.count
        }
        calibration.stopPrefetching()
        let scales = recorder.scales(statistic)
        let described = scales.map { "\($0.name) \($0.scale.map { String(format: "%.4g", $0) } ?? "silent")" }
        progress.line("conversion: calibrated on \(batches) batches (\(samples) images): λ = \(described.joined(separator: ", "))")

        var steps: [ConversionOutcome.Step] = []
        var reportedModel: (any ClassifierModel)?
        var thresholds: [(name: String, threshold: Float)] = []
        for t in settings.timeSteps {
            let snn = try ExperimentBuilder.convertedModel(experiment, timeSteps: t)
            let set = try ANNToSNN.convert(ann: ann, into: snn, scales: scales)
            let evaluation = try Evaluation.run(snn, on: test)
            let step = ConversionOutcome.Step(timeSteps: t, evaluation: evaluation, top1Drop: annEvaluation.top1 - evaluation.top1)
            steps.append(step)
            progress.line(String(format: "conversion: T = %d  SNN test acc %.2f%%  (ANN %.2f%%, drop %.2f points)  firing %.3f",
                                 t, 100 * evaluation.top1, 100 * annEvaluation.top1, 100 * step.top1Drop, evaluation.firingRate))
            if t == experiment.neuron.timeSteps {
                reportedModel = snn
                thresholds = set
            }
        }
        test.stopPrefetching()
        let outcome = ConversionOutcome(ann: annEvaluation, scales: scales, statistic: statistic, calibrationBatches: batches,
                                        calibrationSamples: samples, steps: steps,
                                        reportedTimeSteps: experiment.neuron.timeSteps, thresholds: thresholds)
        return (outcome, reportedModel!)
    }

    /// The training split in a seeded order with the evaluation transforms (no augmentation):
    /// where calibration batches come from.
    static func calibrationBatcher(_ experiment: Experiment, dataset: any ClassificationDataset) throws -> Batcher {
        let transforms = try ExperimentBuilder.transforms(experiment.data)
        return Batcher(dataset: dataset, batchSize: experiment.data.batchSize, shuffle: true, subset: experiment.data.subset,
                       seed: UInt64(experiment.seed), transforms: transforms.eval, prefetch: experiment.data.prefetch)
    }
}
