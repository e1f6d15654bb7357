import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// `spikelab bench train`: how long an epoch of training takes against how long writing a
/// checkpoint of the same run takes, for the demo model and vgg-small. The goal is a
/// checkpoint write of at most 2 % of an epoch, so checkpointing every epoch is cheap.
public struct TrainBenchmark {
    /// One model's numbers.
    public struct Case: Codable, Sendable {
        public var name: String
        /// The setting in words (model, neuron, batch, data).
        public var setting: String
        /// Training time of one epoch (no evaluation), seconds.
        public var epochSeconds: Double
        /// How `epochSeconds` was obtained.
        public var epochSource: String
        /// Time of one optimizer step, seconds (the epoch's mean for the demo, the median of
        /// the timed steps for vgg-small).
        public var stepSeconds: Double
        /// The runner's per-step finite checks (gradients, then parameters and buffers), median seconds.
        public var finiteCheckSeconds: Double
        /// Steps in the epoch `epochSeconds` is for.
        public var stepsPerEpoch: Int
        /// Checkpoint write (model, optimizer, schedule, rng, data position, metrics; atomic
        /// with fsync and rename): best and median of the timed writes.
        public var checkpointSeconds: Double
        public var checkpointMedianSeconds: Double
        public var checkpointWrites: Int
        public var checkpointBytes: Int
        public var parameters: Int
        /// Median checkpoint write as a percentage of the epoch.
        public var checkpointPercentOfEpoch: Double
        /// Whether that is at most 2 %.
        public var meetsGoal: Bool
    }

    public struct Report: Codable, Sendable {
        public var machine: BenchmarkReport
        public var goalPercent: Double
        public var cases: [Case]

        public func json() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        public func table() -> String {
            var lines = ["train benchmark — \(machine.date)",
                         "cpu: \(machine.cpu); cores: \(machine.cores); threads: \(machine.threads)",
                         "goal: a checkpoint write takes at most \(goalPercent) % of an epoch", ""]
            for c in cases {
                lines.append("\(c.name): \(c.setting), \(c.parameters) parameters")
                lines.append(String(format: "  epoch            %10.2f s   (%@; %d steps of %.1f ms)",
                                    c.epochSeconds, c.epochSource, c.stepsPerEpoch, c.stepSeconds * 1e3))
                lines.append(String(format: "  finite checks    %10.3f ms  a step (%.3f %% of a step)",
                                    c.finiteCheckSeconds * 1e3, 100 * c.finiteCheckSeconds / c.stepSeconds))
                lines.append(String(format: "  checkpoint write %10.1f ms  (median of %d; best %.1f ms; %d bytes)",
                                    c.checkpointMedianSeconds * 1e3, c.checkpointWrites, c.checkpointSeconds * 1e3, c.checkpointBytes))
                lines.append(String(format: "  write / epoch    %10.3f %%   %@", c.checkpointPercentOfEpoch,
                                    c.meetsGoal ? "(meets the goal)" : "(MISSES the goal)"))
                lines.append("")
            }
            return lines.joined(separator: "\n")
        }
    }

    public var quick: Bool
    public var log: (String) -> Void

    public init(quick: Bool, log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quick = quick
        self.log = log
    }

    public static let goalPercent = 2.0

    public func run() throws -> Report {
        var report = Report(machine: BenchmarkReport(benchmark: "train", threads: Threads.count),
                            goalPercent: Self.goalPercent, cases: [])
        report.cases.append(try demo())
        report.cases.append(try vggSmall())
        return report
    }

    private var writes: Int { quick ? 3 : 7 }

    // MARK: Demo model on real Fashion-MNIST, through the runner

    /// The demo manifest's cpu profile (spiking_cnn_28, width 0.5, LIF T = 4, batch 64, Adam)
    /// trained for one real epoch by the runner; `--quick` uses 1280 of its 6000 images and
    /// scales the epoch time to 6000.
    func demo() throws -> Case {
        let fullSubset = 6000, subset = quick ? 1280 : fullSubset
        let manifest = try Manifest.load(yaml: Self.demoManifest, path: "bench-train-demo.yaml",
                                         overrides: ["data.subset=\(subset)", "data.test_subset=256"])
        let directory = NSTemporaryDirectory() + "spikelab-bench-train-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        log("demo: one epoch of spiking_cnn_28 on \(subset) Fashion-MNIST images …")
        let quiet = ProgressReporter(output: FileHandle(forWritingAtPath: "/dev/null")!, interactive: false)
        let runner = try Runner.start(manifest, directory: directory,
                                      options: RunOptions(progress: quiet, handleSignals: false))
        guard try runner.run() == .finished, let row = try MetricsLog.read(runner.metricsPath).last else {
            throw RunError.io(path: directory, reason: "the benchmark run did not finish its epoch")
        }
        let steps = (subset + 63) / 64, fullSteps = (fullSubset + 63) / 64
        let epoch = row.epochSeconds * Double(fullSteps) / Double(steps)
        let write = try timeWrites { path in try runner.writeCheckpoint(to: path) }
        let check = runner.timeFiniteChecks(repetitions: writes)
        return makeCase(name: "demo", setting: "spiking_cnn_28 width 0.5, LIF T=4, batch 64, Adam, Fashion-MNIST \(fullSubset)-image epoch (demo cpu profile)",
                        epochSeconds: epoch,
                        epochSource: quick ? "measured on \(subset) images by the runner, scaled to \(fullSubset)" : "measured by the runner",
                        stepSeconds: row.epochSeconds / Double(steps), steps: fullSteps, write: write,
                        finiteCheck: check, parameters: runner.parameterCount)
    }

