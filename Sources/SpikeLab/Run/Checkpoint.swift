import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// Everything a run needs to continue bit-exactly, as one HDF5 file readable by h5py:
///
/// ```
/// /                  attrs: format, format_version, spikelab_version, created, epoch,
///                           global_step, threads, manifest, manifest_sha256
/// /model/<name>      parameters and buffers (PyTorch state_dict names, OIHW conv weights)
/// /optimizer         attrs: kind, step_count, one per hyper-parameter
/// /optimizer/<name>/<slot>   per-parameter buffers (momentum_buffer, exp_avg, …)
/// /schedule          attrs: kind, last_epoch, lr, one double array per parameter
/// /rng/<stream>      uint64 state words of each seeded generator
/// /data              attrs: epoch, cursor (batches of that epoch already consumed),
///                           partial_* (running sums of the epoch in progress)
/// /metrics/<column>  the history written so far (float64, one value per row)
/// ```
public struct Checkpoint {
    /// The value of the root `format` attribute.
    public static let format = "spikelab-checkpoint"
    /// Bumped whenever the layout changes incompatibly.
    public static let formatVersion: Int64 = 1

    /// Completed epochs (the epoch a resumed run is in, if `dataPosition.cursor` > 0).
    public var epoch: Int
    /// Optimizer steps taken.
    public var globalStep: Int
    /// Thread count the run used (bit-exact resume needs the same).
    public var threads: Int
    /// The resolved manifest text and its hash.
    public var manifest: String
    public var manifestSHA256: String
    /// When the file was written (ISO 8601).
    public var created: String
    /// SpikeLab version that wrote it.
    public var spikelabVersion: String
    /// Parameters and buffers by state_dict name: in module order when written, in name order
    /// when read (HDF5 lists a group's links by name).
    public var model: [(name: String, tensor: Tensor)]
    /// Optimizer state (nil for runs without an optimizer, e.g. a converted SNN).
    public var optimizer: OptimizerState?
    /// Learning-rate schedule state.
    public var schedule: ScheduleState?
    /// Current learning rate.
    public var learningRate: Double
    /// Seeded generators by stream name (`global`, `model.dropout.0`, …).
    public var rng: [String: [UInt64]]
    /// Where the data order stands.
    public var dataPosition: BatcherPosition
    /// Running sums of the epoch in progress (train loss sum, correct, seen…), so a run
    /// resumed mid-epoch reports the same epoch metrics as one that was never stopped.
    public var partialEpoch: [String: Double]
    /// Metric history: column name → one value per row, all columns the same length.
    public var metrics: [(column: String, values: [Double])]

    public init(epoch: Int, globalStep: Int, threads: Int, manifest: String, manifestSHA256: String,
                model: [(name: String, tensor: Tensor)], optimizer: OptimizerState?,
                schedule: ScheduleState?, learningRate: Double, rng: [String: [UInt64]],
                dataPosition: BatcherPosition, partialEpoch: [String: Double] = [:],
                metrics: [(column: String, values: [Double])],
                created: String = ISO8601DateFormatter().string(from: Date()),
                spikelabVersion: String = SpikeLabVersion.string) {
        self.epoch = epoch
        self.globalStep = globalStep
        self.threads = threads
        self.manifest = manifest
        self.manifestSHA256 = manifestSHA256
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.learningRate = learningRate
        self.rng = rng
        self.dataPosition = dataPosition
        self.partialEpoch = partialEpoch
        self.metrics = metrics
        self.created = created
        self.spikelabVersion = spikelabVersion
    }

    // MARK: Writing

    /// Writes the checkpoint atomically: a `.tmp` file, fsync, rename over `path`.
    /// On any error `path` is left as it was. Refuses (`CheckpointError.nonFiniteValue`) a
    /// model or optimizer state holding a NaN or infinity, which no run can continue from;
    /// metrics may hold NaN (an ANN has no firing rate).
    public func write(to path: String) throws {
        if let bad = firstNonFiniteState() {
            throw CheckpointError.nonFiniteValue(path: path, value: bad)
        }
        do {
            try HDF5File.writeAtomically(to: path) { file in try self.write(into: file) }
        } catch let error as HDF5Error {
            throw CheckpointError.writeFailed(path: path, reason: error.description)
        }
    }

    /// The first NaN or infinity in the model or optimizer state, named by its path in the file.
    public func firstNonFiniteState() -> NonFiniteValue? {
        if let bad = NonFiniteValue.first(in: model.map { ("/model/\($0.name)", $0.tensor) }) { return bad }
        guard let optimizer else { return nil }
        var buffers: [NamedTensor] = []
        for (parameter, slots) in optimizer.buffers.sorted(by: { $0.key < $1.key }) {
            for (slot, tensor) in slots.sorted(by: { $0.key < $1.key }) {
                buffers.append(("/optimizer/\(parameter)/\(slot)", tensor))
            }
        }
        return NonFiniteValue.first(in: buffers)
    }

