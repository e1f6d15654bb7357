import Foundation
import SpikeData

/// COCO bounding-box evaluation with the semantics of pycocotools' `COCOeval` (iouType
/// `bbox`, default parameters): IoU thresholds .50:.05:.95, 101 recall thresholds, maxDets
/// 1/10/100, area ranges all/small/medium/large, crowd regions, greedy matching by score per
/// image and category, and the 12 summary statistics `summarize()` prints.
///
/// Ground-truth area is the annotation's `area` field (the segment area in real COCO files),
/// detection area is `w × h`, as `loadRes` sets it. Detections of categories absent from the
/// ground truth are dropped, as `COCOeval` drops them; detections on unknown images are an
/// error (`loadRes` asserts on them). One deliberate difference: pycocotools records a match
/// by the ground-truth annotation's id, so a ground-truth id of 0 reads as "unmatched"; here
/// a match is a match whatever the id.
public struct COCOEvaluation: Sendable {
    /// IoU thresholds, computed as `np.linspace(.5, .95, 10)` does (same Doubles).
    public static let iouThresholds: [Double] = linspace(0.5, 0.95, count: 10)
    /// Recall thresholds, as `np.linspace(0, 1, 101)`.
    public static let recallThresholds: [Double] = linspace(0, 1, count: 101)
    /// Area ranges (inclusive bounds, in pixels²) and their labels.
    public static let areaRanges: [(label: String, lower: Double, upper: Double)] = [
        ("all", 0, 1e10), ("small", 0, 32 * 32), ("medium", 32 * 32, 96 * 96), ("large", 96 * 96, 1e10),
    ]
    /// Detections per image considered, for recall at 1, 10 and 100.
    public static let maxDetections = [1, 10, 100]

    /// Category ids evaluated (those of the ground truth, increasing).
    public let categoryIDs: [Int]
    /// Precision `[T][R][K][A][M]` flattened in that order; -1 where a category has no
    /// ground truth to find (as `COCOeval.eval['precision']`).
    public let precision: [Double]
    /// Recall `[T][K][A][M]` flattened; -1 likewise.
    public let recall: [Double]
    /// The 12 numbers of `COCOeval.stats`: AP, AP50, AP75, AP small/medium/large, AR1, AR10,
    /// AR100, AR small/medium/large (maxDets 100); -1 where nothing could be measured.
    public let stats: [Double]
    /// Detections dropped because their category is not in the ground truth.
    public let droppedDetections: Int

