import Foundation
import SpikeData
import SpikeNN
import SpikeNeurons
import SpikeTensor

/// Set by SIGINT/SIGTERM; the training loop checks it after every step.
nonisolated(unsafe) private var stopSignalReceived: sig_atomic_t = 0

/// How a run ended.
public enum RunOutcome: Equatable {
    /// Every epoch ran.
    case finished
    /// Stopped on request (signal or `stopAfterSteps`) after writing a checkpoint.
    case interrupted
}

/// Options that do not change results (except `threads`, which bit-exactness depends on).
public struct RunOptions {
    /// Thread count; nil keeps the configured one (a resumed run uses its checkpoint's).
    public var threads: Int?
    /// Where progress goes.
    public var progress: ProgressReporter
    /// Stop (as if interrupted) after this many optimizer steps in this process — for tests.
    public var stopAfterSteps: Int?
    /// Install SIGINT/SIGTERM handlers that stop the run after the current step.
    public var handleSignals: Bool

    public init(threads: Int? = nil, progress: ProgressReporter = ProgressReporter(),
                stopAfterSteps: Int? = nil, handleSignals: Bool = true) {
        self.threads = threads
        self.progress = progress
        self.stopAfterSteps = stopAfterSteps
        self.handleSignals = handleSignals
    }
}

/// Trains and evaluates one experiment, writing `metrics.csv`, `summary.json` and checkpoints
/// into its run directory, and continues a stopped run bit-exactly.
///
/// Run directory: `manifest.resolved.yaml`, `metrics.csv`, `summary.json`,
/// `checkpoints/last.h5` (and `best.h5` when `checkpoint.keep_best` is set).
public final class Runner {
    public let manifest: Manifest
    public let directory: String
    public var experiment: Experiment { manifest.experiment }

    let options: RunOptions
    /// The network training updates (for `training.mode: convert`, the ReLU ANN).
    let model: any ClassifierModel
    private let optimizer: any Optimizer
    private let schedule: any LearningRateSchedule
    let trainBatcher: any BatchSource
    let testBatcher: any BatchSource
    private let neuronLayers: [NeuronLayer]
    /// The task's loss, training statistics, evaluation and metric columns.
    private let task: any RunTask
    /// Every `metrics.csv` column, in order (`RunTaskColumns.all(task)`).
    private let columns: [String]
    /// One row of values in `columns` order per finished epoch.
    private var history: [[Double]] = []
    private var position: BatcherPosition = .start
    private var globalStep = 0
    private var best: (value: Double, epoch: Int)?
    private let startedAt = Date()
    private let log: MetricsLog
    /// A convert run's second phase, once done (Runner+Conversion.swift), and its SNN at neuron.time_steps.
    var conversion: ConversionOutcome?
    var convertedModel: (any ClassifierModel)?

    /// Paths inside the run directory.
    public var checkpointDirectory: String { directory + "/checkpoints" }
    public var lastCheckpointPath: String { checkpointDirectory + "/last.h5" }
    public var bestCheckpointPath: String { checkpointDirectory + "/best.h5" }
    public var metricsPath: String { directory + "/metrics.csv" }
    public var summaryPath: String { directory + "/summary.json" }
    public var manifestPath: String { directory + "/manifest.resolved.yaml" }
    /// Parameter elements of the model.
    public var parameterCount: Int { model.parameterCount }

    // MARK: Starting and resuming

    /// Prepares a new run of `manifest` in `directory` (created if needed). Refuses a directory
    /// that already holds a run, so nothing written before is lost.
    public static func start(_ manifest: Manifest, directory: String, options: RunOptions = RunOptions()) throws -> Runner {
        let fm = FileManager.default
        for existing in ["metrics.csv", "checkpoints/last.h5", "summary.json"]
        where fm.fileExists(atPath: directory + "/" + existing) {
            throw RunError.directoryInUse(path: directory)
        }
        if let threads = options.threads { Threads.configure(threads) }
        let runner = try Runner(manifest: manifest, directory: directory, options: options)
        do {
            try fm.createDirectory(atPath: runner.checkpointDirectory, withIntermediateDirectories: true)
            try manifest.resolvedYAML().write(toFile: runner.manifestPath, atomically: true, encoding: .utf8)
            try runner.log.rewrite(values: [])
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.io(path: directory, reason: error.localizedDescription)
        }
        return runner
    }