    private func write(into file: HDF5File) throws {
        try file.setAttribute("format", .string(Self.format))
        try file.setAttribute("format_version", .int64(Self.formatVersion))
        try file.setAttribute("spikelab_version", .string(spikelabVersion))
        try file.setAttribute("created", .string(created))
        try file.setAttribute("epoch", .int64(Int64(epoch)))
        try file.setAttribute("global_step", .int64(Int64(globalStep)))
        try file.setAttribute("threads", .int64(Int64(threads)))
        try file.setAttribute("manifest", .string(manifest))
        try file.setAttribute("manifest_sha256", .string(manifestSHA256))

        try file.createGroup("/model")
        for (name, tensor) in model {
            try file.writeTensor(tensor, at: "/model/\(name)")
        }
        try CheckpointWritePause.pauseIfRequested(file)

        if let optimizer {
            try file.createGroup("/optimizer")
            try file.setAttribute("kind", .string(optimizer.kind), on: "/optimizer")
            try file.setAttribute("step_count", .int64(Int64(optimizer.stepCount)), on: "/optimizer")
            for (name, value) in optimizer.hyperParameters.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute(name, .double(value), on: "/optimizer")
            }
            for (parameter, slots) in optimizer.buffers.sorted(by: { $0.key < $1.key }) {
                for (slot, tensor) in slots.sorted(by: { $0.key < $1.key }) {
                    try file.writeTensor(tensor, at: "/optimizer/\(parameter)/\(slot)")
                }
            }
        }

        try file.createGroup("/schedule")
        try file.setAttribute("lr", .double(learningRate), on: "/schedule")
        if let schedule {
            try file.setAttribute("kind", .string(schedule.kind), on: "/schedule")
            try file.setAttribute("last_epoch", .int64(Int64(schedule.lastEpoch)), on: "/schedule")
            for (name, values) in schedule.parameters.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute(name, .doubleArray(values), on: "/schedule")
            }
        }

        try file.createGroup("/rng")
        for (name, words) in rng.sorted(by: { $0.key < $1.key }) {
            try file.writeArray(words, at: "/rng/\(name)")
        }

        try file.createGroup("/data")
        try file.setAttribute("epoch", .int64(Int64(dataPosition.epoch)), on: "/data")
        try file.setAttribute("cursor", .int64(Int64(dataPosition.cursor)), on: "/data")
        for (name, value) in partialEpoch.sorted(by: { $0.key < $1.key }) {
            try file.setAttribute("partial_\(name)", .double(value), on: "/data")
        }

        try file.createGroup("/metrics")
        try file.setAttribute("columns", .string(metrics.map(\.column).joined(separator: ",")), on: "/metrics")
        for (column, values) in metrics {
            try file.writeArray(values, at: "/metrics/\(column)")
        }
    }

    // MARK: Reading

    /// Reads and checks a checkpoint; every problem is a `CheckpointError` that names the file.
    public static func read(from path: String) throws -> Checkpoint {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.missing(path: path)
        }
        let file: HDF5File
        do {
            file = try HDF5File.open(path: path)
        } catch {
            throw CheckpointError.unreadable(path: path, reason: error.description)
        }
        defer { try? file.close() }
        do {
            return try read(file, path: path)
        } catch let error as CheckpointError {
            throw error
        } catch let error as HDF5Error {
            throw CheckpointError.unreadable(path: path, reason: error.description)
        }
    }

    private static func read(_ file: HDF5File, path: String) throws -> Checkpoint {
        guard try file.attributeExists("format"), try file.stringAttribute("format") == format else {
            throw CheckpointError.notACheckpoint(path: path)
        }
        let version = try file.int64Attribute("format_version")
        guard version == formatVersion else {
            throw CheckpointError.wrongVersion(path: path, found: Int(version), supported: Int(formatVersion))
        }
        var model: [(name: String, tensor: Tensor)] = []
        try collectDatasets(file, under: "/model", prefix: "") { name, dataset in
            model.append((name, try file.readTensor(dataset)))
        }

        var optimizer: OptimizerState?
        if try file.groupExists("/optimizer") {
            var hyper: [String: Double] = [:]
            for name in try file.attributeNames(on: "/optimizer") where name != "kind" && name != "step_count" {
                hyper[name] = try file.doubleAttribute(name, on: "/optimizer")
            }
            var buffers: [String: [String: Tensor]] = [:]
            for child in try file.listChildren(of: "/optimizer") where child.kind == .group {
                for slot in try file.listChildren(of: "/optimizer/\(child.name)") where slot.kind == .dataset {
                    buffers[child.name, default: [:]][slot.name] =
                        try file.readTensor("/optimizer/\(child.name)/\(slot.name)")
                }
            }
            optimizer = OptimizerState(kind: try file.stringAttribute("kind", on: "/optimizer"),
                                       hyperParameters: hyper,
                                       stepCount: Int(try file.int64Attribute("step_count", on: "/optimizer")),
                                       buffers: buffers)
        }

        let learningRate = try file.doubleAttribute("lr", on: "/schedule")
        var schedule: ScheduleState?
        if try file.attributeExists("kind", on: "/schedule") {
            var parameters: [String: [Double]] = [:]
            for name in try file.attributeNames(on: "/schedule") where !["kind", "last_epoch", "lr"].contains(name) {
                parameters[name] = try file.doubleArrayAttribute(name, on: "/schedule")
            }
            schedule = ScheduleState(kind: try file.stringAttribute("kind", on: "/schedule"),
                                     parameters: parameters,
                                     lastEpoch: Int(try file.int64Attribute("last_epoch", on: "/schedule")))
        }

        var rng: [String: [UInt64]] = [:]
        for child in try file.listChildren(of: "/rng") where child.kind == .dataset {
            rng[child.name] = try file.readArray("/rng/\(child.name)", as: UInt64.self)
        }

        let position = BatcherPosition(epoch: Int(try file.int64Attribute("epoch", on: "/data")),
                                       cursor: Int(try file.int64Attribute("cursor", on: "/data")))

        var partial: [String: Double] = [:]
        for name in try file.attributeNames(on: "/data") where name.hasPrefix("partial_") {
            partial[String(name.dropFirst("partial_".count))] = try file.doubleAttribute(name, on: "/data")
        }

        var metrics: [(column: String, values: [Double])] = []
        let columns = try file.stringAttribute("columns", on: "/metrics")
        for column in columns.split(separator: ",").map(String.init) {
            metrics.append((column, try file.readArray("/metrics/\(column)", as: Double.self)))
        }

        return Checkpoint(epoch: Int(try file.int64Attribute("epoch")),
                          globalStep: Int(try file.int64Attribute("global_step")),
                          threads: Int(try file.int64Attribute("threads")),
                          manifest: try file.stringAttribute("manifest"),
                          manifestSHA256: try file.stringAttribute("manifest_sha256"),
                          model: model, optimizer: optimizer, schedule: schedule,
                          learningRate: learningRate, rng: rng, dataPosition: position,
                          partialEpoch: partial, metrics: metrics, created: try file.stringAttribute("created"),
                          spikelabVersion: try file.stringAttribute("spikelab_version"))
    }

    /// Visits every dataset below `group` (depth first, in name order) with its path relative
    /// to `group`, joined by `/` where the model used nested groups.
    private static func collectDatasets(_ file: HDF5File, under group: String, prefix: String,
                                        _ visit: (String, String) throws -> Void) throws {
        for child in try file.listChildren(of: group) {
            let path = "\(group)/\(child.name)"
            let name = prefix.isEmpty ? child.name : "\(prefix)/\(child.name)"
            switch child.kind {
            case .dataset: try visit(name, path)
            case .group: try collectDatasets(file, under: path, prefix: name, visit)
            default: continue
            }
        }
    }
}

