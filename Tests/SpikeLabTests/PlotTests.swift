import Foundation
import SpikeData
import Testing
@testable import SpikeLab

@Suite("Learning-curve plots")
struct LearningCurvesTests {
    private func runDirectory(epochs: Int) -> String {
        let directory = NSTemporaryDirectory() + "spikelab-plot-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rows = (1...max(epochs, 1)).prefix(epochs).map { e in
            EpochMetrics(epoch: e, step: 100 * e, lr: 0.001, trainLoss: 1.0 / Double(e), trainTop1: 0.6 + 0.05 * Double(e),
                         testLoss: 1.1 / Double(e), testTop1: 0.58 + 0.05 * Double(e), testTop5: 0.99, firingRate: 0.1,
                         epochSeconds: 10, imagesPerSecond: 100)
        }
        try! MetricsLog(path: directory + "/metrics.csv").rewrite(Array(rows))
        let summary: [String: Any] = ["name": "demo-run", "profile": "cpu", "status": "finished",
                                      "epochs_total": epochs, "epochs_completed": epochs]
        try! JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: directory + "/summary.json"))
        return directory
    }

    @Test("plot writes curves.png: a valid PNG of two 800×560 panels under a title band, with both curve colours")
    func writesPNG() throws {
        let directory = runDirectory(epochs: 5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try LearningCurves.write(runDirectory: directory)
        #expect(path == directory + "/curves.png")
        let image = try PNGImage(contentsOf: path)
        // Two panels of 400×280 design units at scale 2, plus the title band (2·8 + 7)·2 = 46.
        #expect(image.width == 1600 && image.height == 560 + 46)
        #expect(image.channels == 3)
        var colours = Set<RGBColor>()
        for y in 0..<image.height {
            for x in 0..<image.width {
                colours.insert(RGBColor(image[x: x, y: y, channel: 0], image[x: x, y: y, channel: 1], image[x: x, y: y, channel: 2]))
            }
        }
        #expect(colours.contains(LearningCurves.trainColor) && colours.contains(LearningCurves.testColor))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    @Test("the chart has a loss and an accuracy panel, train and test each, accuracy in percent")
    func panels() {
        let rows = [EpochMetrics(epoch: 1, step: 1, lr: 0.1, trainLoss: 0.9, trainTop1: 0.7, testLoss: 1.0, testTop1: 0.65,
                                 testTop5: 1, firingRate: 0.1, epochSeconds: 1, imagesPerSecond: 1)]
        let plot = LearningCurves.plot(rows, title: "t")
        #expect(plot.panels.map { $0.series.map(\.name) } == [["train", "test"], ["train", "test"]])
        #expect(plot.panels[0].series.map(\.y) == [[0.9], [1.0]])
        #expect(plot.panels[1].series.map(\.y) == [[70.0], [65.0]])
        #expect(plot.panels[1].series.map(\.dashed) == [false, true])
    }

    /// A run directory whose metrics.csv is `text` as written (any task's columns).
    private func runDirectory(metricsCSV text: String) -> String {
        let directory = NSTemporaryDirectory() + "spikelab-plot-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try! text.write(toFile: directory + "/metrics.csv", atomically: true, encoding: .utf8)
        return directory
    }

    @Test("a segmentation run is drawn with its loss and a panel of train pixel accuracy, test mIoU and test pixel accuracy in percent")
    func segmentationPanels() throws {
        let directory = runDirectory(metricsCSV: """
            epoch,step,lr,train_loss,train_pixel_acc,test_loss,test_miou,test_pixel_acc,firing_rate,epoch_seconds,images_per_s
            1,10,0.001,2.5,0.6,2.4,0.05,0.7,0.1,3,10
            2,20,0.001,1.5,0.75,1.6,0.125,0.8,0.1,3,10

            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plot = LearningCurves.plot(try LoggedMetrics.read(directory + "/metrics.csv"), title: "t")
        #expect(plot.panels.map(\.title) == ["Loss", "mIoU and pixel accuracy"])
        #expect(plot.panels[0].series.map(\.y) == [[2.5, 1.5], [2.4, 1.6]])
        #expect(plot.panels[1].series.map(\.name) == ["train pixel acc.", "test mIoU", "test pixel acc."])
        #expect(plot.panels[1].series.map(\.y) == [[60, 75], [5, 12.5], [70, 80]])
        #expect(plot.panels[1].series.map(\.x) == [[1, 2], [1, 2], [1, 2]])
        let path = try LearningCurves.write(runDirectory: directory)
        #expect(try PNGImage(contentsOf: path).width == 1600)
    }

    @Test("a detection run is drawn with mAP@0.5 and mAP@[.5:.95]; an epoch logged as nan leaves a gap rather than failing")
    func detectionPanels() throws {
        let directory = runDirectory(metricsCSV: """
            epoch,step,lr,train_loss,test_loss,test_map50,test_map,firing_rate,epoch_seconds,images_per_s
            1,19,0.0001,42.1,42.3,nan,nan,nan,141,2.1
            2,38,0.0001,30.5,31.0,0.0125,0.005,nan,140,2.2

            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metrics = try LoggedMetrics.read(directory + "/metrics.csv")
        let plot = LearningCurves.plot(metrics, title: "t")
        #expect(plot.panels.map(\.title) == ["Loss", "mAP"])
        let map50 = plot.panels[1].series[0].y, map = plot.panels[1].series[1].y
        #expect(map50[0].isNaN && map50[1] == 1.25 && map[0].isNaN && map[1] == 0.5)
        let path = try LearningCurves.write(runDirectory: directory)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("a log with none of the known quality columns gets the loss panel alone")
    func lossOnly() {
        let metrics = LoggedMetrics(columns: ["epoch", "train_loss", "test_loss"], rows: [[1, 0.5, 0.6]])
        let plot = LearningCurves.plot(metrics, title: "t")
        #expect(plot.panels.map(\.title) == ["Loss"])
    }

    @Test("a directory without metrics.csv or without epochs is refused with exit codes 2 and 3, and --out is honoured")
    func refusals() throws {
        let empty = NSTemporaryDirectory() + "spikelab-plot-" + UUID().uuidString
        #expect(throws: PlotError.notARun(path: empty)) { try LearningCurves.write(runDirectory: empty) }
        #expect(PlotError.notARun(path: empty).exitCode == 2)
        let none = runDirectory(epochs: 0)
        defer { try? FileManager.default.removeItem(atPath: none) }
        #expect(throws: PlotError.noEpochs(path: none)) { try LearningCurves.write(runDirectory: none) }
        let run = runDirectory(epochs: 2)
        defer { try? FileManager.default.removeItem(atPath: run) }
        let out = run + "/elsewhere.png"
        #expect(try LearningCurves.write(runDirectory: run, to: out) == out)
        #expect(FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: run + "/curves.png"))
    }
}
