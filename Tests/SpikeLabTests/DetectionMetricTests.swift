import Foundation
import Testing
@testable import SpikeLab
import SpikeData

/// A small seeded generator for test data (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// The folder of committed fixtures.
let metricFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

@Suite("COCO detection metrics: hand-worked cases and pycocotools fixtures")
struct COCOMetricTests {
    static let oneImage = COCOInstances.Image(id: 1, fileName: "1.jpg", width: 100, height: 100)
    static let category = COCOInstances.Category(id: 5, name: "thing")

    @Test("one image, two objects, a near miss and a false positive give AP 0.8515 as derived by hand")
    func handWorked() throws {
        // g1 = [0,0,10,10], g2 = [20,0,10,10] (areas 100: "small").
        // d1 (0.9) = g1 exactly: IoU 1. d2 (0.8) = [21,0,10,10]: overlap 9×10 = 90, union 110,
        // IoU 0.8182. d3 (0.7) overlaps nothing.
        // IoU thresholds 0.50…0.80 (7 of them): d1, d2 hits, d3 miss → recall [.5, 1, 1],
        // precision [1, 1, 2/3], enveloped precision 1 at every recall threshold: AP 1.
        // Thresholds 0.85, 0.90, 0.95: only d1 hits → recall [.5, .5, .5]; recall thresholds
        // 0, .01, …, .50 (51 of 101) read precision 1, the rest are unreached (0): AP 51/101.
        // AP = (7 · 1 + 3 · 51/101) / 10 = 0.851485…; AP50 = AP75 = 1; all boxes are small.
        // AR1 (first detection only) = 0.5 at every threshold; AR10 = AR100 = (7 · 1 + 3 · 0.5)/10 = 0.85.
        let truth = COCOInstances(images: [Self.oneImage], annotations: [
            .init(id: 1, imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10]),
            .init(id: 2, imageID: 1, categoryID: 5, bbox: [20, 0, 10, 10]),
        ], categories: [Self.category])
        let detections = [
            COCODetection(imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10], score: 0.9),
            COCODetection(imageID: 1, categoryID: 5, bbox: [21, 0, 10, 10], score: 0.8),
            COCODetection(imageID: 1, categoryID: 5, bbox: [50, 50, 10, 10], score: 0.7),
        ]
        let stats = try COCOEvaluation.evaluate(groundTruth: truth, detections: detections).stats
        let ap = (7 + 3 * 51.0 / 101) / 10
        let expected = [ap, 1, 1, ap, -1, -1, 0.5, 0.85, 0.85, 0.85, -1, -1]
        for (s, e) in zip(stats, expected) { #expect(abs(s - e) < 1e-12, "\(stats)") }
    }

    @Test("detections inside a crowd region are ignored, not false positives (AP 1 instead of 1/3)")
    func crowd() throws {
        // g1 = [0,0,10,10]; crowd region c = [50,0,40,40]. d1 (0.9) = [50,0,10,10] and
        // d2 (0.8) = [60,0,10,10] lie inside c: IoU against a crowd is intersection / detection
        // area = 1, and a crowd may match many detections, so both are ignored. d3 (0.7) = g1.
        // Ranked: ignored, ignored, hit → recall [0, 0, 1], precision [0, 0, 1] → envelope 1 everywhere.
        // Without crowd handling d1, d2 would be false positives: precision 1/3 at recall 1.
        let truth = COCOInstances(images: [Self.oneImage], annotations: [
            .init(id: 1, imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10]),
            .init(id: 2, imageID: 1, categoryID: 5, bbox: [50, 0, 40, 40], isCrowd: true),
        ], categories: [Self.category])
        let detections = [
            COCODetection(imageID: 1, categoryID: 5, bbox: [50, 0, 10, 10], score: 0.9),
            COCODetection(imageID: 1, categoryID: 5, bbox: [60, 0, 10, 10], score: 0.8),
            COCODetection(imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10], score: 0.7),
        ]
        let evaluation = try COCOEvaluation.evaluate(groundTruth: truth, detections: detections)
        #expect(abs(evaluation.stats[0] - 1) < 1e-12, "\(evaluation.stats)")
        #expect(abs(evaluation.stats[8] - 1) < 1e-12, "\(evaluation.stats)")
        // AR1: only the best-scored detection (ignored) per image → recall 0.
        #expect(evaluation.stats[6] == 0, "\(evaluation.stats)")
    }

    @Test("a detection on an image the ground truth lacks is refused, one of an unknown category is dropped")
    func mismatches() throws {
        let truth = COCOInstances(images: [Self.oneImage], annotations: [.init(id: 1, imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10])],
                                  categories: [Self.category])
        #expect(throws: ScoreError.mismatch(file: "d.json", reason: "[1].image_id 7 is not an image of the ground truth")) {
            try COCOEvaluation.evaluate(groundTruth: truth, detections: [
                COCODetection(imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10], score: 1),
                COCODetection(imageID: 7, categoryID: 5, bbox: [0, 0, 10, 10], score: 1),
            ], file: "d.json")
        }
        let evaluation = try COCOEvaluation.evaluate(groundTruth: truth, detections: [
            COCODetection(imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10], score: 0.5),
            COCODetection(imageID: 1, categoryID: 6, bbox: [0, 0, 10, 10], score: 0.9),
        ])
        // Precision is tp / (tp + fp + eps) as in pycocotools: 1 − 2.2e-16, not 1.
        #expect(evaluation.droppedDetections == 1 && abs(evaluation.stats[0] - 1) < 1e-12, "\(evaluation.stats)")
    }

    @Test("the 12 summary stats equal pycocotools 2.0.11 on three random fixtures to 1e-4", arguments: ["mixed", "large-objects", "small-only"])
    func pycocotoolsFixtures(_ name: String) throws {
        let base = metricFixtures + "/coco-eval/" + name
        let truth = try COCOInstances.read(contentsOf: base + "-instances.json")
        let detections = try COCOResults.read(contentsOf: base + "-detections.json")
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "-stats.json"))) as! [String: Any]
        let expected = reference["stats"] as! [Double]
        let stats = try COCOEvaluation.evaluate(groundTruth: truth, detections: detections).stats
        #expect(stats.count == 12)
        let worst = zip(stats, expected).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "ours \(stats)\npycocotools \(expected)")
    }

    @Test("summary lines are printed as COCOeval.summarize prints them")
    func summaryFormat() throws {
        let truth = COCOInstances(images: [Self.oneImage], annotations: [.init(id: 1, imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10])],
                                  categories: [Self.category])
        let lines = try COCOEvaluation.evaluate(groundTruth: truth, detections: [
            COCODetection(imageID: 1, categoryID: 5, bbox: [0, 0, 10, 10], score: 0.5)]).summaryLines()
        #expect(lines[0] == " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000")
        #expect(lines[1] == " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000")
        #expect(lines[4] == " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000")
        #expect(lines[6] == " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000")
    }

    @Test("results files: bad entries are reported by index and key")
    func resultsErrors() {
        func decode(_ text: String) -> ScoreError? {
            do { _ = try COCOResults.decode(Data(text.utf8), file: "r.json"); return nil } catch { return error }
        }
        #expect(decode(#"{"a": 1}"#)?.description.contains("expected a JSON list") == true)
        #expect(decode("[1, 2")?.description.contains("not valid JSON") == true)
        #expect(decode(#"[{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1], "score": 1}]"#)?.description.contains("[0].bbox") == true)
        #expect(decode(#"[{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, -1], "score": 1}]"#)?.description.contains("width, height ≥ 0") == true)
        #expect(decode(#"[{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1]}]"#)?.description.contains("[0].score") == true)
        #expect(decode(#"[{"image_id": 1.5, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 1}]"#)?.description.contains("[0].image_id") == true)
        let good = [COCODetection(imageID: 3, categoryID: 4, bbox: [1, 2, 3, 4], score: 0.25)]
        #expect((try? COCOResults.decode(COCOResults.encoded(good), file: "r")) == good)
    }
}

