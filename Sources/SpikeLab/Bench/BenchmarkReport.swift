import Foundation

/// One measured quantity of a benchmark run.
public struct BenchmarkMeasurement: Codable, Sendable {
    /// Stable identifier, e.g. `sgemm_n1024` (peers scripts match on it).
    public var name: String
    /// What was measured, in words.
    public var description: String
    /// Best (minimum) time of one repetition, seconds.
    public var seconds: Double
    /// Median time of one repetition, seconds.
    public var medianSeconds: Double
    /// Throughput in `unit` computed from the best time (GFLOP/s, GB/s, steps/s…), if any.
    public var throughput: Double?
    /// Unit of `throughput`.
    public var unit: String?
    /// Repetitions timed (after warm-up).
    public var repetitions: Int
    /// Bytes the measured work moves by the benchmark's counting model, if it counts them.
    public var bytesMoved: Double? = nil
    /// Achieved bandwidth as a fraction of the triad measured in the same run, if counted.
    public var fractionOfTriad: Double? = nil
    /// Peak tensor memory the measured work allocated (bytes above what was live before it), if tracked.
    public var peakBytes: Int? = nil
    /// For a loader serving training batches: its samples/s over the training samples/s of the
    /// reference step measured in the same run (above 1: loading keeps ahead of training).
    public var overTrainingRate: Double? = nil
    /// Least process CPU time (all threads, spin-waits included) of one repetition, seconds,
    /// if measured: it changes less than wall time when other programs load the machine.
    public var cpuSeconds: Double? = nil
}

/// A benchmark run: the machine it ran on and its measurements.
public struct BenchmarkReport: Codable, Sendable {
    public var benchmark: String
    public var spikelabVersion: String
    public var date: String
    public var cores: Int
    public var threads: Int
    public var memoryBytes: UInt64
    public var cpu: String
    public var measurements: [BenchmarkMeasurement]

    /// An empty report describing this machine.
    public init(benchmark: String, threads: Int) {
        self.benchmark = benchmark
        self.spikelabVersion = SpikeLabVersion.string
        self.date = ISO8601DateFormatter().string(from: Date())
        self.cores = ProcessInfo.processInfo.activeProcessorCount
        self.threads = threads
        self.memoryBytes = ProcessInfo.processInfo.physicalMemory
        self.cpu = BenchmarkReport.cpuModel()
        self.measurements = []
    }

    /// The report as pretty-printed JSON.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report as an aligned text table.
    public func table() -> String {
        var lines = ["\(benchmark) benchmark — \(date)",
                     "cpu: \(cpu); cores: \(cores); threads: \(threads); memory: \(memoryBytes >> 30) GiB",
                     ""]
        let nameWidth = max(4, measurements.map(\.name.count).max() ?? 4)
        let extras = measurements.contains { $0.fractionOfTriad != nil || $0.peakBytes != nil }
        let ratios = measurements.contains { $0.overTrainingRate != nil }
        let cpuColumn = measurements.contains { $0.cpuSeconds != nil }
        lines.append("name".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                     + "   best ms  median ms   throughput" + (cpuColumn ? "               cpu ms" : "")
                     + (extras ? "        triad   peak MiB" : "") + (ratios ? "   × training" : ""))
        for m in measurements {
            let tp = m.throughput.map { String(format: "%10.2f ", $0) + (m.unit ?? "").padding(toLength: 9, withPad: " ", startingAt: 0) }
                ?? String(repeating: " ", count: 20)
            var line = m.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + String(format: " %9.3f  %9.3f   ", m.seconds * 1e3, m.medianSeconds * 1e3) + tp
            if cpuColumn { line += m.cpuSeconds.map { String(format: "  %9.3f", $0 * 1e3) } ?? "           " }
            if extras {
                line += m.fractionOfTriad.map { String(format: "  %6.1f %%", $0 * 100) } ?? "          "
                line += m.peakBytes.map { String(format: "  %9.1f", Double($0) / 1_048_576) } ?? ""
            }
            if ratios, let ratio = m.overTrainingRate { line += String(format: "   %9.1f×", ratio) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }
}

/// Times `body` `repetitions` times after `warmup` untimed calls; returns (best, median) seconds.
public func measure(repetitions: Int, warmup: Int = 1, _ body: () -> Void) -> (best: Double, median: Double) {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    times.reserveCapacity(repetitions)
    for _ in 0..<max(1, repetitions) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    times.sort()
    return (times[0], times[times.count / 2])
}
