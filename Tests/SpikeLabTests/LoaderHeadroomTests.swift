import Foundation
import Testing
@testable import SpikeLab

@Suite("bench data: loaders against the training step")
struct LoaderHeadroomTests {
    func measurement(_ name: String, _ throughput: Double, unit: String = "samples/s") -> BenchmarkMeasurement {
        BenchmarkMeasurement(name: name, description: name, seconds: 1, medianSeconds: 1, throughput: throughput,
                             unit: unit, repetitions: 1)
    }

    @Test("only what serves training batches is compared, as its samples/s over the step's images/s")
    func annotatesServingMeasurements() throws {
        var report = BenchmarkReport(benchmark: "data", threads: 1)
        report.measurements = [measurement("shd_batches_t15", 500), measurement("shd_file_read", 900),
                               measurement("voc_detection_sample", 30, unit: "images/s"),
                               measurement("jpeg_decode_64x64", 4000, unit: "images/s")]
        let annotated = LoaderHeadroom.annotate(report, against: measurement("vgg_small_lif_step", 20, unit: "images/s"))
        #expect(annotated.measurements.map(\.overTrainingRate) == [25, nil, 1.5, nil])
        #expect(annotated.table().contains("× training"))
        let json = try annotated.json()
        #expect(json.contains("\"overTrainingRate\" : 25"))
        // A report without the comparison keeps its old table and JSON.
        let plainJSON = try report.json()
        #expect(!report.table().contains("× training") && !plainJSON.contains("overTrainingRate"))
    }
}
