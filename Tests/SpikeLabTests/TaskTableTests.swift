import Foundation
import Testing
@testable import SpikeLab

/// A temporary folder with detection and segmentation manifests, a table file over them, and
/// hand-written run directories (metrics.csv as the detection and segmentation tasks write it).
private final class TaskTableFixture {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "spikelab-task-tables-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        write("det.yaml", """
        name: det-lif
        data: {loader: voc_detection, root: datasets/demo/voc, batch_size: 16}
        model: {arch: yolo_tiny, num_classes: 10}
        neuron: {variant: lif, time_steps: 4}
        training: {epochs: 3, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {detection: {image_size: 128}}

        """)
        write("det-ann.yaml", """
        extends: det.yaml
        name: det-ann
        neuron: {variant: relu, time_steps: 1}
        training: {mode: ann}

        """)
        write("seg.yaml", """
        name: seg-lif
        data: {loader: voc_segmentation, root: datasets/demo/voc, batch_size: 8, resize: 64}
        model: {arch: fcn, num_classes: 11}
        neuron: {variant: lif, time_steps: 4}
        training: {epochs: 3, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {model: {width: 0.25}}

        """)
        write("cls.yaml", """
        name: cls-lif
        data: {loader: fashion_mnist, batch_size: 32}
        model: {arch: spiking_cnn_28}
        training: {epochs: 3, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {data: {subset: 100}}

        """)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = directory + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A table over `rows` (label, manifest) comparing `metric`.
    func table(metric: String, select: String = "best", rows: [(String, String, String)]) throws(TableErrors) -> TableFile {
        let lines = rows.map { "  - {row: \($0.0), manifest: \($0.1), reported: \($0.2)}" }.joined(separator: "\n")
        write("table.yaml", "paper: p\ntable: t\nmetric: \(metric)\nselect: \(select)\nrows:\n\(lines)\n")
        return try TableFile.load(contentsOf: directory + "/table.yaml")
    }

    /// A finished run: `metrics` as written (header and rows), and summary.json saying so.
    func run(_ directory: String, name: String, metrics: String, epochs: Int, energy: Bool = false) {
        write(String(directory.dropFirst(self.directory.count + 1)) + "/metrics.csv", metrics)
        var summary: [String: Any] = ["name": name, "status": "finished", "profile": "cpu",
                                      "epochs_total": epochs, "epochs_completed": epochs]
        if energy { summary["energy"] = ["energy_pj_per_sample": 13_240_000.0, "ann_energy_pj_per_sample": 181_388_000.0] }
        try! JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: directory + "/summary.json"))
    }
}

/// Detection metrics.csv of three epochs: mAP@0.5 best at epoch 2 (0.0171), last 0.0125.
private let detectionLog = """
    epoch,step,lr,train_loss,test_loss,test_map50,test_map,firing_rate,epoch_seconds,images_per_s
    1,19,0.001,47.17,47.86,0,0,2e-05,60.5,5
    2,38,0.001,41.57,46.81,0.0171,0.0042,0.056,61,5
    3,57,0.001,34.29,34.09,0.0125,0.0036,0.069,59,5

    """

/// The ANN twin's: firing rate nan, as an ANN logs it.
private let detectionANNLog = """
    epoch,step,lr,train_loss,test_loss,test_map50,test_map,firing_rate,epoch_seconds,images_per_s
    1,19,0.001,40.1,41.2,0.0311,0.0088,nan,30,10
    2,38,0.001,35.2,36.5,0.0254,0.0091,nan,30,10
    3,57,0.001,30.3,31.4,0.0406,0.0105,nan,30,10

    """

/// Segmentation metrics.csv: mIoU best at epoch 2 (0.1183), last 0.1164.
private let segmentationLog = """
    epoch,step,lr,train_loss,train_pixel_acc,test_loss,test_miou,test_pixel_acc,firing_rate,epoch_seconds,images_per_s
    1,38,0.001,0.9,0.8,0.8,0.0727,0.7995,0.05,7,40
    2,76,0.001,0.6,0.82,0.61,0.1183,0.8188,0.07,7,40
    3,114,0.001,0.58,0.827,0.614,0.1164,0.8192,0.069,7,40

    """

@Suite("Tables over detection and segmentation runs: mAP, mIoU and pixel accuracy from metrics.csv")
struct TaskTableTests {
    @Test("a detection table shows the best epoch's mAP@0.5 in percent, blank firing rate for the ANN, and its energy")
    func detectionBest() throws {
        let fixture = TaskTableFixture()
        let table = try fixture.table(metric: "test_map50", rows: [("ANN", "det-ann.yaml", "null"), ("LIF", "det.yaml", "2.5")])
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
        fixture.run(runs[0].directory, name: "det-ann", metrics: detectionANNLog, epochs: 3)
        fixture.run(runs[1].directory, name: "det-lif", metrics: detectionLog, epochs: 3, energy: true)
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines.map(\.status) == [.done, .done])
        #expect(report.lines.map(\.reproduced) == [100 * 0.0406, 100 * 0.0171])
        let csv = TableWriter.csv(report).split(separator: "\n").map(String.init)
        #expect(csv[1].hasPrefix("ANN,,4.06,,test_map50,best,cpu,done,3/3,voc_detection at datasets/demo/voc,,"))
        #expect(csv[1].hasSuffix(",,"))
        #expect(csv[2].hasPrefix("LIF,2.5,1.71,-0.79,test_map50,best,cpu,done,3/3,"))
        #expect(csv[2].hasSuffix(",13.2400,13.700"))
        let markdown = TableWriter.markdown(report)
        #expect(markdown.contains("Best-epoch test mAP@0.5 (VOC all-point AP, %); profile `cpu`."))
        #expect(markdown.contains("| LIF | 2.5 | 1.71 | -0.79 | cpu | done | 3/3 | 13.24 | 13.70× |"))
        #expect(markdown.contains("| ANN | — | 4.06 | — | cpu | done | 3/3 | — | — |"))

        // The same runs in a firing-rate table: the ANN's nan is blank, the LIF's last epoch shown.
        let rates = try fixture.table(metric: "firing_rate", select: "final", rows: [("ANN", "det-ann.yaml", "null"), ("LIF", "det.yaml", "null")])
        let rateReport = try TableReport(table: rates, runs: try rates.runs(profile: "cpu", resultsRoot: fixture.directory + "/R"), profile: "cpu")
        #expect(rateReport.lines.map(\.reproduced) == [nil, 0.069])
        #expect(TableWriter.csv(rateReport).split(separator: "\n")[2].hasPrefix("LIF,,0.0690,,firing_rate,final,"))
    }

    @Test("select final takes the last epoch's COCO mAP, and test_map is read, not test_map50")
    func detectionFinal() throws {
        let fixture = TaskTableFixture()
        let table = try fixture.table(metric: "test_map", select: "final", rows: [("LIF", "det.yaml", "0.5")])
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
        fixture.run(runs[0].directory, name: "det-lif", metrics: detectionLog, epochs: 3)
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines[0].reproduced == 100 * 0.0036)
        #expect(TableWriter.csv(report).split(separator: "\n")[1].hasPrefix("LIF,0.5,0.36,-0.14,test_map,final,"))
        #expect(TableWriter.markdown(report).contains("Final-epoch test mAP@[.5:.95] (COCO AP, %)"))
    }

    @Test("a segmentation table reads mIoU and pixel accuracy, best and final, in percent")
    func segmentation() throws {
        let fixture = TaskTableFixture()
        for (metric, select, expected, text) in [("test_miou", "best", 100 * 0.1183, "11.83"), ("test_miou", "final", 100 * 0.1164, "11.64"),
                                                 ("test_pixel_acc", "best", 100 * 0.8192, "81.92"),
                                                 ("train_pixel_acc", "final", 100 * 0.827, "82.70")] {
            let table = try fixture.table(metric: metric, select: select, rows: [("LIF", "seg.yaml", "null")])
            let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
            fixture.run(runs[0].directory, name: "seg-lif", metrics: segmentationLog, epochs: 3)
            let report = try TableReport(table: table, runs: runs, profile: "cpu")
            #expect(report.lines[0].reproduced == expected, "\(metric) \(select)")
            #expect(TableWriter.csv(report).split(separator: "\n")[1].hasPrefix("LIF,,\(text),,\(metric),\(select),cpu,done,3/3,voc_segmentation at datasets/demo/voc,"), "\(metric) \(select)")
        }
    }

    @Test("a reported mIoU above 100 is refused: the mAPs and mIoU are percentages like accuracies")
    func percentRange() throws {
        let fixture = TaskTableFixture()
        #expect(try fixture.table(metric: "test_miou", rows: [("LIF", "seg.yaml", "63.2")]).rows[0].reported == 63.2)
        do {
            _ = try fixture.table(metric: "test_miou", rows: [("LIF", "seg.yaml", "120")])
            Issue.record("120 % mIoU was accepted")
        } catch {
            #expect(error.errors.map(\.message) == ["120 is out of range; allowed: a number 0 <= x <= 100 (percent), or null when the paper's number is unknown"])
        }
    }

    @Test("a row whose task does not log the table's metric is refused before any run, naming the row, the metric and the columns its run would log")
    func wrongTaskRefusedAtLoad() throws {
        let fixture = TaskTableFixture()
        let table = try fixture.table(metric: "test_miou", rows: [("seg", "seg.yaml", "null"), ("det", "det.yaml", "null"), ("cls", "cls.yaml", "null")])
        do {
            _ = try table.runs(profile: "cpu")
            Issue.record("a detection and a classification row in an mIoU table were accepted")
        } catch {
            #expect(error.exitCode == 2)
            let lines = error.description.replacingOccurrences(of: fixture.directory, with: "DIR").split(separator: "\n").map(String.init)
            #expect(lines == [
                "2 errors in the table DIR/table.yaml:",
                "  DIR/table.yaml:7:5: rows[1].manifest: 'det.yaml' (row 'det') is a detection run, whose metrics.csv has no column test_miou, the table's metric (only segmentation runs log it); its columns: epoch, step, lr, train_loss, test_loss, test_map50, test_map, firing_rate, epoch_seconds, images_per_s. Give this row a table whose metric is one of those columns",
                "  DIR/table.yaml:8:5: rows[2].manifest: 'cls.yaml' (row 'cls') is a classification run, whose metrics.csv has no column test_miou, the table's metric (only segmentation runs log it); its columns: epoch, step, lr, train_loss, train_top1, test_loss, test_top1, test_top5, firing_rate, epoch_seconds, images_per_s. Give this row a table whose metric is one of those columns",
            ])
        }
    }

    @Test("a run whose metrics.csv lacks the table's metric is an error naming the table file, the row, the metric and the columns the file has")
    func missingColumnInResults() throws {
        let fixture = TaskTableFixture()
        let table = try fixture.table(metric: "test_map50", rows: [("LIF", "det.yaml", "null")])
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
        // A segmentation log where the detection run should be (e.g. a run directory reused by hand).
        fixture.run(runs[0].directory, name: "det-lif", metrics: segmentationLog, epochs: 3)
        do {
            _ = try TableReport(table: table, runs: runs, profile: "cpu")
            Issue.record("a metrics.csv without test_map50 gave a table")
        } catch {
            #expect(error.exitCode == 3)
            #expect(error.description.replacingOccurrences(of: fixture.directory, with: "DIR") == """
                1 error in the table DIR/table.yaml:
                  DIR/table.yaml:6:5: rows[0]: row 'LIF': DIR/R/det-lif/cpu/metrics.csv has no column test_map50, the table's metric; \
                its columns: epoch, step, lr, train_loss, train_pixel_acc, test_loss, test_miou, test_pixel_acc, firing_rate, epoch_seconds, \
                images_per_s. Is it another task's run, or from an older build? Remove the run directory and run the row again
                """)
        }
    }

    @Test("the columns a task's run writes are known before it runs and match the task objects")
    func taskColumns() {
        #expect(RunTaskColumns.all(for: .classification) == EpochMetrics.columns)
        #expect(RunTaskColumns.all(for: .segmentation) == RunTaskColumns.all(SegmentationTask(classCount: 11)))
        #expect(RunTaskColumns.all(for: .detection) == ["epoch", "step", "lr", "train_loss", "test_loss", "test_map50", "test_map",
                                                        "firing_rate", "epoch_seconds", "images_per_s"])
        #expect(TableMetric.testMAP50.tasks == [.detection] && TableMetric.testMIoU.tasks == [.segmentation])
        #expect(TableMetric.testLoss.tasks == [.classification, .detection, .segmentation])
    }
}
