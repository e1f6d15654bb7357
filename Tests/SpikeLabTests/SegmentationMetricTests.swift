import Foundation
import Testing
@testable import SpikeLab
import SpikeData

@Suite("Segmentation metrics: confusion matrix, mIoU, accuracies, mask folders")
struct SegmentationMetricTests {
    @Test("a 3×2 hand-worked pair: void skipped, IoU per class, means over defined classes")
    func handWorked() throws {
        // truth      predicted
        // 0 0 1      0 1 1
        // 1 255 2    1 0 1
        // Counted pixels 5 (255 skipped). Confusion [truth][pred]: (0,0)=1 (0,1)=1 (1,1)=2 (2,1)=1.
        // IoU0 = 1/(2+1-1) = 1/2; IoU1 = 2/(2+4-2) = 1/2; IoU2 = 0/(1+0-0) = 0; class 3 absent → nil.
        // mIoU = (1/2 + 1/2 + 0)/3 = 1/3; pixel accuracy = 3/5; class accuracy 1/2, 1, 0 → mean 1/2.
        var matrix = ConfusionMatrix(classCount: 4)
        try matrix.add(truth: [0, 0, 1, 1, 255, 2], predicted: [0, 1, 1, 1, 0, 1], width: 3)
        #expect(matrix.counts == [1, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(matrix.classIoU == [0.5, 0.5, 0, nil])
        #expect(abs(matrix.meanIoU! - 1.0 / 3) < 1e-15)
        #expect(matrix.pixelAccuracy == 0.6)
        #expect(matrix.classAccuracy == [0.5, 1, 0, nil] && matrix.meanClassAccuracy == 0.5)
    }

