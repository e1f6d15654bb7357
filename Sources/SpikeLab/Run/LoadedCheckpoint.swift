import Foundation
import SpikeData
import SpikeTensor

/// A checkpoint's model rebuilt from the manifest stored inside it, with its weights loaded:
/// what `spikelab eval` and `spikelab energy` start from. For a convert run, the ANN
/// (last.h5, best.h5) or the converted SNN (converted.h5), whichever the file holds.
public struct LoadedCheckpoint {
    public var path: String
    public var checkpoint: Checkpoint
    public var experiment: Experiment
    public var model: any ClassifierModel

    /// Loads the checkpoint at `path` and configures the run's thread count unless `threads` is given.
    public init(path: String, threads: Int? = nil) throws {
        let checkpoint = try Checkpoint.read(from: path)
        let manifest = try Manifest.load(yaml: checkpoint.manifest, path: path + "#manifest")
        let experiment = manifest.experiment
        Threads.configure(threads ?? checkpoint.threads)
        var model = try ExperimentBuilder.model(experiment)
        // A convert run keeps its ANN in last.h5/best.h5 and its SNN in converted.h5: the
        // entries say which (the SNN's calibrated thresholds are not in the ANN).
        if experiment.training.mode == .convert {
            let snn = try ExperimentBuilder.convertedModel(experiment, timeSteps: experiment.neuron.timeSteps)
            if Set(snn.stateDict().map(\.name)) == Set(checkpoint.model.map(\.name)) { model = snn }
        }
        do {
            try model.loadStateDict(checkpoint.model)
        } catch {
            throw CheckpointError.incompatibleModel(path: path, reason: "\(error)")
        }
        self.path = path
        self.checkpoint = checkpoint
        self.experiment = experiment
        self.model = model
    }

    /// An unshuffled evaluation batcher over `split` of the manifest's data (call
    /// `stopPrefetching()` when done); a detection manifest's letterboxes its images.
    ///
    /// The same data the run trained and was tested on: the manifest's seed draws the split
    /// where the loader's split is random (CIFAR10-DVS `random_90`), and camera-event frames
    /// come time-major ([T, N, …]), as the runner's batchers serve them.
    public func batcher(split: CheckpointEvaluation.Split) throws -> any BatchSource {
        if experiment.task == .detection {
            return try DetectionSetup(experiment).evalBatcher(split: split == .test ? .test : .train)
        }
        let datasets = try ExperimentBuilder.datasets(experiment.data, root: experiment.data.expandedRoot,
                                                      seed: experiment.seed)
        let transforms = try ExperimentBuilder.transforms(experiment.data)
        return Batcher(dataset: split == .test ? datasets.test : datasets.train,
                       batchSize: experiment.data.evalBatchSize, shuffle: false,
                       subset: split == .test ? experiment.data.testSubset : experiment.data.subset,
                       seed: UInt64(experiment.seed), transforms: transforms.eval,
                       prefetch: experiment.data.prefetch, timeMajor: ExperimentBuilder.isTimeMajor(experiment.data))
    }
}