    // MARK: vgg-small, timed steps on synthetic CIFAR-shaped input

    /// vgg-small (width 1, LIF T = 4, batch 64, SGD momentum) timed for a few steps on random
    /// CIFAR-shaped images (CIFAR-10 itself is not on every machine); the epoch is the 782
    /// steps of CIFAR-10's 50 000 training images at the median step time.
    func vggSmall() throws -> Case {
        let batch = 64, epochImages = 50_000
        let manifest = try Manifest.load(yaml: Self.vggManifest, path: "bench-train-vgg.yaml")
        let experiment = manifest.experiment
        let model = try ExperimentBuilder.model(experiment)
        let optimizer = ExperimentBuilder.optimizer(experiment.training.optimizer, parameters: model.namedParameters())
        let schedule = ExperimentBuilder.schedule(experiment.training)
        var rng = PhiloxGenerator(seed: 11)
        let x = Tensor.uniform([batch, 3, 32, 32], low: -1, high: 1, rng: &rng)
        let labels = Tensor(int32: (0..<batch).map { Int32($0 % 10) })
        let steps = quick ? 3 : 8
        log("vgg-small: \(steps) timed training steps, batch \(batch), LIF T=4 …")
        let (_, median) = measure(repetitions: steps, warmup: 1) {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(x), labels)
            loss.backward()
            optimizer.step()
        }
        let stepsPerEpoch = (epochImages + batch - 1) / batch
        let checkpoint = Checkpoint(epoch: 1, globalStep: steps + 1, threads: Threads.count,
                                    manifest: manifest.resolvedYAML(), manifestSHA256: manifest.sha256,
                                    model: model.stateDict(), optimizer: optimizer.exportState(),
                                    schedule: schedule.exportState(lastEpoch: 1), learningRate: Double(optimizer.learningRate),
                                    rng: [:], dataPosition: BatcherPosition(epoch: 1, cursor: 0),
                                    metrics: EpochMetrics.columns.map { ($0, [1.0]) })
        let write = try timeWrites { path in try checkpoint.write(to: path) }
        let parameters = model.namedParameters()
        let (_, check) = measure(repetitions: writes) {
            let gradients = parameters.compactMap { p in p.tensor.grad.map { (name: p.name, tensor: $0) } }
            _ = NonFiniteValue.first(in: gradients)
            _ = NonFiniteValue.first(in: model.stateDict())
        }
        return makeCase(name: "vgg_small", setting: "vgg-small width 1, LIF T=4, batch 64, SGD momentum 0.9, CIFAR-10 epoch (50000 images)",
                        epochSeconds: median * Double(stepsPerEpoch),
                        epochSource: "\(stepsPerEpoch) steps × median of \(steps) timed steps on synthetic input",
                        stepSeconds: median, steps: stepsPerEpoch, write: write, finiteCheck: check,
                        parameters: model.parameterCount)
    }

    // MARK: Helpers

    private func timeWrites(_ write: (String) throws -> Void) throws -> (best: Double, median: Double, bytes: Int) {
        let directory = NSTemporaryDirectory() + "spikelab-bench-ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/last.h5"
        try write(path)  // warm-up: the first write also creates the file
        var times: [Double] = []
        for _ in 0..<writes {
            let start = ProgressReporter.clock()
            try write(path)
            times.append(ProgressReporter.clock() - start)
        }
        times.sort()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return (times[0], times[times.count / 2], bytes)
    }

    private func makeCase(name: String, setting: String, epochSeconds: Double, epochSource: String, stepSeconds: Double,
                          steps: Int, write: (best: Double, median: Double, bytes: Int), finiteCheck: Double,
                          parameters: Int) -> Case {
        let percent = 100 * write.median / epochSeconds
        return Case(name: name, setting: setting, epochSeconds: epochSeconds, epochSource: epochSource,
                    stepSeconds: stepSeconds, finiteCheckSeconds: finiteCheck, stepsPerEpoch: steps, checkpointSeconds: write.best,
                    checkpointMedianSeconds: write.median, checkpointWrites: writes, checkpointBytes: write.bytes,
                    parameters: parameters, checkpointPercentOfEpoch: percent, meetsGoal: percent <= Self.goalPercent)
    }

    static let demoManifest = """
        name: bench-train-demo
        seed: 0
        data:
          loader: fashion_mnist
          root: /usr/share/datasets/fashion-mnist
          batch_size: 64
          augment: [{random_crop: {size: 28, padding: 2}}, {normalize: fashion_mnist}]
        model: {arch: spiking_cnn_28, width: 0.5}
        neuron: {variant: lif, time_steps: 4, tau: 2.0, v_threshold: 1.0, v_reset: 0.0, surrogate: {kind: sigmoid, alpha: 4.0}}
        training:
          epochs: 1
          optimizer: {kind: adam, lr: 1.0e-3}
          schedule: {kind: cosine}
        checkpoint: {every_epochs: 1}
        """

    static let vggManifest = """
        name: bench-train-vgg
        seed: 0
        data: {loader: cifar10, root: datasets/cifar10, batch_size: 64}
        model: {arch: vgg_small, num_classes: 10}
        neuron: {variant: lif, time_steps: 4}
        training:
          epochs: 1
          optimizer: {kind: sgd, lr: 0.1, momentum: 0.9, weight_decay: 5.0e-4}
          schedule: {kind: cosine}
        checkpoint: {every_epochs: 1}
        """
}
