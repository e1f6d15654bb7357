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
