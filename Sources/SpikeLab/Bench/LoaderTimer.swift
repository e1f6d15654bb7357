import Foundation

/// Times data-loader work for `spikelab bench data`: once per sample, or once per whole
/// dataset or epoch, reporting samples per second from the best repetition.
struct LoaderTimer {
    /// Where the line announcing each measurement goes.
    var log: (String) -> Void

    /// Calls `body` for samples `0..<count` per repetition (one untimed warm-up repetition).
    func perSample(_ name: String, _ description: String, count: Int, reps: Int,
                   _ body: (Int) throws -> Void) throws -> BenchmarkMeasurement {
        log("\(name): \(count) samples × \(reps)")
        var failure: Error?
        let (best, median) = measure(repetitions: reps) {
            for i in 0..<count where failure == nil {
                do { try body(i) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return BenchmarkMeasurement(name: name, description: description + " (\(count) per repetition)", seconds: best,
                                    medianSeconds: median, throughput: Double(count) / best, unit: "samples/s", repetitions: reps)
    }

    /// Calls `body`, which handles `count` samples, once per repetition (no warm-up).
    func perDataset(_ name: String, _ description: String, count: Int, reps: Int,
                    _ body: () throws -> Void) throws -> BenchmarkMeasurement {
        log("\(name): \(count) samples × \(reps)")
        var failure: Error?
        let (best, median) = measure(repetitions: reps, warmup: 0) {
            do { try body() } catch { failure = error }
        }
        if let failure { throw failure }
        return BenchmarkMeasurement(name: name, description: description, seconds: best, medianSeconds: median,
                                    throughput: Double(count) / best, unit: "samples/s", repetitions: reps)
    }
}
