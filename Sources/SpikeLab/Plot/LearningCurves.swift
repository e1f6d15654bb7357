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

/// The learning curves of a run: loss and accuracy per epoch, training and test, side by side.
public enum LearningCurves {
    /// Training curves are solid, test curves dashed; each metric keeps one colour per split.
    static let trainColor = RGBColor.blue
    static let testColor = RGBColor.orange

    /// The chart of `history` (rows of metrics.csv), titled `title`.
    public static func plot(_ history: [EpochMetrics], title: String) -> LinePlot {
        let epochs = history.map { Double($0.epoch) }
        func series(_ name: String, _ values: [Double], color: RGBColor, dashed: Bool) -> PlotSeries {
            // With few epochs the points matter more than the lines between them.
            PlotSeries(name: name, x: epochs, y: values, color: color, marker: history.count <= 30 ? .circle : nil,
                       dashed: dashed)
        }
        // A quarter epoch of room at both ends, so the first and last markers are drawn whole.
        let first = epochs.first ?? 1, last = epochs.last ?? 1
        let xRange = (first - 0.25)...(last + 0.25)
        let loss = PlotPanel(title: "Loss (cross-entropy)", xLabel: "epoch", yLabel: "loss", series: [
            series("train", history.map(\.trainLoss), color: trainColor, dashed: false),
            series("test", history.map(\.testLoss), color: testColor, dashed: true),
        ], xRange: xRange)
        let accuracy = PlotPanel(title: "Top-1 accuracy", xLabel: "epoch", yLabel: "accuracy (%)", series: [
            series("train", history.map { 100 * $0.trainTop1 }, color: trainColor, dashed: false),
            series("test", history.map { 100 * $0.testTop1 }, color: testColor, dashed: true),
        ], xRange: xRange)
        return LinePlot(title: title, panels: [loss, accuracy])
    }

    /// Reads `directory/metrics.csv` (and the run's name and profile from summary.json) and
    /// writes the chart to `path` (default `directory/curves.png`); returns the path written.
    @discardableResult
    public static func write(runDirectory directory: String, to path: String? = nil) throws(PlotError) -> String {
        let metricsPath = directory + "/metrics.csv"
        guard FileManager.default.fileExists(atPath: metricsPath) else { throw .notARun(path: directory) }
        let history: [EpochMetrics]
        do {
            history = try MetricsLog.read(metricsPath)
        } catch {
            throw .unreadableMetrics(path: metricsPath, reason: "\(error)")
        }
        guard !history.isEmpty else { throw .noEpochs(path: directory) }
        let record = RunRecord.read(directory)
        var title = record.name ?? URL(fileURLWithPath: directory).lastPathComponent
        if let profile = record.profile { title += " (profile \(profile))" }
        if let final = history.last {
            title += String(format: ": test accuracy %.2f%% after epoch %d", 100 * final.testTop1, final.epoch)
        }
        let output = path ?? directory + "/curves.png"
        do {
            try plot(history, title: title).write(to: output)
        } catch {
            throw .png("\(error)")
        }
        return output
    }
}