    /// Continues the run in `directory` from `checkpoints/last.h5`.
    public static func resume(directory: String, options: RunOptions = RunOptions()) throws -> Runner {
        let path = directory + "/checkpoints/last.h5"
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError.nothingToResume(path: directory, reason: "no checkpoints/last.h5 (was the run started with `spikelab run … --out \(directory)`?)")
        }
        let checkpoint = try Checkpoint.read(from: path)
        let manifest: Manifest
        do {
            manifest = try Manifest.load(yaml: checkpoint.manifest, path: path + "#manifest")
        } catch {
            throw RunError.nothingToResume(path: directory, reason: "the checkpoint's manifest no longer validates:\n\(error)")
        }
        guard manifest.sha256 == checkpoint.manifestSHA256 else {
            throw CheckpointError.manifestMismatch(path: path, expected: checkpoint.manifestSHA256, found: manifest.sha256)
        }
        if let text = try? String(contentsOfFile: directory + "/manifest.resolved.yaml", encoding: .utf8),
           let onDisk = try? Manifest.load(yaml: text, path: directory + "/manifest.resolved.yaml"),
           onDisk.sha256 != checkpoint.manifestSHA256 {
            throw CheckpointError.manifestMismatch(path: path, expected: onDisk.sha256, found: checkpoint.manifestSHA256)
        }
        Threads.configure(options.threads ?? checkpoint.threads)
        if Threads.count != checkpoint.threads {
            options.progress.line("note: the run used \(checkpoint.threads) threads and continues with \(Threads.count); results may differ in the last bits")
        }
        let runner = try Runner(manifest: manifest, directory: directory, options: options)
        try runner.restore(from: checkpoint, path: path)
        return runner
    }

    private init(manifest: Manifest, directory: String, options: RunOptions) throws {
        self.manifest = manifest
        self.directory = directory
        self.options = options
        let experiment = manifest.experiment
        task = try RunTasks.make(experiment, directory: directory)
        columns = RunTaskColumns.all(task)
        self.log = MetricsLog(path: directory + "/metrics.csv", columns: columns)
        model = try ExperimentBuilder.model(experiment)
        optimizer = ExperimentBuilder.optimizer(experiment.training.optimizer, parameters: model.namedParameters())
        schedule = ExperimentBuilder.schedule(experiment.training)
        neuronLayers = model.modules(ofType: NeuronLayer.self)
        if let detection = task as? DetectionTask {
            trainBatcher = detection.setup.trainBatcher()
            testBatcher = detection.setup.evalBatcher()
            return
        }
        let datasets = try ExperimentBuilder.datasets(experiment.data, root: experiment.data.expandedRoot, seed: experiment.seed)
        try ExperimentBuilder.checkFit(train: datasets.train, test: datasets.test, experiment)
        let transforms = try ExperimentBuilder.transforms(experiment.data)
        let seed = UInt64(experiment.seed)
        let timeMajor = ExperimentBuilder.isTimeMajor(experiment.data)
        trainBatcher = Batcher(dataset: datasets.train, batchSize: experiment.data.batchSize, shuffle: true,
                               subset: experiment.data.subset, seed: seed, transforms: transforms.train,
                               prefetch: experiment.data.prefetch, timeMajor: timeMajor)
        testBatcher = Batcher(dataset: datasets.test, batchSize: experiment.data.evalBatchSize, shuffle: false,
                              subset: experiment.data.testSubset, seed: seed, transforms: transforms.eval,
                              prefetch: experiment.data.prefetch, timeMajor: timeMajor)
    }

    private func restore(from checkpoint: Checkpoint, path: String) throws {
        do {
            try model.loadStateDict(checkpoint.model)
        } catch {
            throw CheckpointError.incompatibleModel(path: path, reason: "\(error)")
        }
        if let state = checkpoint.optimizer {
            do { try optimizer.importState(state) } catch {
                throw CheckpointError.incompatibleModel(path: path, reason: "optimizer: \(error)")
            }
        }
        for (name, stream) in model.namedRandomStreams() {
            guard let words = checkpoint.rng["model.\(name)"], stream.restore(words) else {
                throw CheckpointError.incompatibleModel(path: path, reason: "no saved state for the generator model.\(name)")
            }
        }
        position = checkpoint.dataPosition
        globalStep = checkpoint.globalStep
        task.trainState = checkpoint.partialEpoch
        let saved = Dictionary(uniqueKeysWithValues: checkpoint.metrics.map { ($0.column, $0.values) })
        let rows = saved["epoch"]?.count ?? 0
        history = (0..<rows).map { r in columns.map { saved[$0]?[r] ?? .nan } }
        best = bestSoFar()
        try log.rewrite(values: history)
    }

    // MARK: The loop

    /// Trains until `training.epochs` epochs are done, or until interrupted.
    public func run() throws -> RunOutcome {
        if options.handleSignals { Self.installSignalHandlers() }
        let training = experiment.training
        let batchesPerEpoch = trainBatcher.batchesPerEpoch
        let progress = options.progress
        var stepsThisProcess = 0
        let parameters = model.namedParameters()
        progress.line("run \(experiment.name): \(training.epochs) epochs × \(batchesPerEpoch) batches of \(experiment.data.batchSize), \(model.parameterCount) parameters, \(Threads.count) threads → \(directory)")
        try writeSummary(status: "running")

        while position.epoch < training.epochs {
            let epoch = position.epoch
            setMaskedPSNLambda(epoch: epoch)
            model.train()
            trainBatcher.restore(position)
            let epochStart = ProgressReporter.clock()
            var imagesThisProcess = 0, batchesThisProcess = 0
            while let batch = try trainBatcher.next() {
                // Every value a step produces is checked before the next one starts, so a
                // checkpoint (every_steps, interrupt or epoch end) only ever sees finite state.
                // The loss alone is not enough: after a huge update the next forward pass
                // overflows batch norm's running variance to inf while the normalised
                // activations, and so the loss, stay finite.
                let lr = schedule.learningRate(epoch: epoch, step: batch.index, stepsPerEpoch: batchesPerEpoch)
                guard lr.isFinite else {
                    throw stopNonFinite(epoch: epoch, batch: batch.index, what: "the learning rate is \(lr)")
                }
                optimizer.learningRate = lr
                optimizer.zeroGrad()
                let output = model(batch.inputs)
                let loss = task.trainingLoss(output, batch)
                let value = Double(loss.item)
                guard value.isFinite else {
                    throw stopNonFinite(epoch: epoch, batch: batch.index, what: "the training loss is \(value)")
                }
                loss.backward()
                let gradients = parameters.compactMap { p in p.tensor.grad.map { (name: p.name, tensor: $0) } }
                if let bad = NonFiniteValue.first(in: gradients) {
                    throw stopNonFinite(epoch: epoch, batch: batch.index, what: "the gradient of \(bad)")
                }
                if let clip = training.gradClip {
                    clipGradientNorm(parameters.map(\.tensor), maxNorm: Float(clip))
                }
                optimizer.step()
                if let bad = NonFiniteValue.first(in: model.stateDict()) {
                    throw stopNonFinite(epoch: epoch, batch: batch.index,
                                        what: "the model's \(bad) after the step (learning rate \(lr))")
                }
                globalStep += 1
                stepsThisProcess += 1
                imagesThisProcess += batch.count
                batchesThisProcess += 1
                task.recordTraining(output, batch, loss: value)
                position = BatcherPosition(epoch: epoch, cursor: batch.index + 1)

                let elapsed = ProgressReporter.clock() - epochStart
                let rate = Double(imagesThisProcess) / max(elapsed, 1e-9)
                let remaining = Double(batchesPerEpoch - batch.index - 1) * elapsed / Double(batchesThisProcess)
                progress.update(String(format: "epoch %d/%d  batch %d/%d  %@  %.0f img/s  ETA %@",
                                       epoch + 1, training.epochs, batch.index + 1, batchesPerEpoch, task.progressText,
                                       rate, ProgressReporter.duration(remaining)))

                if let every = experiment.checkpoint.everySteps, globalStep % every == 0, batch.index + 1 < batchesPerEpoch {
                    try writeCheckpoint(to: lastCheckpointPath)
                }
                if stopSignalReceived != 0 || stepsThisProcess == options.stopAfterSteps {
                    try writeCheckpoint(to: lastCheckpointPath)
                    try writeSummary(status: "interrupted")
                    trainBatcher.stopPrefetching()
                    progress.line("interrupted at epoch \(epoch + 1), batch \(batch.index + 1); checkpoint written. Continue with: spikelab resume \(directory)")
                    return .interrupted
                }
            }
            let epochSeconds = ProgressReporter.clock() - epochStart
            let evaluation = try evaluate()
            let train = task.trainValues
            let row = [Double(epoch + 1), Double(globalStep),
                       Self.decimal(schedule.learningRate(epoch: epoch, step: 0, stepsPerEpoch: batchesPerEpoch))]
                + train + evaluation.values
                + [evaluation.firingRate, epochSeconds, Double(imagesThisProcess) / max(epochSeconds, 1e-9)]
            history.append(row)
            try log.append(values: row)
            task.resetTraining()
            position = BatcherPosition(epoch: epoch + 1, cursor: 0)
            progress.line(String(format: "epoch %d/%d  %@  firing %.3f  %.0fs", epoch + 1, training.epochs,
                                 task.epochText(train: train, test: evaluation.values), evaluation.firingRate, epochSeconds))
            let isLast = epoch + 1 == training.epochs
            if (epoch + 1) % experiment.checkpoint.everyEpochs == 0 || isLast {
                try writeCheckpoint(to: lastCheckpointPath)
            }
            if let newBest = bestSoFar(), newBest.epoch == epoch + 1, best?.epoch != newBest.epoch {
                best = newBest
                try writeCheckpoint(to: bestCheckpointPath)
            }
            // A convert run finishes only once its SNN is converted and evaluated.
            try writeSummary(status: isLast && experiment.training.mode != .convert ? "finished" : "running")
        }
        trainBatcher.stopPrefetching()
        testBatcher.stopPrefetching()
        if experiment.training.mode == .convert { try convert() }
        return .finished
    }

    // MARK: Evaluation

    /// The task's test metrics and the firing rate on the test set, in eval mode without gradients.
    public func evaluate() throws -> TaskEvaluation { try task.evaluate(model, on: testBatcher) }

    /// The Double whose shortest text equals the Float's (0.001, not 0.0010000000474974513).
    static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    static func correct(_ logits: Tensor, _ labels: Tensor, k: Int) -> Int { Evaluation.correct(logits, labels, k: k) }

    // MARK: Bookkeeping

    private func setMaskedPSNLambda(epoch: Int) {
        guard experiment.neuron.variant == .maskedPSN else { return }
        let ramp = experiment.neuron.lambdaRampEpochs ?? 0
        let lambda: Float = ramp > 0 ? Swift.min(1, Float(epoch) / Float(ramp)) : 1
        for layer in neuronLayers { layer.lambda = lambda }
    }

    /// The best epoch by `checkpoint.keep_best` (the first of equal ones).
    private func bestSoFar() -> (value: Double, epoch: Int)? {
        guard let metric = experiment.checkpoint.keepBest, !history.isEmpty else { return nil }
        let (column, largerIsBetter) = RunTaskColumns.best(metric)
        guard let c = columns.firstIndex(of: column) else { return nil }
        let row = largerIsBetter ? history.max { $0[c] < $1[c] }! : history.min { $0[c] < $1[c] }!
        return (row[c], Int(row[0]))
    }

    /// Median seconds of the per-step finite checks on the current state (for `bench train`).
    func timeFiniteChecks(repetitions: Int) -> Double {
        let parameters = model.namedParameters()
        return measure(repetitions: repetitions) {
            let gradients = parameters.compactMap { p in p.tensor.grad.map { (name: p.name, tensor: $0) } }
            _ = NonFiniteValue.first(in: gradients)
            _ = NonFiniteValue.first(in: model.stateDict())
        }.median
    }

    /// Records a failed run in summary.json, stops the data threads and returns the error to throw.
    private func stopNonFinite(epoch: Int, batch: Int, what: String) -> RunError {
        let error = RunError.nonFinite(epoch: epoch, batch: batch, step: globalStep + 1, what: what)
        try? writeSummary(status: "failed", message: error.description)
        trainBatcher.stopPrefetching()
        testBatcher.stopPrefetching()
        return error
    }

    /// Writes the run's whole state to `path` atomically. `Checkpoint.write` refuses state
    /// with a NaN or infinity (the per-step checks should already have stopped the run), so a
    /// good file is never replaced by a poisoned one.
    func writeCheckpoint(to path: String) throws {
        try writeCheckpoint(model: model, optimizer: optimizer, to: path)
    }

    /// Writes `model` with the run's state; without `optimizer` (a converted SNN) no optimizer
    /// or schedule state.
    func writeCheckpoint(model: any ClassifierModel, optimizer: (any Optimizer)?, to path: String) throws {
        var rng: [String: [UInt64]] = [:]
        for (name, stream) in model.namedRandomStreams() { rng["model.\(name)"] = stream.state }
        let metrics = columns.enumerated().map { i, column in (column, history.map { $0[i] }) }
        let checkpoint = Checkpoint(epoch: position.epoch, globalStep: globalStep, threads: Threads.count,
                                    manifest: manifest.resolvedYAML(), manifestSHA256: manifest.sha256,
                                    model: model.stateDict(), optimizer: optimizer?.exportState(),
                                    schedule: optimizer == nil ? nil : schedule.exportState(lastEpoch: position.epoch),
                                    learningRate: Double(self.optimizer.learningRate), rng: rng,
                                    dataPosition: position, partialEpoch: task.trainState, metrics: metrics)
        do {
            try checkpoint.write(to: path)
        } catch CheckpointError.nonFiniteValue(_, let bad) {
            let error = RunError.nonFinite(epoch: position.epoch, batch: max(position.cursor - 1, 0), step: globalStep,
                                           what: "\(bad), found while writing \(path)")
            try? writeSummary(status: "failed", message: error.description)
            throw error
        }
    }

    func writeSummary(status: String, message: String? = nil) throws {
        var summary: [String: Any] = [
            "name": experiment.name, "status": status, "manifest_sha256": manifest.sha256,
            "profile": manifest.profile ?? "full", "epochs_total": experiment.training.epochs,
            "epochs_completed": history.count, "global_step": globalStep, "parameters": model.parameterCount,
            "threads": Threads.count, "spikelab_version": SpikeLabVersion.string,
            "updated": ISO8601DateFormatter().string(from: Date()),
            "wall_seconds_this_process": Date().timeIntervalSince(startedAt),
        ]
        if let paper = experiment.paper { summary["paper"] = paper }
        if let table = experiment.table { summary["table"] = table }
        if let row = experiment.row { summary["row"] = row }
        if let message { summary["message"] = message }
        if let last = history.last {
            summary["final"] = Dictionary(uniqueKeysWithValues: zip(columns, last.map { $0.isNaN ? 0 : $0 }))
        }
        if let best, let metric = experiment.checkpoint.keepBest {
            summary["best"] = ["metric": metric.rawValue, "value": best.value, "epoch": best.epoch]
        }
        if let conversion { summary["conversion"] = conversion.jsonObject() }
        if status == "finished" {
            // Per-layer operations and energy of the final model (a convert run: its SNN at
            // neuron.time_steps) on the test split (docs/energy.md).
            let meter = EnergyMeter(model: convertedModel ?? model)
            try meter.measure(batcher: testBatcher, batches: nil)
            summary["energy"] = meter.report().jsonObject()
        }
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        let temporary = summaryPath + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, summaryPath) == 0 else {
            throw RunError.io(path: summaryPath, reason: String(cString: strerror(errno)))
        }
    }

    private static func installSignalHandlers() {
        stopSignalReceived = 0
        signal(SIGINT) { _ in stopSignalReceived = 1 }
        signal(SIGTERM) { _ in stopSignalReceived = 1 }
        // A blocked signal mask survives exec: a process started by a parent that blocks them
        // (Foundation's Process does, from a test runner) would otherwise never see the signals.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
