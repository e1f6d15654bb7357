import Foundation
import SpikeData

/// Why learning curves could not be drawn.
public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// The directory is not a run directory (no metrics.csv).
    case notARun(path: String)
    /// metrics.csv exists but cannot be read.
    case unreadableMetrics(path: String, reason: String)
    /// The run has not finished an epoch yet.
    case noEpochs(path: String)
    /// The PNG could not be written.
    case png(String)

    public var description: String {
        switch self {
        case let .notARun(path):
            return "\(path) is not a run directory: it has no metrics.csv (make one with `spikelab run MANIFEST --out \(path)`)"
        case let .unreadableMetrics(path, reason):
            return "\(path): \(reason)"
        case let .noEpochs(path):
            return "\(path)/metrics.csv holds no epoch yet; plot again after the first epoch ends"
        case let .png(message):
            return message
        }
    }

    /// Exit code: 2 for a wrong argument, 3 for bad data, 1 when writing failed.
    public var exitCode: Int32 {
        switch self {
        case .notARun: 2
        case .unreadableMetrics, .noEpochs: 3
        case .png: 1
        }
    }
}

/// The learning curves of a run: loss and the task's quality measure per epoch, training and
/// test, side by side. Classification draws top-1 accuracy, segmentation mIoU and pixel
/// accuracy, detection mAP@0.5 and mAP@[.5:.95] — whichever the run's metrics.csv logs.
public enum LearningCurves {
    /// Training curves are solid, test curves dashed; each metric keeps one colour per split.
    static let trainColor = RGBColor.blue
    static let testColor = RGBColor.orange
    /// The second test measure of a panel (pixel accuracy, COCO mAP).
    static let secondTestColor = RGBColor.green

    /// One curve: a metrics.csv column, its legend name, how it is drawn.
    struct Curve {
        let column: String
        let name: String
        let color: RGBColor
        let dashed: Bool
    }

    /// The right-hand panel of one task: its curves (fractions in metrics.csv, drawn in percent)
    /// and the column the chart's title quotes.
    struct QualityPanel {
        let title: String
        let yLabel: String
        let curves: [Curve]
        let headline: String
        let headlinePhrase: String
    }

    /// The quality panels in the order they are tried: the first whose headline column the run
    /// logs is drawn (columns as `RunTaskColumns` names them).
    static let qualityPanels = [
        QualityPanel(title: "Top-1 accuracy", yLabel: "accuracy (%)", curves: [
            Curve(column: "train_top1", name: "train", color: trainColor, dashed: false),
            Curve(column: "test_top1", name: "test", color: testColor, dashed: true),
        ], headline: "test_top1", headlinePhrase: "test accuracy"),
        QualityPanel(title: "mIoU and pixel accuracy", yLabel: "percent", curves: [
            Curve(column: "train_pixel_acc", name: "train pixel acc.", color: trainColor, dashed: false),
            Curve(column: "test_miou", name: "test mIoU", color: testColor, dashed: true),
            Curve(column: "test_pixel_acc", name: "test pixel acc.", color: secondTestColor, dashed: true),
        ], headline: "test_miou", headlinePhrase: "test mIoU"),
        QualityPanel(title: "mAP", yLabel: "mAP (%)", curves: [
            Curve(column: "test_map50", name: "test mAP@0.5", color: testColor, dashed: true),
            Curve(column: "test_map", name: "test mAP@[.5:.95]", color: secondTestColor, dashed: true),
        ], headline: "test_map50", headlinePhrase: "test mAP@0.5"),
    ]

    /// The quality panel a log of `columns` gets; nil when it logs none of the known measures.
    static func qualityPanel(for metrics: LoggedMetrics) -> QualityPanel? {
        qualityPanels.first { metrics.has($0.headline) }
    }

    /// The chart of a classification history (rows of metrics.csv), titled `title`.
    public static func plot(_ history: [EpochMetrics], title: String) -> LinePlot {
        plot(LoggedMetrics(columns: EpochMetrics.columns, rows: history.map(\.values)), title: title)
    }

    /// The chart of any task's metrics.csv, titled `title`: a loss panel, and the task's quality
    /// panel when the log has one of its measures. Epochs the run did not evaluate (`nan`) leave
    /// gaps.
    public static func plot(_ metrics: LoggedMetrics, title: String) -> LinePlot {
        let epochs = metrics.values("epoch") ?? (1...max(metrics.epochCount, 1)).prefix(metrics.epochCount).map(Double.init)
        let markers = metrics.epochCount <= 30
        func series(_ curve: Curve, scale: Double) -> PlotSeries? {
            guard let values = metrics.values(curve.column) else { return nil }
            // With few epochs the points matter more than the lines between them.
            return PlotSeries(name: curve.name, x: epochs, y: values.map { scale * $0 }, color: curve.color,
                              marker: markers ? .circle : nil, dashed: curve.dashed)
        }
        // A quarter epoch of room at both ends, so the first and last markers are drawn whole.
        let first = epochs.first ?? 1, last = epochs.last ?? 1
        let xRange = (first - 0.25)...(last + 0.25)
        let lossCurves = [Curve(column: "train_loss", name: "train", color: trainColor, dashed: false),
                          Curve(column: "test_loss", name: "test", color: testColor, dashed: true)]
        var panels = [PlotPanel(title: "Loss", xLabel: "epoch", yLabel: "loss",
                                series: lossCurves.compactMap { series($0, scale: 1) }, xRange: xRange)]
        if let quality = qualityPanel(for: metrics) {
            panels.append(PlotPanel(title: quality.title, xLabel: "epoch", yLabel: quality.yLabel,
                                    series: quality.curves.compactMap { series($0, scale: 100) }, xRange: xRange))
        }
        return LinePlot(title: title, panels: panels)
    }

    /// Reads `directory/metrics.csv` of any task (and the run's name and profile from
    /// summary.json) and writes the chart to `path` (default `directory/curves.png`); returns the
    /// path written.
    @discardableResult
    public static func write(runDirectory directory: String, to path: String? = nil) throws(PlotError) -> String {
        let metricsPath = directory + "/metrics.csv"
        guard FileManager.default.fileExists(atPath: metricsPath) else { throw .notARun(path: directory) }
        let metrics: LoggedMetrics
        do {
            metrics = try LoggedMetrics.read(metricsPath)
        } catch {
            throw .unreadableMetrics(path: metricsPath, reason: "\(error)")
        }
        guard metrics.epochCount > 0 else { throw .noEpochs(path: directory) }
        let record = RunRecord.read(directory)
        var title = record.name ?? URL(fileURLWithPath: directory).lastPathComponent
        if let profile = record.profile { title += " (profile \(profile))" }
        if let quality = qualityPanel(for: metrics), let value = metrics.values(quality.headline)?.last,
           let epoch = metrics.values("epoch")?.last {
            title += value.isFinite
                ? String(format: ": %@ %.2f%% after epoch %d", quality.headlinePhrase, 100 * value, Int(epoch))
                : String(format: ": epoch %d (not evaluated)", Int(epoch))
        }
        let output = path ?? directory + "/curves.png"
        do {
            try plot(metrics, title: title).write(to: output)
        } catch {
            throw .png("\(error)")
        }
        return output
    }
}