@Suite("VOC detection metrics: hand-worked case and the devkit formula")
struct VOCMetricTests {
    /// A box given in VOC's 1-based inclusive pixel coordinates, read as SpikeData reads VOC XML.
    static func voc(_ xmin: Int, _ ymin: Int, _ xmax: Int, _ ymax: Int) -> BoundingBox {
        BoundingBox(xMin: Float(xmin - 1), yMin: Float(ymin - 1), xMax: Float(xmax), yMax: Float(ymax))
    }

    @Test("difficult objects are neither hits nor misses; overlap exactly 0.5 is a hit (VOCevaldet's >=)")
    func handWorked() {
        // Continuous boxes: g1 [0,0]-[10,10], g2 [20,0]-[30,10], g3 [40,0]-[50,10] difficult.
        // d1 0.9 = g1 → TP. d2 0.8 = g3 → difficult: ignored. d3 0.7 = g1 again → FP (duplicate).
        // d4 0.6 = [20,0]-[30,5]: overlap 50, union 100 → IoU 0.5 → TP. Positives: 2.
        // recall [.5, .5, .5, 1], precision [1, 1, .5, 2/3].
        // VOC07: t = 0…0.5 (6 points) → max precision 1; t = 0.6…1 (5 points) → 2/3:
        //   AP = (6 + 5 · 2/3) / 11 = 28/33.
        // All-point: envelope [1, 1, 2/3, 2/3]; recall steps 0→.5 at precision 1, .5→1 at 2/3:
        //   AP = .5 + .5 · 2/3 = 5/6.
        let target = DetectionTarget(imageID: "a", imageWidth: 100, imageHeight: 100, boxes: [
            BoundingBox(xMin: 0, yMin: 0, xMax: 10, yMax: 10), BoundingBox(xMin: 20, yMin: 0, xMax: 30, yMax: 10),
            BoundingBox(xMin: 40, yMin: 0, xMax: 50, yMax: 10),
        ], classes: [0, 0, 0], difficult: [false, false, true])
        let detections = [
            VOCDetection(imageIndex: 0, classIndex: 0, box: BoundingBox(xMin: 0, yMin: 0, xMax: 10, yMax: 10), score: 0.9),
            VOCDetection(imageIndex: 0, classIndex: 0, box: BoundingBox(xMin: 40, yMin: 0, xMax: 50, yMax: 10), score: 0.8),
            VOCDetection(imageIndex: 0, classIndex: 0, box: BoundingBox(xMin: 0, yMin: 0, xMax: 10, yMax: 10), score: 0.7),
            VOCDetection(imageIndex: 0, classIndex: 0, box: BoundingBox(xMin: 20, yMin: 0, xMax: 30, yMax: 5), score: 0.6),
        ]
        let eleven = VOCEvaluation.evaluate(targets: [target], detections: detections, classCount: 2, method: .elevenPoint)
        let all = VOCEvaluation.evaluate(targets: [target], detections: detections, classCount: 2, method: .allPoint)
        #expect(abs(eleven.classAP[0]! - 28.0 / 33) < 1e-12)
        #expect(abs(all.classAP[0]! - 5.0 / 6) < 1e-12)
        // Class 1 has no ground truth: no AP, and the mean is over class 0 alone.
        #expect(all.classAP[1] == nil && all.positives == [2, 0] && all.mAP == all.classAP[0])
    }

