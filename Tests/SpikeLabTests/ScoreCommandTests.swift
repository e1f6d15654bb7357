import Foundation
import Testing
@testable import SpikeLab
import SpikeData

/// `spikelab score` as a user runs it: real processes and exit codes.
@Suite("spikelab score: detection and segmentation through the executable",
       .enabled(if: Executable.path != nil, "needs the built spikelab executable next to the tests (swift build --build-tests)"))
struct ScoreCommandTests {
    static func score(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Executable.run(["score"] + arguments, logs: NSTemporaryDirectory() + "spikelab-score-\(UUID().uuidString)")
    }

    @Test("score detection prints pycocotools' numbers (text and JSON) and the VOC mAP")
    func detection() throws {
        let base = metricFixtures + "/coco-eval/mixed"
        let expected = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "-stats.json"))) as! [String: Any])["stats"] as! [Double]
        var r = try Self.score(["detection", "--annotations", base + "-instances.json", "--detections", base + "-detections.json"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains(String(format: "maxDets=100 ] = %0.3f", expected[0])), "\(r.stdout)")
        r = try Self.score(["detection", "--annotations", base + "-instances.json", "--detections", base + "-detections.json", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(abs((object["AP"] as? Double ?? -9) - expected[0]) < 1e-4 && abs((object["ARl"] as? Double ?? -9) - expected[11]) < 1e-4, "\(r)")
        r = try Self.score(["detection", "--annotations", base + "-instances.json", "--detections", base + "-detections.json",
                            "--metric", "voc07", "--json"])
        let voc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(r.status == 0 && (voc["mAP"] as? Double).map { (0...1).contains($0) } == true, "\(r)")
    }

    @Test("score detection: bad metric exits 2; missing, malformed or mismatched files exit 3 naming the file")
    func detectionErrors() throws {
        let base = metricFixtures + "/coco-eval/mixed"
        var r = try Self.score(["detection", "--annotations", base + "-instances.json", "--detections", base + "-detections.json", "--metric", "map"])
        #expect(r.status == 2 && r.stderr.contains("--metric must be coco, voc07 or voc"), "\(r)")
        r = try Self.score(["detection", "--annotations", "/nonexistent/i.json", "--detections", base + "-detections.json"])
        #expect(r.status == 3 && r.stderr.contains("/nonexistent/i.json") && r.stderr.contains("no such file"), "\(r)")
        let bad = NSTemporaryDirectory() + "spikelab-score-bad-\(UUID().uuidString).json"
        try #"[{"image_id": 100, "category_id": 1, "bbox": [0, 0, 5], "score": 0.5}]"#.write(toFile: bad, atomically: true, encoding: .utf8)
        r = try Self.score(["detection", "--annotations", base + "-instances.json", "--detections", bad])
        #expect(r.status == 3 && r.stderr.contains(bad + ": [0].bbox"), "\(r)")
        try #"[{"image_id": 5, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]"#.write(toFile: bad, atomically: true, encoding: .utf8)
        r = try Self.score(["detection", "--annotations", base + "-instances.json", "--detections", bad])
        #expect(r.status == 3 && r.stderr.contains("image_id 5 is not an image of the ground truth"), "\(r)")
    }

    @Test("score segmentation prints mIoU as JSON, and exits 3 for a missing prediction, 2 for --classes 0")
    func segmentation() throws {
        let truth = try SegmentationMetricTests.folder("cli-truth"), predicted = try SegmentationMetricTests.folder("cli-pred")
        try PalettedPNGImage(width: 3, height: 2, indices: [0, 0, 1, 1, 255, 2], palette: vocColorMap()).write(to: truth + "/a.png")
        var r = try Self.score(["segmentation", "--truth", truth, "--pred", predicted, "--classes", "4"])
        #expect(r.status == 3 && r.stderr.contains("have no prediction: a.png"), "\(r)")
        try PNGImage(width: 3, height: 2, channels: 1, pixels: [0, 1, 1, 1, 0, 1]).write(to: predicted + "/a.png")
        r = try Self.score(["segmentation", "--truth", truth, "--pred", predicted, "--classes", "4", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(r.status == 0 && abs((object["mIoU"] as? Double ?? -1) - 1.0 / 3) < 1e-12 && object["pixel_accuracy"] as? Double == 0.6, "\(r)")
        r = try Self.score(["segmentation", "--truth", truth, "--pred", predicted, "--classes", "0"])
        #expect(r.status == 2 && r.stderr.contains("--classes must be 1…255"), "\(r)")
    }
}
