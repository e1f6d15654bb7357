import Foundation

/// One row of `metrics.csv`: what an epoch produced.
public struct EpochMetrics: Equatable, Sendable {
    /// The CSV header, in column order.
    public static let columns = ["epoch", "step", "lr", "train_loss", "train_top1", "test_loss", "test_top1",
                                 "test_top5", "firing_rate", "epoch_seconds", "images_per_s"]
    /// Columns that measure time: they differ between runs and are left out of reproducibility checks.
    public static let timingColumns: Set<String> = ["epoch_seconds", "images_per_s"]

    public var epoch: Int
    public var step: Int
    public var lr: Double
    public var trainLoss: Double
    public var trainTop1: Double
    public var testLoss: Double
    public var testTop1: Double
    public var testTop5: Double
    /// Spikes per neuron per step over all neuron layers on the test set (NaN for an ANN).
    public var firingRate: Double
    public var epochSeconds: Double
    public var imagesPerSecond: Double

    public init(epoch: Int, step: Int, lr: Double, trainLoss: Double, trainTop1: Double, testLoss: Double,
                testTop1: Double, testTop5: Double, firingRate: Double, epochSeconds: Double,
                imagesPerSecond: Double) {
        self.epoch = epoch
        self.step = step
        self.lr = lr
        self.trainLoss = trainLoss
        self.trainTop1 = trainTop1
        self.testLoss = testLoss
        self.testTop1 = testTop1
        self.testTop5 = testTop5
        self.firingRate = firingRate
        self.epochSeconds = epochSeconds
        self.imagesPerSecond = imagesPerSecond
    }

    /// The values in column order.
    public var values: [Double] {
        [Double(epoch), Double(step), lr, trainLoss, trainTop1, testLoss, testTop1, testTop5, firingRate,
         epochSeconds, imagesPerSecond]
    }

    /// A row from values in column order.
    public init(values v: [Double]) {
        precondition(v.count == Self.columns.count, "a metrics row has \(Self.columns.count) values, got \(v.count)")
        self.init(epoch: Int(v[0]), step: Int(v[1]), lr: v[2], trainLoss: v[3], trainTop1: v[4], testLoss: v[5],
                  testTop1: v[6], testTop5: v[7], firingRate: v[8], epochSeconds: v[9], imagesPerSecond: v[10])
    }

    /// The CSV line (no newline). Values use the shortest text that reads back to the same
    /// Double, so a resumed run writes byte-identical rows.
    public var csvLine: String { MetricsLog.csvLine(values) }
}

/// `metrics.csv`: one row per epoch, appended and flushed as each epoch ends. Its columns are
/// the task's (`RunTaskColumns.all`); a classification log's are `EpochMetrics.columns`.
public struct MetricsLog {
    public let path: String
    /// The header, in column order.
    public let columns: [String]

    public init(path: String, columns: [String] = EpochMetrics.columns) {
        self.path = path
        self.columns = columns
    }

    /// A row's CSV line (no newline): the first two values (epoch, step) as integers, the
    /// others in the shortest text that reads back to the same Double, so a resumed run writes
    /// byte-identical rows.
    public static func csvLine(_ values: [Double]) -> String {
        let text = values.enumerated().map { i, v -> String in
            if i < 2 { return String(Int(v)) }
            return v.isNaN ? "nan" : "\(v)"
        }
        return text.joined(separator: ",")
    }

    /// Writes the header and classification `rows` (replacing the file atomically).
    public func rewrite(_ rows: [EpochMetrics]) throws {
        try rewrite(values: rows.map(\.values))
    }

    /// Writes the header and `rows` of values in column order (replacing the file atomically),
    /// e.g. when a run starts or resumes: the file then holds exactly the rows the checkpoint knows.
    public func rewrite(values rows: [[Double]]) throws {
        let text = ([columns.joined(separator: ",")] + rows.map(Self.csvLine)).joined(separator: "\n") + "\n"
        let temporary = path + ".tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        try Self.syncFile(temporary)
        if rename(temporary, path) != 0 {
            throw RunError.io(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Appends one classification row and flushes it to disk.
    public func append(_ row: EpochMetrics) throws { try append(values: row.values) }

    /// Appends one row of values in column order and flushes it to disk.
    public func append(values row: [Double]) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw RunError.io(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((Self.csvLine(row) + "\n").utf8))
        try handle.synchronize()
    }

    /// Reads any task's log back: its header and rows of values in column order.
    public static func readTable(_ path: String) throws -> (columns: [String], rows: [[Double]]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunError.io(path: path, reason: "cannot read")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first else { throw RunError.io(path: path, reason: "no header line") }
        let columns = header.split(separator: ",").map(String.init)
        lines.removeFirst()
        let rows = try lines.enumerated().map { n, line in
            let values = line.split(separator: ",").map { Double(String($0)) }
            guard values.count == columns.count, values.allSatisfy({ $0 != nil }) else {
                throw RunError.io(path: path, reason: "row \(n + 2) does not hold \(columns.count) numbers")
            }
            return values.map { $0! }
        }
        return (columns, rows)
    }

    /// Reads a classification log's rows back (for `spikelab tables` and tests).
    public static func read(_ path: String) throws -> [EpochMetrics] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunError.io(path: path, reason: "cannot read")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first, header == EpochMetrics.columns.joined(separator: ",")[...] else {
            throw RunError.io(path: path, reason: "the header is not \(EpochMetrics.columns.joined(separator: ","))")
        }
        lines.removeFirst()
        return try lines.enumerated().map { n, line in
            let values = line.split(separator: ",").map { Double($0 == "nan" ? "nan" : String($0)) }
            guard values.count == EpochMetrics.columns.count, values.allSatisfy({ $0 != nil }) else {
                throw RunError.io(path: path, reason: "row \(n + 2) does not hold \(EpochMetrics.columns.count) numbers")
            }
            return EpochMetrics(values: values.map { $0! })
        }
    }

    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw RunError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        fsync(fd)
    }
}