    @Test("labels out of range are refused with their position")
    func outOfRange() {
        var matrix = ConfusionMatrix(classCount: 3)
        #expect(throws: ConfusionMatrix.OutOfRange(inTruth: true, x: 1, y: 1, value: 7)) {
            try matrix.add(truth: [0, 1, 2, 7], predicted: [0, 0, 0, 0], width: 2)
        }
        #expect(throws: ConfusionMatrix.OutOfRange(inTruth: false, x: 0, y: 1, value: 3)) {
            try matrix.add(truth: [0, 1, 2, 255], predicted: [0, 0, 3, 9], width: 2)
        }
    }

    /// mIoU as one would write it first: per class, count pixels over all images.
    static func referenceScores(_ pairs: [([UInt8], [UInt8])], classes: Int) -> (miou: Double, pixel: Double, meanAccuracy: Double) {
        var ious: [Double] = [], accuracies: [Double] = []
        var correct = 0, counted = 0
        for c in 0..<classes {
            var intersection = 0, union = 0, truthPixels = 0
            for (truth, predicted) in pairs {
                for p in truth.indices where truth[p] != 255 {
                    let inTruth = Int(truth[p]) == c, inPrediction = Int(predicted[p]) == c
                    if inTruth && inPrediction { intersection += 1 }
                    if inTruth || inPrediction { union += 1 }
                    if inTruth { truthPixels += 1 }
                }
            }
            if union > 0 { ious.append(Double(intersection) / Double(union)) }
            if truthPixels > 0 { accuracies.append(Double(intersection) / Double(truthPixels)) }
        }
        for (truth, predicted) in pairs {
            for p in truth.indices where truth[p] != 255 {
                counted += 1
                if truth[p] == predicted[p] { correct += 1 }
            }
        }
        return (ious.reduce(0, +) / Double(ious.count), Double(correct) / Double(counted),
                accuracies.reduce(0, +) / Double(accuracies.count))
    }

    @Test("mIoU, pixel and mean class accuracy equal a plain per-class count on random masks")
    func againstReference() throws {
        var random = TestRandom(seed: 11)
        for _ in 0..<10 {
            let classes = random.int(2...21)
            var matrix = ConfusionMatrix(classCount: classes)
            var pairs: [([UInt8], [UInt8])] = []
            for _ in 0..<random.int(1...4) {
                let w = random.int(1...30), h = random.int(1...30)
                let truth = (0..<(w * h)).map { _ in random.int(0...9) == 0 ? UInt8(255) : UInt8(random.int(0...(classes - 1))) }
                // Predictions agree with truth about half the time.
                let predicted = truth.map { t in t != 255 && random.int(0...1) == 0 ? t : UInt8(random.int(0...(classes - 1))) }
                try matrix.add(truth: truth, predicted: predicted, width: w)
                pairs.append((truth, predicted))
            }
            let reference = Self.referenceScores(pairs, classes: classes)
            #expect(abs(matrix.meanIoU! - reference.miou) < 1e-12)
            #expect(abs(matrix.pixelAccuracy! - reference.pixel) < 1e-12)
            #expect(abs(matrix.meanClassAccuracy! - reference.meanAccuracy) < 1e-12)
        }
    }

    static func folder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "spikelab-seg-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("mask folders: palette truth and grayscale predictions pair by name and score as in memory")
    func folders() throws {
        let truth = try Self.folder("truth"), predicted = try Self.folder("pred")
        let a = ([UInt8]([0, 0, 1, 1, 255, 2]), [UInt8]([0, 1, 1, 1, 0, 1]))
        try PalettedPNGImage(width: 3, height: 2, indices: a.0, palette: vocColorMap()).write(to: truth + "/a.png")
        try PNGImage(width: 3, height: 2, channels: 1, pixels: a.1).write(to: predicted + "/a.png")
        let (matrix, images) = try SegmentationScoring.score(truthDirectory: truth, predictedDirectory: predicted, classCount: 4)
        var expected = ConfusionMatrix(classCount: 4)
        try expected.add(truth: a.0, predicted: a.1, width: 3)
        #expect(images == 1 && matrix == expected)
    }

    @Test("mask folders: missing, extra, resized, colour and out-of-range masks are named in the error")
    func folderErrors() throws {
        let truth = try Self.folder("truth"), predicted = try Self.folder("pred")
        let palette = vocColorMap()
        try PalettedPNGImage(width: 2, height: 2, indices: [0, 1, 1, 0], palette: palette).write(to: truth + "/a.png")
        func message() -> String {
            do {
                _ = try SegmentationScoring.score(truthDirectory: truth, predictedDirectory: predicted, classCount: 2)
                return "no error"
            } catch { return error.description }
        }
        #expect(message().contains("1 truth mask(s) have no prediction: a.png"))
        try PalettedPNGImage(width: 3, height: 2, indices: [0, 1, 1, 0, 0, 0], palette: palette).write(to: predicted + "/a.png")
        #expect(message().contains("is 3×2 pixels but its truth mask"))
        try PNGImage(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 0, count: 12)).write(to: predicted + "/a.png")
        #expect(message().contains("a palette PNG or an 8-bit grayscale PNG"))
        try PNGImage(width: 2, height: 2, channels: 1, pixels: [0, 1, 5, 0]).write(to: predicted + "/a.png")
        #expect(message().contains("\(predicted)/a.png: pixel (x 0, y 1): found label 5, expected a class 0…1 (--classes 2)"))
        try PNGImage(width: 2, height: 2, channels: 1, pixels: [0, 1, 1, 0]).write(to: predicted + "/b.png")
        #expect(message().contains("1 prediction(s) have no truth mask: b.png"))
        try FileManager.default.removeItem(atPath: predicted + "/b.png")
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: predicted + "/a.png"))
        #expect(message().contains("\(predicted)/a.png: cannot read"))
        #expect(throws: ScoreError.unreadable(file: truth + "/nope", reason: "no such folder")) {
            try SegmentationScoring.score(truthDirectory: truth + "/nope", predictedDirectory: predicted, classCount: 2)
        }
    }
}
