import Foundation

/// A paper table (`experiments/<paper>/<table>.yaml`): its rows, each an experiment manifest and
/// the number the paper reports for it.
///
/// ```yaml
/// paper: demo
/// table: neurons
/// title: Fashion-MNIST spiking CNN, T = 4
/// metric: test_top1          # the metrics.csv column compared (default test_top1)
/// select: best               # best epoch or final epoch (default best)
/// rows:
///   - row: LIF
///     manifest: fashion-mnist-lif.yaml   # relative to this file
///     reported: 92.1                     # null when the paper's number is unknown
///     comment: optional free text
/// ```
/// `TableFile.load(contentsOf:)` checks every key and value and reports every problem at once
/// (`TableErrors`), naming file, line, key path, the value and what is allowed.
public struct TableFile: Sendable, Equatable {
    /// The table file as given.
    public let path: String
    /// Paper identifier (names the output files).
    public let paper: String
    /// Table identifier within the paper.
    public let table: String
    /// Heading of the Markdown table; nil for none beyond paper and table.
    public let title: String?
    /// The metrics.csv column reported and reproduced.
    public let metric: TableMetric
    /// Which epoch's value is the reproduced number.
    public let select: TableSelection
    /// The rows, in table order.
    public let rows: [TableRow]

    /// `<paper>-<table>`: the base name of the CSV and Markdown files.
    public var outputName: String { "\(paper)-\(table)" }

    public init(path: String, paper: String, table: String, title: String?, metric: TableMetric,
                select: TableSelection, rows: [TableRow]) {
        self.path = path
        self.paper = paper
        self.table = table
        self.title = title
        self.metric = metric
        self.select = select
        self.rows = rows
    }
}

/// One row of a table file.
public struct TableRow: Sendable, Equatable {
    /// The row's label as the paper prints it (unique in its table).
    public let label: String
    /// The manifest as written in the table file (relative to the table file's directory).
    public let manifestAsWritten: String
    /// The manifest's path as usable from the current directory.
    public let manifest: String
    /// The reported number (in the metric's unit: percent for accuracies); nil when unknown.
    public let reported: Double?
    /// The reported number as written (so tables quote the paper's digits).
    public let reportedText: String?
    /// Free text carried into the generated table.
    public let comment: String?
    /// Where the row starts in the table file.
    public let location: ManifestLocation

    public init(label: String, manifestAsWritten: String, manifest: String, reported: Double?,
                reportedText: String?, comment: String?, location: ManifestLocation) {
        self.label = label
        self.manifestAsWritten = manifestAsWritten
        self.manifest = manifest
        self.reported = reported
        self.reportedText = reportedText
        self.comment = comment
        self.location = location
    }
}

/// A metrics.csv column a table can compare.
public enum TableMetric: String, Sendable, CaseIterable {
    case testTop1 = "test_top1"
    case testTop5 = "test_top5"
    case testLoss = "test_loss"
    case trainTop1 = "train_top1"
    case trainLoss = "train_loss"
    case firingRate = "firing_rate"

    /// Accuracies are stored as fractions in metrics.csv and shown (and reported) in percent.
    public var isPercent: Bool { [.testTop1, .testTop5, .trainTop1].contains(self) }

    /// Whether a larger value is better (decides which epoch `select: best` takes).
    public var higherIsBetter: Bool { isPercent }

    /// Whether `select: best` means anything for this metric.
    public var hasBest: Bool { self != .firingRate }

    /// The metric's value in an epoch's row, in table units (percent for accuracies).
    public func value(of row: EpochMetrics) -> Double {
        switch self {
        case .testTop1: 100 * row.testTop1
        case .testTop5: 100 * row.testTop5
        case .testLoss: row.testLoss
        case .trainTop1: 100 * row.trainTop1
        case .trainLoss: row.trainLoss
        case .firingRate: row.firingRate
        }
    }

    /// What values are allowed for a reported number of this metric.
    public var reportedRange: NumberRange {
        switch self {
        case .testTop1, .testTop5, .trainTop1: .between(0, 100)
        case .testLoss, .trainLoss: .atLeast(0)
        case .firingRate: .between(0, 1)
        }
    }

    /// A phrase for table headings: "test top-1 accuracy (%)".
    public var phrase: String {
        switch self {
        case .testTop1: "test top-1 accuracy (%)"
        case .testTop5: "test top-5 accuracy (%)"
        case .testLoss: "test loss"
        case .trainTop1: "training top-1 accuracy (%)"
        case .trainLoss: "training loss"
        case .firingRate: "firing rate (spikes per neuron per step, test set)"
        }
    }

    /// Digits after the point when the value is printed.
    public var decimals: Int { isPercent ? 2 : 4 }
}

/// Which epoch a table row's reproduced number comes from.
public enum TableSelection: String, Sendable, CaseIterable {
    /// The best epoch (highest accuracy, lowest loss) — what papers usually report.
    case best
    /// The last epoch run.
    case final
}
