import Foundation
import Testing
@testable import SpikeLab
import SpikeData
@testable import SpikeNN
import SpikeTensor

private let probeRequested = ProcessInfo.processInfo.environment["SPIKELAB_CONVERSION_PROBE"] == "1"
/// A finished IF convert run of spiking_cnn_28 whose ANN (last.h5) and thresholds (converted.h5) to probe.
private let probeRun = ProcessInfo.processInfo.environment["SPIKELAB_CONVERSION_PROBE_RUN"]

/// The first `count` images and labels of `source` (from its start).
func probeImages(_ source: any BatchSource, count: Int) throws -> (images: Tensor, labels: [Int]) {
    source.restore(.start)
    var values: [Float] = [], labels: [Int] = [], shape: [Int] = []
    while labels.count < count, let batch = try source.next() {
        shape = Array(batch.inputs.shape.dropFirst())
        let take = min(batch.count, count - labels.count), per = batch.inputs.count / batch.count
        values += batch.inputs.floats[0..<(take * per)]
        labels += batch.labels.int32s[0..<take].map(Int.init)
    }
    source.stopPrefetching()
    return (Tensor(values, shape: [labels.count] + shape), labels)
}

/// The investigation of docs/conversion.md ("Why IF accuracy fell with T"): prints, for the fast
/// test's network, every stage's error against the clipped ANN at T = 2 … 64 for each max-pool
/// rule. Diagnostic output only; run with SPIKELAB_CONVERSION_PROBE=1.
@Suite("Conversion probe (diagnostic)", .serialized, .enabled(if: probeRequested, "SPIKELAB_CONVERSION_PROBE=1"))
struct ConversionProbeTests {
    @Test("prints every stage's error against the clipped ANN for T = 2 … 64 and each max-pool rule")
    func probe() throws {
        let directory = NSTemporaryDirectory() + "spikelab-probe-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manifest = try Manifest.load(yaml: """
            name: probe
            seed: 1
            data:
              loader: fashion_mnist
              batch_size: 64
              subset: 3000
              test_subset: 2000
              prefetch: 1
              augment: [{normalize: fashion_mnist}]
            model: {arch: spiking_cnn_28, width: 0.25}
            neuron: {variant: if, time_steps: 2}
            training:
              mode: convert
              epochs: 1
              optimizer: {kind: adam, lr: 2.0e-3}
              conversion: {time_steps: [2]}
            """, path: "probe.yaml")
        let runner = try Runner.start(manifest, directory: directory, options: RunOptions(
            progress: ProgressReporter(output: FileHandle(forWritingAtPath: "/dev/null")!, interactive: false), handleSignals: false))
        #expect(try runner.run() == .finished)
        let scales = try #require(runner.conversion).scales
        let ann = try #require(runner.model as? SpikingCNN28)
        let (images, labels) = try probeImages(runner.testBatcher, count: 1000)
        for rule in ["plain", "gated", "cumulative"] {
            for t in [2, 4, 8, 16, 32, 64] {
                let snn = try #require(try ExperimentBuilder.convertedModel(manifest.experiment, timeSteps: t) as? SpikingCNN28)
                try ANNToSNN.convert(ann: ann, into: snn, scales: scales)
                for pool in snn.modules(ofType: MaxPool2d.self) {
                    if rule == "plain" { pool.spikingTimeSteps = nil } else { pool.spikingRule = SpikingMaxPoolRule(rawValue: rule)! }
                }
                let report = ConversionProbe.measure(ann: ann, snn: snn, timeSteps: t, images: images, labels: labels)
                print(String(format: "probe %@ T=%d: SNN top-1 %.2f %%, clipped ANN %.2f %%, agreement %.2f %%", rule, t,
                             100 * report.snnTop1, 100 * report.clippedANNTop1, 100 * report.agreement))
                for stage in report.stages { print("probe \(rule) T=\(t)   \(stage)") }
            }
        }
    }

    @Test("prints every stage's error for the run in SPIKELAB_CONVERSION_PROBE_RUN (its ANN and thresholds), T = 4 … 32, gated and cumulative",
          .enabled(if: probeRun != nil, "SPIKELAB_CONVERSION_PROBE_RUN=<run directory>"))
    func probeRunDirectory() throws {
        let directory = try #require(probeRun)
        let annCheckpoint = try LoadedCheckpoint(path: directory + "/checkpoints/last.h5")
        let converted = try LoadedCheckpoint(path: directory + "/checkpoints/converted.h5")
        let ann = try #require(annCheckpoint.model as? SpikingCNN28)
        let scales = converted.model.namedModules().compactMap { entry -> ActivationScale? in
            guard let layer = entry.module as? NeuronLayer, let theta = layer.threshold?.item else { return nil }
            return ActivationScale(name: entry.name, scale: theta, seen: 0, positive: 0)
        }
        let count = Int(ProcessInfo.processInfo.environment["SPIKELAB_CONVERSION_PROBE_IMAGES"] ?? "") ?? 2000
        let (images, labels) = try probeImages(try annCheckpoint.batcher(split: .test), count: count)
        print("probe run \(directory): \(labels.count) test images, thresholds \(scales.map { "\($0.name) \($0.scale!)" })")
        for rule in SpikingMaxPoolRule.allCases.reversed() {
            for t in [4, 8, 16, 32] {
                let snn = try #require(try ExperimentBuilder.convertedModel(annCheckpoint.experiment, timeSteps: t) as? SpikingCNN28)
                try ANNToSNN.convert(ann: ann, into: snn, scales: scales)
                for pool in snn.modules(ofType: MaxPool2d.self) { pool.spikingRule = rule }
                let report = ConversionProbe.measure(ann: ann, snn: snn, timeSteps: t, images: images, labels: labels)
                print(String(format: "probe run %@ T=%d: SNN top-1 %.2f %%, clipped ANN %.2f %%, agreement %.2f %%", rule.rawValue, t,
                             100 * report.snnTop1, 100 * report.clippedANNTop1, 100 * report.agreement))
                for stage in report.stages { print("probe run \(rule.rawValue) T=\(t)   \(stage)") }
            }
        }
    }
}