    /// Evaluates `detections` against `groundTruth`.
    public static func evaluate(groundTruth: COCOInstances, detections: [COCODetection],
                                file: String = "detections") throws(ScoreError) -> COCOEvaluation {
        let imageIDs = Array(Set(groundTruth.images.map(\.id))).sorted()
        let categoryIDs = Array(Set(groundTruth.categories.map(\.id))).sorted()
        let imageSlot = Dictionary(uniqueKeysWithValues: imageIDs.enumerated().map { ($1, $0) })
        let categorySlot = Dictionary(uniqueKeysWithValues: categoryIDs.enumerated().map { ($1, $0) })
        let (I, K) = (imageIDs.count, categoryIDs.count)

        // Ground truth and detections per (category, image), in file order.
        var truths = [[GroundTruthBox]](repeating: [], count: K * I)
        for annotation in groundTruth.annotations {
            guard let i = imageSlot[annotation.imageID], let k = categorySlot[annotation.categoryID] else { continue }
            truths[k * I + i].append(GroundTruthBox(bbox: annotation.bbox, area: annotation.area, crowd: annotation.isCrowd))
        }
        var found = [[COCODetection]](repeating: [], count: K * I)
        var dropped = 0
        for (n, detection) in detections.enumerated() {
            guard let i = imageSlot[detection.imageID] else {
                throw .mismatch(file: file, reason: "[\(n)].image_id \(detection.imageID) is not an image of the ground truth")
            }
            guard let k = categorySlot[detection.categoryID] else { dropped += 1; continue }
            found[k * I + i].append(detection)
        }

        let T = iouThresholds.count, R = recallThresholds.count, A = areaRanges.count, M = maxDetections.count
        let maxDet = maxDetections.last!
        var precision = [Double](repeating: -1, count: T * R * K * A * M)
        var recall = [Double](repeating: -1, count: T * K * A * M)
        for k in 0..<K {
            // Per image: detections by score (stable), cut to maxDet, and their IoUs with each truth.
            var perImage: [(gts: [GroundTruthBox], dts: [COCODetection], ious: [[Double]])?] = []
            for i in 0..<I {
                let gts = truths[k * I + i]
                var dts = found[k * I + i]
                if gts.isEmpty && dts.isEmpty { perImage.append(nil); continue }
                dts = stableSortedByScore(dts)
                if dts.count > maxDet { dts = Array(dts.prefix(maxDet)) }
                let ious = dts.map { d in gts.map { g in boxIoU(d.bbox, g.bbox, crowd: g.crowd) } }
                perImage.append((gts, dts, ious))
            }
            for a in 0..<A {
                let range = areaRanges[a]
                let images = perImage.compactMap { $0.map { matchImage($0.gts, $0.dts, $0.ious, range: (range.lower, range.upper)) } }
                if images.isEmpty { continue }
                for (m, limit) in maxDetections.enumerated() {
                    // All images' first `limit` detections, by score (stable over image order).
                    var scores: [Double] = [], matched: [[Bool]] = Array(repeating: [], count: T)
                    var ignored: [[Bool]] = Array(repeating: [], count: T)
                    var positives = 0
                    for image in images {
                        let n = min(limit, image.scores.count)
                        scores += image.scores.prefix(n)
                        for t in 0..<T {
                            matched[t] += image.matched[t].prefix(n)
                            ignored[t] += image.ignored[t].prefix(n)
                        }
                        positives += image.positives
                    }
                    if positives == 0 { continue }
                    let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
                    for t in 0..<T {
                        var tp = 0.0, fp = 0.0
                        var rc = [Double](), pr = [Double]()
                        rc.reserveCapacity(order.count)
                        pr.reserveCapacity(order.count)
                        for d in order {
                            if !ignored[t][d] { if matched[t][d] { tp += 1 } else { fp += 1 } }
                            rc.append(tp / Double(positives))
                            pr.append(tp / (fp + tp + Double.ulpOfOne))
                        }
                        let nd = order.count
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0
                        if nd > 1 { for j in stride(from: nd - 1, to: 0, by: -1) where pr[j] > pr[j - 1] { pr[j - 1] = pr[j] } }
                        var j = 0
                        for (r, threshold) in recallThresholds.enumerated() {
                            // First position whose recall reaches the threshold (searchsorted, left).
                            while j < nd && rc[j] < threshold { j += 1 }
                            precision[(((t * R + r) * K + k) * A + a) * M + m] = j < nd ? pr[j] : 0
                        }
                    }
                }
            }
        }

        func mean(ap: Bool, t: Int? = nil, area: Int = 0, maxDets: Int = 100) -> Double {
            let m = maxDetections.firstIndex(of: maxDets)!
            var sum = 0.0, count = 0
            for tt in t.map({ [$0] }) ?? Array(0..<T) {
                for k in 0..<K {
                    if ap {
                        for r in 0..<R {
                            let v = precision[(((tt * R + r) * K + k) * A + area) * M + m]
                            if v > -1 { sum += v; count += 1 }
                        }
                    } else {
                        let v = recall[((tt * K + k) * A + area) * M + m]
                        if v > -1 { sum += v; count += 1 }
                    }
                }
            }
            return count == 0 ? -1 : sum / Double(count)
        }
        let t50 = iouThresholds.firstIndex(of: 0.5)!, t75 = iouThresholds.firstIndex(of: 0.75)!
        let stats = [
            mean(ap: true), mean(ap: true, t: t50), mean(ap: true, t: t75),
            mean(ap: true, area: 1), mean(ap: true, area: 2), mean(ap: true, area: 3),
            mean(ap: false, maxDets: 1), mean(ap: false, maxDets: 10), mean(ap: false),
            mean(ap: false, area: 1), mean(ap: false, area: 2), mean(ap: false, area: 3),
        ]
        return COCOEvaluation(categoryIDs: categoryIDs, precision: precision, recall: recall, stats: stats,
                              droppedDetections: dropped)
    }

    /// What each entry of `stats` is, as `summarize()` labels it: (AP or AR, IoU, area, maxDets).
    public static let statLabels: [(average: String, iou: String, area: String, maxDets: Int)] = [
        ("AP", "0.50:0.95", "all", 100), ("AP", "0.50", "all", 100), ("AP", "0.75", "all", 100),
        ("AP", "0.50:0.95", "small", 100), ("AP", "0.50:0.95", "medium", 100), ("AP", "0.50:0.95", "large", 100),
        ("AR", "0.50:0.95", "all", 1), ("AR", "0.50:0.95", "all", 10), ("AR", "0.50:0.95", "all", 100),
        ("AR", "0.50:0.95", "small", 100), ("AR", "0.50:0.95", "medium", 100), ("AR", "0.50:0.95", "large", 100),
    ]

