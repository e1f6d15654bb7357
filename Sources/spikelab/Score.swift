import ArgumentParser
import Foundation
import SpikeLab

/// `spikelab score …`: task metrics of any predictions, independent of a run.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predictions: COCO/VOC detection mAP, segmentation mIoU (docs/metrics.md).",
        subcommands: [Detection.self, Segmentation.self])
}

extension Score {
    /// `spikelab score detection`: COCOeval or VOC devkit mAP of a COCO results file.
    struct Detection: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "mAP of COCO-format detections against COCO instances ground truth.",
            discussion: """
                --annotations: a COCO instances JSON (images, annotations, categories). --detections: \
                a COCO results JSON list [{image_id, category_id, bbox: [x, y, w, h], score}]. \
                --metric coco (default) prints the 12 COCOeval summary lines (AP@[.50:.95], AP50, AP75, \
                small/medium/large, AR@1/10/100, ...); voc07 and voc print the VOC devkit AP@0.5 per class \
                (11-point, or all-point area as VOC2010+) and its mean; with voc metrics, iscrowd boxes \
                are treated as VOC 'difficult'. Exit codes: 0 done, 2 bad arguments, 3 bad or missing files.
                """)

        @Option(help: "COCO instances JSON with the ground truth.")
        var annotations: String

        @Option(help: "COCO results JSON with the detections.")
        var detections: String

        @Option(help: "coco (COCOeval bbox), voc07 (11-point AP@0.5) or voc (all-point AP@0.5).")
        var metric: String = "coco"

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func validate() throws {
            guard DetectionScoring.Metric(rawValue: metric) != nil else {
                throw ValidationError("--metric must be coco, voc07 or voc, got '\(metric)'")
            }
        }

        func run() throws {
            let report: DetectionScoring.Report
            do {
                report = try DetectionScoring.score(annotations: annotations, detections: detections,
                                                    metric: DetectionScoring.Metric(rawValue: metric)!)
            } catch {
                throw fail(error)
            }
            if json { print(encodeJSON(report.json)) } else { report.lines.forEach { print($0) } }
        }
    }

    /// `spikelab score segmentation`: confusion matrix, mIoU and accuracies of mask folders.
    struct Segmentation: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "mIoU, pixel accuracy and mean class accuracy of predicted masks.",
            discussion: """
                Pairs PNG masks of --truth and --pred by file name (palette PNGs read as indices, 8-bit \
                grayscale PNGs as values); truth pixels of 255 are void and not counted. Every truth mask \
                needs a prediction of the same name and size and vice versa. \
                Exit codes: 0 done, 2 bad arguments, 3 bad, missing or mismatched files.
                """)

        @Option(help: "Folder of truth masks (e.g. VOC2012/SegmentationClass).")
        var truth: String

        @Option(help: "Folder of predicted masks with the same file names.")
        var pred: String

        @Option(help: "Number of classes, background included (1…255).")
        var classes: Int = 21

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func validate() throws {
            guard (1...255).contains(classes) else { throw ValidationError("--classes must be 1…255 (255 is void), got \(classes)") }
        }

        func run() throws {
            let outcome: (matrix: ConfusionMatrix, images: Int)
            do {
                outcome = try SegmentationScoring.score(truthDirectory: truth, predictedDirectory: pred, classCount: classes)
            } catch {
                throw fail(error)
            }
            let m = outcome.matrix
            func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
            if json {
                print(encodeJSON(["images": outcome.images, "pixels": m.total, "classes": classes,
                                  "mIoU": value(m.meanIoU), "pixel_accuracy": value(m.pixelAccuracy),
                                  "mean_class_accuracy": value(m.meanClassAccuracy),
                                  "class_IoU": m.classIoU.map(value), "class_accuracy": m.classAccuracy.map(value),
                                  "confusion": (0..<classes).map { t in Array(m.counts[t * classes..<(t + 1) * classes]) }]))
            } else {
                func shown(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
                print("images \(outcome.images), counted pixels \(m.total)")
                print("class  IoU     accuracy")
                for c in 0..<classes {
                    print(String(c).padding(toLength: 5, withPad: " ", startingAt: 0) + "  "
                          + shown(m.classIoU[c]).padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + shown(m.classAccuracy[c]))
                }
                print("mIoU = \(shown(m.meanIoU)), pixel accuracy = \(shown(m.pixelAccuracy)), mean class accuracy = \(shown(m.meanClassAccuracy))")
            }
        }
    }
}

/// Prints a scoring error and returns exit code 3 (bad or missing data).
private func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(ExitStatus.badData)
}

private func encodeJSON(_ object: [String: Any]) -> String {
    // Plain JSON values only, so serialisation cannot fail.
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
