import Foundation

/// A paper table (`experiments/<paper>/<table>.yaml`): its rows, each an experiment manifest and
/// the number the paper reports for it.
///
/// ```yaml
/// paper: demo
/// table: neurons
/// title: Fashion-MNIST spiking CNN, T = 4
/// metric: test_top1          # the metrics.csv column compared (default test_top1; also
///                            # test_map50, test_map, test_miou, test_pixel_acc, ...: TableMetric)
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

/// A metrics.csv column a table can compare: the classification columns, detection's mAPs and
/// segmentation's mIoU and pixel accuracy, and the columns every task logs (losses, firing rate).
public enum TableMetric: String, Sendable, CaseIterable {
    case testTop1 = "test_top1"
    case testTop5 = "test_top5"
    case testLoss = "test_loss"
    case trainTop1 = "train_top1"
    case trainLoss = "train_loss"
    case firingRate = "firing_rate"
    /// Detection: VOC all-point AP@0.5 averaged over classes.
    case testMAP50 = "test_map50"
    /// Detection: COCO AP averaged over IoU 0.50:0.05:0.95 and classes.
    case testMAP = "test_map"
    /// Segmentation: mean intersection over union on the test split.
    case testMIoU = "test_miou"
    /// Segmentation: correct labelled pixels / labelled pixels on the test split.
    case testPixelAcc = "test_pixel_acc"
    /// Segmentation: pixel accuracy over the training epoch.
    case trainPixelAcc = "train_pixel_acc"

    /// The metrics.csv column.
    public var column: String { rawValue }

    /// Accuracies, mAPs and mIoU are stored as fractions in metrics.csv and shown (and
    /// reported) in percent, as the papers print them.
    public var isPercent: Bool {
        switch self {
        case .testLoss, .trainLoss, .firingRate: false
        default: true
        }
    }

    /// Whether a larger value is better (decides which epoch `select: best` takes).
    public var higherIsBetter: Bool { isPercent }

    /// Whether `select: best` means anything for this metric.
    public var hasBest: Bool { self != .firingRate }

    /// A metrics.csv value in table units (percent for accuracies, mAPs and mIoU).
    public func tableValue(_ logged: Double) -> Double { isPercent ? 100 * logged : logged }

    /// What values are allowed for a reported number of this metric.
    public var reportedRange: NumberRange {
        switch self {
        case .testLoss, .trainLoss: .atLeast(0)
        case .firingRate: .between(0, 1)
        default: .between(0, 100)
        }
    }

    /// The tasks whose runs log this column (docs/segmentation.md, docs/detection.md).
    public var tasks: [Experiment.Task] {
        Experiment.Task.allCases.filter { RunTaskColumns.all(for: $0).contains(column) }
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
        case .testMAP50: "test mAP@0.5 (VOC all-point AP, %)"
        case .testMAP: "test mAP@[.5:.95] (COCO AP, %)"
        case .testMIoU: "test mIoU (%)"
        case .testPixelAcc: "test pixel accuracy (%)"
        case .trainPixelAcc: "training pixel accuracy (%)"
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
