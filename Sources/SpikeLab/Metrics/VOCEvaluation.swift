import Foundation
import SpikeData

/// One scored box for VOC evaluation: which image (index into the targets), which class.
public struct VOCDetection: Sendable, Equatable {
    public var imageIndex: Int
    public var classIndex: Int
    public var box: BoundingBox
    public var score: Double

    public init(imageIndex: Int, classIndex: Int, box: BoundingBox, score: Double) {
        self.imageIndex = imageIndex
        self.classIndex = classIndex
        self.box = box
        self.score = score
    }
}

/// Pascal VOC detection AP at IoU ≥ 0.5, as the VOC devkit's `VOCevaldet.m` computes it.
///
/// Per class, detections are taken by decreasing score (ties in input order, as MATLAB's
/// `sort`); each goes to the ground-truth box of its image and class it overlaps most
/// (first of equals, boxes not overlapping are skipped); with overlap ≥ 0.5 it is a true
/// positive if that box is not yet taken, a false positive if it is, and neither if the box
/// is `difficult`; otherwise a false positive. Difficult boxes do not count as positives.
/// Boxes are continuous pixel coordinates (`BoundingBox`); the devkit's inclusive-pixel
/// "+1" IoU on VOC's 1-based coordinates equals the plain IoU of the boxes read this way.
public struct VOCEvaluation: Sendable {
    /// How precision is averaged over recall.
    public enum Method: String, Sendable, CaseIterable {
        /// VOC2007: the mean of the interpolated precision at recall 0, 0.1, …, 1.
        case elevenPoint = "voc07"
        /// VOC2010 and later: the area under the interpolated precision-recall curve.
        case allPoint = "voc"
    }

    /// AP per class; nil for a class with no non-difficult ground truth (excluded from `mAP`).
    public let classAP: [Double?]
    /// Non-difficult ground-truth boxes per class.
    public let positives: [Int]
    /// The mean of the classes' AP that are not nil (nil when none is).
    public let mAP: Double?

    /// Scores `detections` against `targets` (whose `classes` lie in `0..<classCount`).
    public static func evaluate(targets: [DetectionTarget], detections: [VOCDetection], classCount: Int,
                                method: Method, minimumOverlap: Double = 0.5) -> VOCEvaluation {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (n, detection) in detections.enumerated() {
            precondition(targets.indices.contains(detection.imageIndex), "detection \(n): no image \(detection.imageIndex)")
            precondition((0..<classCount).contains(detection.classIndex), "detection \(n): no class \(detection.classIndex)")
            byClass[detection.classIndex].append(n)
        }
        var classAP: [Double?] = []
        var positives: [Int] = []
        for c in 0..<classCount {
            // Ground truth of this class per image.
            var boxes = [[BoundingBox]](repeating: [], count: targets.count)
            var difficult = [[Bool]](repeating: [], count: targets.count)
            var count = 0
            for (i, target) in targets.enumerated() {
                for j in 0..<target.count where Int(target.classes[j]) == c {
                    boxes[i].append(target.boxes[j])
                    difficult[i].append(target.difficult[j])
                    if !target.difficult[j] { count += 1 }
                }
            }
            positives.append(count)
            var taken = boxes.map { [Bool](repeating: false, count: $0.count) }
            let ordered = byClass[c].enumerated().sorted {
                detections[$0.element].score > detections[$1.element].score
                    || (detections[$0.element].score == detections[$1.element].score && $0.offset < $1.offset)
            }.map(\.element)
            var tp: [Double] = [], fp: [Double] = []
            for n in ordered {
                let detection = detections[n]
                let i = detection.imageIndex
                var best = -Double.infinity, match = -1
                for (j, truth) in boxes[i].enumerated() {
                    guard let overlap = vocOverlap(detection.box, truth), overlap > best else { continue }
                    best = overlap
                    match = j
                }
                if match >= 0 && best >= minimumOverlap {
                    if difficult[i][match] { tp.append(0); fp.append(0); continue }
                    if taken[i][match] { tp.append(0); fp.append(1) } else { tp.append(1); fp.append(0); taken[i][match] = true }
                } else {
                    tp.append(0); fp.append(1)
                }
            }
            guard count > 0 else { classAP.append(nil); continue }
            var recall: [Double] = [], precision: [Double] = []
            var tpSum = 0.0, fpSum = 0.0
            for (t, f) in zip(tp, fp) {
                tpSum += t
                fpSum += f
                recall.append(tpSum / Double(count))
                // 0/0 (only difficult hits so far) reads as 0: it never raises the envelope.
                precision.append(tpSum + fpSum > 0 ? tpSum / (tpSum + fpSum) : 0)
            }
            classAP.append(averagePrecision(recall: recall, precision: precision, method: method))
        }
        let valid = classAP.compactMap { $0 }
        return VOCEvaluation(classAP: classAP, positives: positives,
                             mAP: valid.isEmpty ? nil : valid.reduce(0, +) / Double(valid.count))
    }