/// Why a checkpoint could not be written, read or used.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case notACheckpoint(path: String)
    case wrongVersion(path: String, found: Int, supported: Int)
    case manifestMismatch(path: String, expected: String, found: String)
    case incompatibleModel(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case nonFiniteValue(path: String, value: NonFiniteValue)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no checkpoint there"
        case .unreadable(let path, let reason):
            return "\(path): cannot read the checkpoint (truncated or corrupt?): \(reason)"
        case .notACheckpoint(let path):
            return "\(path): not a SpikeLab checkpoint (the root attribute format is not '\(Checkpoint.format)')"
        case .wrongVersion(let path, let found, let supported):
            return "\(path): checkpoint format version \(found); this SpikeLab reads version \(supported)"
        case .manifestMismatch(let path, let expected, let found):
            return "\(path): the checkpoint was written by another manifest (sha256 \(found.prefix(12))…, this run's is \(expected.prefix(12))…); refusing to resume from it"
        case .incompatibleModel(let path, let reason):
            return "\(path): the checkpoint's model does not fit: \(reason)"
        case .writeFailed(let path, let reason):
            return "\(path): writing the checkpoint failed (the previous file is untouched): \(reason)"
        case .nonFiniteValue(let path, let value):
            return "\(path): refusing to write a checkpoint whose \(value) is not finite; the previous file is untouched"
        }
    }

    /// Exit code of a command that stops on this error: 2 when the path names no checkpoint
    /// or the checkpoint belongs to another manifest (a bad argument), 3 when the file is
    /// there but bad (truncated, not a checkpoint, another format version, a model that does
    /// not fit), 1 when writing failed.
    public var exitCode: Int32 {
        switch self {
        case .missing, .manifestMismatch: return 2
        case .unreadable, .notACheckpoint, .wrongVersion, .incompatibleModel: return 3
        case .writeFailed, .nonFiniteValue: return 1
        }
    }
}
