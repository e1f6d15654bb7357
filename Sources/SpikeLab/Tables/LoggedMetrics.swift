import Foundation

/// A run's `metrics.csv` as columns and rows of numbers, whatever the task wrote
/// (classification, detection, segmentation: `RunTaskColumns.all`), so a table can compare any
/// of its columns.
public struct LoggedMetrics: Sendable, Equatable {
    /// The header, in column order.
    public let columns: [String]
    /// One row per epoch, values in column order (NaN where the run logged `nan`).
    public let rows: [[Double]]

    public init(columns: [String], rows: [[Double]]) {
        precondition(rows.allSatisfy { $0.count == columns.count }, "every metrics row has one value per column")
        self.columns = columns
        self.rows = rows
    }

    /// No columns, no epochs (a run directory without a readable metrics.csv).
    public static let empty = LoggedMetrics(columns: [], rows: [])

    /// Reads `path` (any task's metrics.csv).
    public static func read(_ path: String) throws -> LoggedMetrics {
        let table = try MetricsLog.readTable(path)
        return LoggedMetrics(columns: table.columns, rows: table.rows)
    }

    /// Epochs logged.
    public var epochCount: Int { rows.count }

    /// Whether the log has `column`.
    public func has(_ column: String) -> Bool { columns.contains(column) }

    /// The values of `column`, one per epoch; nil when the log has no such column.
    public func values(_ column: String) -> [Double]? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return rows.map { $0[index] }
    }
}