    /// AP of a precision-recall curve (points in detection order), as `VOCevaldet.m` (VOC2007
    /// 11-point) and `VOCap.m` (VOC2010+ area) compute it.
    public static func averagePrecision(recall: [Double], precision: [Double], method: Method) -> Double {
        precondition(recall.count == precision.count, "one precision per recall")
        switch method {
        case .elevenPoint:
            var ap = 0.0
            for step in 0...10 {
                let threshold = Double(step) * 0.1
                let reached = zip(recall, precision).filter { $0.0 >= threshold }.map(\.1)
                ap += (reached.max() ?? 0) / 11
            }
            return ap
        case .allPoint:
            let mrec = [0] + recall + [1]
            var mpre = [0] + precision + [0]
            for i in stride(from: mpre.count - 2, through: 0, by: -1) { mpre[i] = max(mpre[i], mpre[i + 1]) }
            var ap = 0.0
            for i in 1..<mrec.count where mrec[i] != mrec[i - 1] { ap += (mrec[i] - mrec[i - 1]) * mpre[i] }
            return ap
        }
    }
}

extension VOCEvaluation {
    /// Scores COCO-format ground truth and results with the VOC rule. COCO files have no
    /// `difficult` flag; `iscrowd: 1` boxes stand for VOC's difficult ones (neither hit nor
    /// miss), as VOC-to-COCO converters write them. Classes are the categories in id order;
    /// detections of other categories are dropped and counted in `dropped`.
    public static func evaluate(groundTruth: COCOInstances, detections: [COCODetection], method: Method,
                                file: String = "detections") throws(ScoreError) -> (evaluation: VOCEvaluation, dropped: Int) {
        let classIndex = groundTruth.classIndex
        var imageSlot: [Int: Int] = [:]
        var targets: [DetectionTarget] = []
        for image in groundTruth.images where imageSlot[image.id] == nil {
            imageSlot[image.id] = targets.count
            targets.append(DetectionTarget(imageID: String(image.id), imageWidth: image.width, imageHeight: image.height))
        }
        for annotation in groundTruth.annotations {
            guard let i = imageSlot[annotation.imageID], let c = classIndex[annotation.categoryID] else { continue }
            targets[i].boxes.append(annotation.box)
            targets[i].classes.append(c)
            targets[i].difficult.append(annotation.isCrowd)
            targets[i].crowd.append(annotation.isCrowd)
        }
        var scored: [VOCDetection] = []
        var dropped = 0
        for (n, detection) in detections.enumerated() {
            guard let i = imageSlot[detection.imageID] else {
                throw .mismatch(file: file, reason: "[\(n)].image_id \(detection.imageID) is not an image of the ground truth")
            }
            guard let c = classIndex[detection.categoryID] else { dropped += 1; continue }
            let b = detection.bbox
            scored.append(VOCDetection(imageIndex: i, classIndex: Int(c),
                                       box: BoundingBox(xMin: Float(b[0]), yMin: Float(b[1]), xMax: Float(b[0] + b[2]), yMax: Float(b[1] + b[3])),
                                       score: detection.score))
        }
        return (evaluate(targets: targets, detections: scored, classCount: groundTruth.categories.count, method: method), dropped)
    }
}

/// Intersection over union in Double, nil when the boxes do not overlap (the devkit skips them).
private func vocOverlap(_ a: BoundingBox, _ b: BoundingBox) -> Double? {
    let w = min(Double(a.xMax), Double(b.xMax)) - max(Double(a.xMin), Double(b.xMin))
    let h = min(Double(a.yMax), Double(b.yMax)) - max(Double(a.yMin), Double(b.yMin))
    guard w > 0, h > 0 else { return nil }
    let areaA = (Double(a.xMax) - Double(a.xMin)) * (Double(a.yMax) - Double(a.yMin))
    let areaB = (Double(b.xMax) - Double(b.xMin)) * (Double(b.yMax) - Double(b.yMin))
    let union = areaA + areaB - w * h
    return w * h / union
}
