import Foundation
import SpikeData
import SpikeNN

extension Runner {
    /// Where a convert run keeps its SNN at neuron.time_steps (weights, batch-norm statistics
    /// and the calibrated thresholds; no optimizer state).
    public var convertedCheckpointPath: String { checkpointDirectory + "/converted.h5" }
    /// One row per converted T.
    public var conversionPath: String { directory + "/conversion.csv" }

    /// The second phase of `training.mode: convert`, after the ANN's last epoch: calibrate,
    /// convert at every T, evaluate, write `conversion.csv`, `checkpoints/converted.h5` and
    /// the finished summary. Runs again on `resume` if it was stopped before finishing.
    func convert() throws {
        // Conversion is for image classification (ManifestRules), whose batches come from a Batcher.
        guard let images = trainBatcher as? Batcher else {
            preconditionFailure("training.mode convert needs a classification batcher, got \(type(of: trainBatcher))")
        }
        let calibration = try ConversionRun.calibrationBatcher(experiment, dataset: images.dataset)
        let (outcome, snn) = try ConversionRun.run(experiment, ann: model, calibration: calibration, test: testBatcher,
                                                   progress: options.progress)
        conversion = outcome
        convertedModel = snn
        do {
            let temporary = conversionPath + ".tmp"
            try outcome.csv().write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, conversionPath) == 0 else {
                throw RunError.io(path: conversionPath, reason: String(cString: strerror(errno)))
            }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.io(path: conversionPath, reason: error.localizedDescription)
        }
        try writeCheckpoint(model: snn, optimizer: nil, to: convertedCheckpointPath)
        try writeSummary(status: "finished")
        testBatcher.stopPrefetching()
    }
}
