import Foundation
import SpikeTensor

/// `spikelab energy`: a run's checkpoint measured on test batches of its own manifest.
public struct CheckpointEnergy {
    public var checkpointPath: String
    public var manifestName: String
    public var epoch: Int
    public var batches: Int?
    public var report: EnergyReport

    /// Loads the checkpoint at `path` (see `LoadedCheckpoint`) and measures at most `batches`
    /// test batches (nil: the whole test split, `data.test_subset`) under `costs`.
    public static func run(checkpointAt path: String, batches: Int?, costs: EnergyCosts,
                           threads: Int? = nil) throws -> CheckpointEnergy {
        let loaded = try LoadedCheckpoint(path: path, threads: threads)
        let batcher = try loaded.batcher(split: .test)
        defer { batcher.stopPrefetching() }
        let meter = EnergyMeter(model: loaded.model)
        try meter.measure(batcher: batcher, batches: batches)
        return CheckpointEnergy(checkpointPath: path, manifestName: loaded.experiment.name,
                                epoch: loaded.checkpoint.epoch, batches: batches, report: meter.report(costs: costs))
    }

    /// The header line and the report's table.
    public func table() -> String {
        "\(checkpointPath): \(manifestName), epoch \(epoch), test split\n\n" + report.table()
    }

    /// The report as JSON, with the checkpoint it came from.
    public func json() throws -> String {
        try report.json(extra: ["checkpoint": checkpointPath, "name": manifestName, "epoch": epoch,
                                "split": "test"])
    }
}
