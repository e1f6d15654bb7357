import Foundation
import SpikeData

/// Scores a COCO results file against a COCO instances file: what `spikelab score detection`
/// prints, as text lines and as a JSON object.
public enum DetectionScoring {
    /// Which metric: COCOeval's, or the VOC devkit's with either averaging.
    public enum Metric: String, Sendable, CaseIterable {
        case coco, voc07, voc
    }

    /// The result as printable lines and as JSON-ready values.
    public struct Report {
        public var lines: [String]
        public var json: [String: Any]
    }

    /// Reads both files and evaluates; throws `DataError` or `ScoreError` naming the bad file.
    public static func score(annotations: String, detections: String, metric: Metric) throws -> Report {
        let truth = try COCOInstances.read(contentsOf: annotations)
        let results = try COCOResults.read(contentsOf: detections)
        let dropped: Int
        var report: Report
        switch metric {
        case .coco:
            let evaluation = try COCOEvaluation.evaluate(groundTruth: truth, detections: results, file: detections)
            dropped = evaluation.droppedDetections
            var object: [String: Any] = ["metric": "coco"]
            for (key, value) in zip(COCOEvaluation.statKeys, evaluation.stats) { object[key] = value }
            let names = Dictionary(uniqueKeysWithValues: truth.categories.map { ($0.id, $0.name) })
            let perCategory = evaluation.categoryAP()
            object["per_category_AP"] = truth.categories.map { category -> [String: Any] in
                ["id": category.id, "name": names[category.id] ?? "",
                 "AP": (perCategory[category.id] ?? nil).map { $0 as Any } ?? NSNull()]
            }
            report = Report(lines: evaluation.summaryLines(), json: object)
        case .voc07, .voc:
            let method: VOCEvaluation.Method = metric == .voc07 ? .elevenPoint : .allPoint
            let outcome = try VOCEvaluation.evaluate(groundTruth: truth, detections: results, method: method, file: detections)
            let evaluation = outcome.evaluation
            dropped = outcome.dropped
            let width = max(8, truth.categories.map(\.name.count).max() ?? 0)
            var lines = zip(truth.categories, evaluation.classAP).map { category, ap in
                category.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + (ap.map { String(format: "%.4f", $0) } ?? "  n/a (no non-difficult ground truth)")
            }
            let label = method == .elevenPoint ? "VOC2007 11-point AP@0.5" : "VOC all-point AP@0.5"
            lines.append("mAP (\(label)) = " + (evaluation.mAP.map { String(format: "%.4f", $0) } ?? "n/a"))
            let perClass = zip(truth.categories, zip(evaluation.classAP, evaluation.positives)).map { category, entry in
                ["id": category.id, "name": category.name, "AP": entry.0.map { $0 as Any } ?? NSNull(),
                 "positives": entry.1] as [String: Any]
            }
            report = Report(lines: lines, json: ["metric": metric.rawValue, "mAP": evaluation.mAP.map { $0 as Any } ?? NSNull(),
                                                 "per_class": perClass])
        }
        report.json["images"] = truth.images.count
        report.json["detections"] = results.count
        report.json["dropped_detections"] = dropped
        if dropped > 0 { report.lines.append("(\(dropped) detections of categories absent from the ground truth were dropped)") }
        return report
    }
}
