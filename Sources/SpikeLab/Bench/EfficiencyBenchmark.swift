import Foundation
import SpikeNN
import SpikeTensor

/// `spikelab bench efficiency`: the three papers' efficiency claims measured on their own
/// networks, built from the paper manifests by `ExperimentBuilder.model` exactly as a run builds
/// them (cpu profile, `neuron.time_steps` and optionally `model.width` overridden):
///
/// - `psu`: the PSU paper's static-image network (`cifar_convnet`) with LIF (fused kernel), LIF
///   run step by step (`lif-serial`), PSU, IPSU and RPSU — training-step time per T and each
///   variant's time over the fused LIF's and over the step-by-step LIF's at the same T.
/// - `spikepack`: the SpikePack paper's ResNet-18 with SpikePack and LIF — training-step time and
///   the peak tensor memory a step allocates, per T, each over its own value at the first T.
/// - `energy`: the general SNN's single-step CNN, its ReLU twin and the T = 4 LIF ResNet-18 —
///   MACs, accumulates and energy per image on real test images (`EfficiencyEnergy`).
///
/// A training step is the run's: zero-grad, forward, the manifest's loss, backward, the
/// manifest's optimizer step, on a fixed random batch of CIFAR-shaped images.
public struct EfficiencyBenchmark {
    /// The parts of the benchmark, one per paper claim.
    public enum Part: String, Codable, Sendable, CaseIterable {
        case psu, spikepack, energy
    }

    /// Manifests (relative to the experiments folder) each part builds its networks from.
    public static let psuManifests: [(variant: String, path: String)] = [
        ("lif", "psu/static-cifar10-lif.yaml"), ("lif-serial", "psu/static-cifar10-lif.yaml"), ("psu", "psu/static-cifar10-psu.yaml"),
        ("ipsu", "psu/static-cifar10-ipsu.yaml"), ("rpsu", "psu/static-cifar10-rpsu.yaml"),
    ]
    public static let spikePackManifests: [(variant: String, path: String)] = [
        ("lif", "spikepack/cifar10-lif-t4.yaml"), ("spikepack", "spikepack/cifar10-spikepack-t4.yaml"),
    ]
    /// SpikePack packs at most this many bits (a Float32 holds 2^24 levels exactly).
    public static let spikePackMaxTimeSteps = 24
    /// The default T sweep.
    public static let defaultTimeSteps = [1, 2, 4, 8, 16, 32]

    public var parts: [Part]
    public var timeSteps: [Int]
    /// `model.width` for every network built here; nil: each manifest's cpu profile width.
    public var width: Double?
    /// Images per training step.
    public var batch: Int
    /// Timed training steps per configuration (after one untimed warm-up step).
    public var steps: Int
    /// Folder holding `psu/`, `spikepack/` and `general-snn/` manifests.
    public var experimentsRoot: String
    /// The energy part's settings.
    public var energy: EfficiencyEnergy
    public var log: (String) -> Void

    public init(parts: [Part] = Part.allCases, timeSteps: [Int] = defaultTimeSteps, width: Double? = nil, batch: Int = 16,
                steps: Int = 3, experimentsRoot: String = "experiments", energy: EfficiencyEnergy = EfficiencyEnergy(),
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.parts = parts
        self.timeSteps = timeSteps
        self.width = width
        self.batch = batch
        self.steps = steps
        self.experimentsRoot = experimentsRoot
        self.energy = energy
        self.log = log
    }

    /// Parses `psu,spikepack` (or several such lists) into parts, or says which are allowed.
    public static func parseParts(_ texts: [String]) -> Result<[Part], BenchmarkArgumentError> {
        var parts: [Part] = []
        for name in texts.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let part = Part(rawValue: name) else {
                return .failure(BenchmarkArgumentError(message: "--part: '\(name)' is not a part of the efficiency benchmark; allowed: "
                                                       + Part.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            if !parts.contains(part) { parts.append(part) }
        }
        return parts.isEmpty ? .failure(BenchmarkArgumentError(message: "--part: no part named; allowed: "
                                                               + Part.allCases.map(\.rawValue).joined(separator: ", ")))
            : .success(parts)
    }

    /// Parses `1,2,4` into distinct ascending time steps in 1…4096, or says what is allowed.
    public static func parseTimeSteps(_ text: String) -> Result<[Int], BenchmarkArgumentError> {
        var values: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = Int(trimmed), (1...4096).contains(value) else {
                return .failure(BenchmarkArgumentError(message: "--time-steps: '\(trimmed)' in '\(text)' is not an integer in 1...4096; give comma-separated T, e.g. 1,2,4,8"))
            }
            values.append(value)
        }
        return .success(Array(Set(values)).sorted())
    }

    /// Runs the chosen parts and returns the report (load average read before and after).
    public func run() throws -> EfficiencyReport {
        var report = EfficiencyReport(machine: BenchmarkReport(benchmark: "efficiency", threads: Threads.count),
                                      loadAverageBefore: Self.loadAverage(), batch: batch, steps: steps, timeSteps: timeSteps)
        if parts.contains(.psu) {
            report.psu = try timingPart(Self.psuManifests, baseline: "lif", memory: false)
        }
        if parts.contains(.spikepack) {
            report.spikePack = try timingPart(Self.spikePackManifests, baseline: nil, memory: true)
        }
        if parts.contains(.energy) {
            var energy = self.energy
            if energy.width == nil { energy.width = width }
            report.energy = try energy.run(experimentsRoot: experimentsRoot, log: log)
        }
        report.loadAverageAfter = Self.loadAverage()
        return report
    }

    /// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), nil where unreadable.
    public static func loadAverage() -> [Double]? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : nil
    }

