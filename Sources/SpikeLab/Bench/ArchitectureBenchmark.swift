import Foundation
import SpikeTensor

/// Training-step time of each paper architecture at a chosen width, batch and T, on random
/// input of the architecture's shape, against `vgg_small` under the same settings in the same
/// run: what a cpu profile must budget per step. Models are built from a manifest through
/// `ExperimentBuilder.model`, exactly as a run builds them; a step is zero-grad, forward,
/// cross-entropy, backward and an SGD step.
public struct ArchitectureBenchmark {
    /// One architecture's measurement.
    public struct Case: Codable, Sendable {
        public var arch: String
        public var parameters: Int
        /// The input batch shape fed to the model.
        public var inputShape: [Int]
        /// Neuron time steps T (32 for seq_cifar_conv1d, one per image column).
        public var timeSteps: Int
        public var bestStepSeconds: Double
        public var medianStepSeconds: Double
        /// Training images (or sequences) per second at the median step time.
        public var samplesPerSecond: Double
        /// Median step time over vgg_small's at the same width, batch and T.
        public var ratioToVGGSmall: Double
    }

    /// The report: machine, settings and one case per architecture.
    public struct Report: Codable, Sendable {
        public var machine: BenchmarkReport
        public var width: Double
        public var batch: Int
        public var timeSteps: Int
        public var steps: Int
        public var cases: [Case]

        /// Pretty-printed JSON.
        public func json() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        /// A table, one line per architecture.
        public func table() -> String {
            var lines = ["architecture benchmark — \(machine.date)",
                         "cpu: \(machine.cpu); cores: \(machine.cores); threads: \(machine.threads)",
                         "LIF, width \(width), batch \(batch), T \(timeSteps) (seq_cifar_conv1d: T 32); median of \(steps) training steps",
                         "",
                         "arch               parameters  input               step ms (median / best)   samples/s  × vgg_small"]
            for c in cases {
                func padded(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
                lines.append(padded(c.arch, 18) + String(format: " %10d  ", c.parameters) + padded("\(c.inputShape)", 19)
                             + String(format: " %10.1f / %-10.1f %12.1f %11.2f", c.medianStepSeconds * 1e3, c.bestStepSeconds * 1e3,
                                      c.samplesPerSecond, c.ratioToVGGSmall))
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Architectures this benchmark can time, vgg_small (the baseline) first.
    public static let architectures = ["vgg_small", "resnet18", "resnet19", "resnet20", "resnet34", "sew_resnet18", "vgg11",
                                       "vgg16", "cifar_convnet", "seq_cifar_conv1d", "dvs_vgg", "spikformer"]

    public var architectures: [String]
    public var width: Double
    public var batch: Int
    public var timeSteps: Int
    public var steps: Int
    public var log: (String) -> Void

    /// A benchmark of `architectures` (vgg_small is always timed too, as the baseline).
    public init(architectures: [String], width: Double, batch: Int, timeSteps: Int, steps: Int,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.architectures = architectures
        self.width = width
        self.batch = batch
        self.timeSteps = timeSteps
        self.steps = steps
        self.log = log
    }

    /// Times every architecture and returns the report.
    public func run() throws -> Report {
        var report = Report(machine: BenchmarkReport(benchmark: "arch", threads: Threads.count), width: width, batch: batch,
                            timeSteps: timeSteps, steps: steps, cases: [])
        let baseline = try measureCase("vgg_small", baselineSeconds: nil)
        report.cases.append(baseline)
        for arch in architectures where arch != "vgg_small" {
            report.cases.append(try measureCase(arch, baselineSeconds: baseline.medianStepSeconds))
        }
        return report
    }

    private func measureCase(_ arch: String, baselineSeconds: Double?) throws -> Case {
        let (loader, extra, input, t): (String, String, [Int], Int) = switch arch {
        case "seq_cifar_conv1d": ("sequential_cifar10", "", [batch, 32, 96], 32)
        case "dvs_vgg": ("cifar10_dvs", "\n  split: per_class_first_90\n  resize: 48", [timeSteps, batch, 2, 48, 48], timeSteps)
        default: ("cifar10", "", [batch, 3, 32, 32], timeSteps)
        }
        let yaml = """
            name: bench-arch-\(arch)
            seed: 0
            data:
              loader: \(loader)
              batch_size: \(batch)\(extra)
            model:
              arch: \(arch)
              width: \(width)
            neuron:
              variant: lif
              time_steps: \(t)
            training:
              mode: direct
              epochs: 1
              loss: ce
              optimizer: {kind: sgd, lr: 0.01, momentum: 0.9}
              schedule: {kind: constant}
            """
        let experiment = try Manifest.load(yaml: yaml, path: "bench-arch-\(arch).yaml").experiment
        let model = try ExperimentBuilder.model(experiment)
        let optimizer = ExperimentBuilder.optimizer(experiment.training.optimizer, parameters: model.namedParameters())
        var rng = PhiloxGenerator(seed: 12)
        let x = Tensor.uniform(input, low: -1, high: 1, rng: &rng)
        let labels = Tensor(int32: (0..<batch).map { Int32($0 % 10) })
        log("\(arch): \(steps) timed training steps, input \(input), T \(t) …")
        let (best, median) = measure(repetitions: steps, warmup: 1) {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(x), labels)
            loss.backward()
            optimizer.step()
        }
        return Case(arch: arch, parameters: model.parameterCount, inputShape: input, timeSteps: t, bestStepSeconds: best,
                    medianStepSeconds: median, samplesPerSecond: Double(batch) / median,
                    ratioToVGGSmall: median / (baselineSeconds ?? median))
    }
}
