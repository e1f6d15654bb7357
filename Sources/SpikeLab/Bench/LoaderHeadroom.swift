import Foundation
import SpikeNN

/// `spikelab bench data`'s goal check: does each loader serve samples faster than training
/// consumes them? The reference is the spiking vgg-small training step (LIF, T = 4, batch 32,
/// the neuron benchmark's), timed in the same run on the same threads.
public enum LoaderHeadroom {
    /// The reference training step, images per second in `throughput`.
    public static func trainingStep(quick: Bool, log: @escaping (String) -> Void) -> BenchmarkMeasurement {
        NeuronBenchmark(quick: quick, log: log).vggSmallStep(.lif)
    }

    /// Whether `measurement` times what a training run waits on each step: serving batches, or
    /// decoding a detection/segmentation sample (those are decoded when a batch is made).
    /// Decoding and caching that happen once before training are not.
    public static func servesTraining(_ measurement: BenchmarkMeasurement) -> Bool {
        measurement.unit == "samples/s" && measurement.name.contains("_batches")
            || measurement.unit == "images/s" && measurement.name.hasPrefix("voc_") && measurement.name.hasSuffix("_sample")
    }

    /// `report` with `overTrainingRate` set on each serving measurement against `training`.
    public static func annotate(_ report: BenchmarkReport, against training: BenchmarkMeasurement) -> BenchmarkReport {
        var annotated = report
        guard let rate = training.throughput, rate > 0 else { return annotated }
        for i in annotated.measurements.indices where servesTraining(annotated.measurements[i]) {
            annotated.measurements[i].overTrainingRate = (annotated.measurements[i].throughput ?? 0) / rate
        }
        return annotated
    }
}