    // MARK: Timing parts

    /// Every variant at every T: one row each, ordered by variant then T; ratios from the
    /// medians measured in this call. T is the outer loop, so the variants compared at one T are
    /// measured next to each other in time (a change of machine load hits them alike).
    func timingPart(_ manifests: [(variant: String, path: String)], baseline: String?, memory: Bool) throws -> [EfficiencyReport.TimingRow] {
        var rows: [EfficiencyReport.TimingRow] = []
        for t in timeSteps {
            for (variant, path) in manifests {
                if variant == "spikepack" && t > Self.spikePackMaxTimeSteps {
                    log("\(variant): T = \(t) skipped (SpikePack packs at most \(Self.spikePackMaxTimeSteps) bits)")
                    continue
                }
                rows.append(try timeTrainingStep(manifest: path, variant: variant, timeSteps: t, memory: memory))
            }
        }
        let order = manifests.map(\.variant)
        rows.sort { (order.firstIndex(of: $0.variant)!, $0.timeSteps) < (order.firstIndex(of: $1.variant)!, $1.timeSteps) }
        for index in rows.indices {
            let row = rows[index]
            if let baseline, let base = rows.first(where: { $0.variant == baseline && $0.timeSteps == row.timeSteps }) {
                rows[index].ratioToBaseline = row.medianStepSeconds / base.medianStepSeconds
                rows[index].cpuRatioToBaseline = row.leastCPUSeconds / base.leastCPUSeconds
            }
            if baseline != nil, let serial = rows.first(where: { $0.variant == "lif-serial" && $0.timeSteps == row.timeSteps }) {
                rows[index].ratioToSerial = row.medianStepSeconds / serial.medianStepSeconds
                rows[index].cpuRatioToSerial = row.leastCPUSeconds / serial.leastCPUSeconds
            }
            if let first = rows.first(where: { $0.variant == row.variant }) {
                rows[index].timeOverFirstT = row.medianStepSeconds / first.medianStepSeconds
                rows[index].cpuOverFirstT = row.leastCPUSeconds / first.leastCPUSeconds
                if let peak = row.peakBytes, let firstPeak = first.peakBytes, firstPeak > 0 {
                    rows[index].memoryOverFirstT = Double(peak) / Double(firstPeak)
                }
            }
        }
        return rows
    }

    /// The manifest at `path` under its cpu profile with T (and the width) overridden.
    func manifest(_ path: String, timeSteps t: Int) throws -> Manifest {
        var overrides = ["neuron.time_steps=\(t)"]
        if let width { overrides.append("model.width=\(width)") }
        return try Manifest.load(contentsOf: experimentsRoot + "/" + path, profile: "cpu", overrides: overrides)
    }

    /// Times training steps of the manifest's network at T; `memory` also tracks the peak
    /// tensor memory each step allocates above what was live before it.
    func timeTrainingStep(manifest path: String, variant: String, timeSteps t: Int, memory: Bool) throws -> EfficiencyReport.TimingRow {
        let experiment = try manifest(path, timeSteps: t).experiment
        let model = try ExperimentBuilder.model(experiment)
        // The same LIF network, its neurons run one step at a time (a per-step framework's loop).
        if variant == "lif-serial" { for layer in model.modules(ofType: NeuronLayer.self) { layer.runsStepByStep = true } }
        let optimizer = ExperimentBuilder.optimizer(experiment.training.optimizer, parameters: model.namedParameters())
        guard let task = try RunTasks.make(experiment) as? ClassificationTask else {
            throw BuildError.unsupported(keyPath: "task", value: experiment.task.rawValue, supported: ["classification"])
        }
        var rng = PhiloxGenerator(seed: 12)
        let images = Tensor.uniform([batch, experiment.model.inChannels, 32, 32], low: -1, high: 1, rng: &rng)
        let labels = Tensor(int32: (0..<batch).map { Int32($0 % experiment.model.numClasses) })
        log("\(variant) (\(experiment.model.arch.rawValue), width \(experiment.model.width)): T = \(t), batch \(batch), \(steps) timed training steps …")
        model.train(true)
        var peak = 0
        var cpuTimes: [Double] = []
        let (best, median) = measure(repetitions: steps, warmup: 1) {
            let cpuStart = processCPUSeconds()
            defer { cpuTimes.append(processCPUSeconds() - cpuStart) }
            optimizer.zeroGrad()
            let before = StoragePool.shared.liveBytes
            if memory { StoragePool.shared.resetPeak() }
            let loss = task.lossValue(model(images), labels, training: true)
            loss.backward()
            optimizer.step()
            if memory { peak = max(peak, StoragePool.shared.peakLiveBytes - before) }
        }
        return EfficiencyReport.TimingRow(variant: variant, manifest: path, arch: experiment.model.arch.rawValue,
                                          width: experiment.model.width, timeSteps: t, parameters: model.parameterCount,
                                          bestStepSeconds: best, medianStepSeconds: median,
                                          leastCPUSeconds: cpuTimes.dropFirst().min() ?? 0,
                                          imagesPerSecond: Double(batch) / median, peakBytes: memory ? peak : nil)
    }
}