    /// The devkit's procedure written out plainly on 1-based inclusive integer boxes with its
    /// "+1" areas (VOCevaldet.m, VOCap.m), for one class.
    static func devkitAP(gt: [(image: Int, box: [Int], difficult: Bool)], dets: [(image: Int, box: [Int], score: Double)],
                         use07: Bool) -> Double {
        let npos = gt.filter { !$0.difficult }.count
        var detected = [Bool](repeating: false, count: gt.count)
        let order = dets.indices.sorted { dets[$0].score > dets[$1].score || (dets[$0].score == dets[$1].score && $0 < $1) }
        var tp = [Double](), fp = [Double]()
        for d in order {
            let bb = dets[d].box
            var ovmax = -Double.infinity, jmax = -1
            for j in gt.indices where gt[j].image == dets[d].image {
                let bbgt = gt[j].box
                let bi = [max(bb[0], bbgt[0]), max(bb[1], bbgt[1]), min(bb[2], bbgt[2]), min(bb[3], bbgt[3])]
                let iw = Double(bi[2] - bi[0] + 1), ih = Double(bi[3] - bi[1] + 1)
                if iw > 0 && ih > 0 {
                    let ua = Double((bb[2] - bb[0] + 1) * (bb[3] - bb[1] + 1)) + Double((bbgt[2] - bbgt[0] + 1) * (bbgt[3] - bbgt[1] + 1)) - iw * ih
                    let ov = iw * ih / ua
                    if ov > ovmax { ovmax = ov; jmax = j }
                }
            }
            var t = 0.0, f = 0.0
            if ovmax >= 0.5 {
                if !gt[jmax].difficult {
                    if !detected[jmax] { t = 1; detected[jmax] = true } else { f = 1 }
                }
            } else {
                f = 1
            }
            tp.append(t); fp.append(f)
        }
        var rec = [Double](), prec = [Double]()
        var ct = 0.0, cf = 0.0
        for i in tp.indices {
            ct += tp[i]; cf += fp[i]
            rec.append(ct / Double(npos))
            prec.append(ct + cf > 0 ? ct / (ct + cf) : 0)
        }
        if use07 {
            var ap = 0.0
            for k in 0...10 {
                let t = Double(k) * 0.1
                var p = 0.0
                for i in rec.indices where rec[i] >= t { p = max(p, prec[i]) }
                ap += p / 11
            }
            return ap
        }
        var mrec = [0.0] + rec + [1.0], mpre = [0.0] + prec + [0.0]
        var i = mpre.count - 2
        while i >= 0 { mpre[i] = max(mpre[i], mpre[i + 1]); i -= 1 }
        var ap = 0.0
        for i in 1..<mrec.count where mrec[i] != mrec[i - 1] { ap += (mrec[i] - mrec[i - 1]) * mpre[i] }
        mrec.removeAll()
        return ap
    }