    /// Short keys of `stats` for JSON output.
    public static let statKeys = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]

    /// The 12 lines `COCOeval.summarize()` prints, character for character.
    public func summaryLines() -> [String] {
        zip(Self.statLabels, stats).map { label, value in
            let title = label.average == "AP" ? "Average Precision" : "Average Recall"
            let iou = label.iou.padding(toLength: 9, withPad: " ", startingAt: 0)
            let area = String(repeating: " ", count: max(0, 6 - label.area.count)) + label.area
            let dets = String(repeating: " ", count: max(0, 3 - String(label.maxDets).count)) + String(label.maxDets)
            return " \(title.padding(toLength: 18, withPad: " ", startingAt: 0)) (\(label.average)) @[ IoU=\(iou) | area=\(area) | maxDets=\(dets) ] = \(String(format: "%0.3f", value))"
        }
    }

    /// Per-category AP over IoU .50:.95 (area all, maxDets 100); nil for a category without ground truth.
    public func categoryAP() -> [Int: Double?] {
        let T = Self.iouThresholds.count, R = Self.recallThresholds.count, K = categoryIDs.count
        let A = Self.areaRanges.count, M = Self.maxDetections.count
        var result: [Int: Double?] = [:]
        for (k, id) in categoryIDs.enumerated() {
            var values: [Double] = []
            for t in 0..<T { for r in 0..<R { values.append(precision[(((t * R + r) * K + k) * A + 0) * M + (M - 1)]) } }
            let valid = values.filter { $0 > -1 }
            result[id] = valid.isEmpty ? nil : valid.reduce(0, +) / Double(valid.count)
        }
        return result
    }
}

/// A ground-truth box as `COCOeval` sees it.
private struct GroundTruthBox {
    var bbox: [Double]
    var area: Double
    var crowd: Bool
}

/// One image's matches for one category and area range (`COCOeval.evaluateImg`).
private struct ImageMatches {
    /// Detection scores, highest first.
    var scores: [Double]
    /// `[T][D]`: the detection matched a ground truth at threshold t.
    var matched: [[Bool]]
    /// `[T][D]`: the detection counts for nothing (matched an ignored truth, or unmatched and outside the area range).
    var ignored: [[Bool]]
    /// Ground truths that are not ignored.
    var positives: Int
}

/// Greedy matching of score-ordered detections to ground truth, per IoU threshold.
private func matchImage(_ gtsInFileOrder: [GroundTruthBox], _ dts: [COCODetection], _ iousInFileOrder: [[Double]],
                        range: (lower: Double, upper: Double)) -> ImageMatches {
    let thresholds = COCOEvaluation.iouThresholds
    let ignoreInFileOrder = gtsInFileOrder.map { $0.crowd || $0.area < range.lower || $0.area > range.upper }
    // Ignored truths last (stable), as the reference sorts them.
    let order = gtsInFileOrder.indices.filter { !ignoreInFileOrder[$0] } + gtsInFileOrder.indices.filter { ignoreInFileOrder[$0] }
    let gtIgnore = order.map { ignoreInFileOrder[$0] }
    let crowd = order.map { gtsInFileOrder[$0].crowd }
    let (T, G, D) = (thresholds.count, order.count, dts.count)
    var matched = [[Bool]](repeating: [Bool](repeating: false, count: D), count: T)
    var ignored = matched
    for (t, threshold) in thresholds.enumerated() {
        var taken = [Bool](repeating: false, count: G)
        for d in 0..<D {
            var best = min(threshold, 1 - 1e-10)
            var m = -1
            for g in 0..<G {
                if taken[g] && !crowd[g] { continue }
                // Matched to a real truth already: ignored truths (which come last) cannot replace it.
                if m > -1 && !gtIgnore[m] && gtIgnore[g] { break }
                let iou = iousInFileOrder[d][order[g]]
                if iou < best { continue }
                best = iou
                m = g
            }
            guard m > -1 else { continue }
            ignored[t][d] = gtIgnore[m]
            matched[t][d] = true
            taken[m] = true
        }
    }
    for d in 0..<D {
        let area = dts[d].bbox[2] * dts[d].bbox[3]
        if area < range.lower || area > range.upper {
            for t in 0..<T where !matched[t][d] { ignored[t][d] = true }
        }
    }
    return ImageMatches(scores: dts.map(\.score), matched: matched, ignored: ignored,
                        positives: gtIgnore.filter { !$0 }.count)
}

/// Detections by decreasing score, ties in their original order (numpy's mergesort).
private func stableSortedByScore(_ dts: [COCODetection]) -> [COCODetection] {
    dts.indices.sorted { dts[$0].score > dts[$1].score || (dts[$0].score == dts[$1].score && $0 < $1) }.map { dts[$0] }
}

/// IoU of two `[x, y, w, h]` boxes as pycocotools' `bbIou` computes it; against a crowd
/// region the denominator is the detection's own area.
func boxIoU(_ d: [Double], _ g: [Double], crowd: Bool) -> Double {
    let w = min(d[0] + d[2], g[0] + g[2]) - max(d[0], g[0])
    guard w > 0 else { return 0 }
    let h = min(d[1] + d[3], g[1] + g[3]) - max(d[1], g[1])
    guard h > 0 else { return 0 }
    let intersection = w * h
    let union = crowd ? d[2] * d[3] : d[2] * d[3] + g[2] * g[3] - intersection
    return intersection / union
}

/// `count` evenly spaced values from `start` to `stop` inclusive, with numpy's `linspace` arithmetic.
func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
    let step = (stop - start) / Double(count - 1)
    var values = (0..<count).map { Double($0) * step + start }
    values[count - 1] = stop
    return values
}
