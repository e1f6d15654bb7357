/// Every problem found in a table file (and in the manifests its rows name), reported together.
///
/// Each error reads like a manifest error, `LOCATION: KEY.PATH: message`, e.g.
/// `experiments/demo/table.yaml:9:15: rows[1].reported: expected a number, or null when the
/// paper's number is unknown, found the quoted text '91.2'`.
public struct TableErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The table file.
    public let path: String
    /// The errors: the table file's in line order, then those of row manifests in row order.
    public let errors: [ManifestError]
    /// Whether the errors are about the run directories on disk (a metrics.csv without the
    /// table's metric) rather than the table file or its manifests.
    public let concernsResults: Bool

    public init(path: String, errors: [ManifestError], concernsResults: Bool = false) {
        self.path = path
        self.errors = errors
        self.concernsResults = concernsResults
    }

    /// Exit code of the command line: 3 when only data is missing or the results on disk are
    /// wrong, else 2.
    public var exitCode: Int32 {
        concernsResults || (!errors.isEmpty && errors.allSatisfy(\.isMissingData)) ? 3 : 2
    }

    /// One line per error, after a count.
    public var description: String {
        let head = errors.count == 1 ? "1 error in the table \(path):" : "\(errors.count) errors in the table \(path):"
        return ([head] + errors.map { "  " + $0.description }).joined(separator: "\n")
    }
}