    @Test("per-class AP equals the plainly written devkit formula on 20 random scenes, both methods")
    func againstDevkit() {
        var random = TestRandom(seed: 7)
        for scene in 0..<20 {
            let images = random.int(1...6), classes = 3
            var targets: [DetectionTarget] = []
            var gt: [[(image: Int, box: [Int], difficult: Bool)]] = Array(repeating: [], count: classes)
            var dets: [[(image: Int, box: [Int], score: Double)]] = Array(repeating: [], count: classes)
            var detections: [VOCDetection] = []
            for i in 0..<images {
                var target = DetectionTarget(imageID: "\(i)", imageWidth: 200, imageHeight: 200)
                for _ in 0..<random.int(0...5) {
                    let c = random.int(0...(classes - 1))
                    let x = random.int(1...150), y = random.int(1...150)
                    let box = [x, y, x + random.int(3...45), y + random.int(3...45)]
                    let difficult = random.int(0...5) == 0
                    target.boxes.append(Self.voc(box[0], box[1], box[2], box[3]))
                    target.classes.append(Int32(c))
                    target.difficult.append(difficult)
                    target.crowd.append(false)
                    gt[c].append((i, box, difficult))
                    for _ in 0..<random.int(0...3) {
                        let jitter = { (v: Int) -> Int in v + random.int(-6...6) }
                        var d = [jitter(box[0]), jitter(box[1]), jitter(box[2]), jitter(box[3])]
                        if d[2] < d[0] { d[2] = d[0] }
                        if d[3] < d[1] { d[3] = d[1] }
                        let label = random.int(0...9) == 0 ? random.int(0...(classes - 1)) : c
                        // Two-decimal scores, so that ties occur.
                        let score = (random.unit() * 100).rounded() / 100
                        dets[label].append((i, d, score))
                        detections.append(VOCDetection(imageIndex: i, classIndex: label, box: Self.voc(d[0], d[1], d[2], d[3]), score: score))
                    }
                }
                for _ in 0..<random.int(0...2) {
                    let c = random.int(0...(classes - 1)), x = random.int(1...150), y = random.int(1...150)
                    let d = [x, y, x + random.int(3...45), y + random.int(3...45)]
                    let score = (random.unit() * 100).rounded() / 100
                    dets[c].append((i, d, score))
                    detections.append(VOCDetection(imageIndex: i, classIndex: c, box: Self.voc(d[0], d[1], d[2], d[3]), score: score))
                }
                targets.append(target)
            }
            for method in VOCEvaluation.Method.allCases {
                let evaluation = VOCEvaluation.evaluate(targets: targets, detections: detections, classCount: classes, method: method)
                for c in 0..<classes {
                    let npos = gt[c].filter { !$0.difficult }.count
                    if npos == 0 { #expect(evaluation.classAP[c] == nil); continue }
                    let reference = Self.devkitAP(gt: gt[c], dets: dets[c], use07: method == .elevenPoint)
                    #expect(abs(evaluation.classAP[c]! - reference) < 1e-9, "scene \(scene) class \(c) \(method)")
                }
            }
        }
    }

    @Test("COCO-format input: iscrowd boxes play VOC's difficult, unknown categories are dropped")
    func fromCOCO() throws {
        let truth = COCOInstances(images: [.init(id: 3, fileName: "3.jpg", width: 100, height: 100)], annotations: [
            .init(id: 1, imageID: 3, categoryID: 2, bbox: [0, 0, 10, 10]),
            .init(id: 2, imageID: 3, categoryID: 2, bbox: [40, 0, 10, 10], isCrowd: true),
        ], categories: [.init(id: 2, name: "a")])
        let (evaluation, dropped) = try VOCEvaluation.evaluate(groundTruth: truth, detections: [
            COCODetection(imageID: 3, categoryID: 2, bbox: [40, 0, 10, 10], score: 0.9),
            COCODetection(imageID: 3, categoryID: 2, bbox: [0, 0, 10, 10], score: 0.8),
            COCODetection(imageID: 3, categoryID: 9, bbox: [0, 0, 10, 10], score: 0.8),
        ], method: .allPoint)
        #expect(evaluation.mAP == 1 && dropped == 1)
    }
}
