import Foundation
import Testing
import SpikeNN
import SpikeTensor

/// The YOLO-style detector's pieces: grid, target assignment, loss, decoding, NMS, model.
@Suite("YOLO-style detection")
struct DetectionTests {
    /// A 64-pixel grid: stride 16 → 4 × 4 cells, stride 32 → 2 × 2, 3 anchors each (60 slots).
    let grid = YOLOGrid(imageSize: 64)

    @Test("the grid numbers slots scale by scale, row, column, anchor, with anchors scaled to the input")
    func gridLayout() {
        #expect(grid.sides == [4, 2])
        #expect(grid.offsets == [0, 48])
        #expect(grid.slotCount == 60)
        #expect(grid.slot(scale: 1, x: 1, y: 0, anchor: 1) == 52)
        #expect(grid.location(of: 52) == (1, 1, 0, 1))
        #expect(grid.location(of: 47) == (0, 3, 3, 2))
        // (135, 169) at 416 → × 64/416.
        #expect(abs(grid.anchor(scale: 1, 1).width - 135 * 64 / 416) < 1e-5)
        #expect(abs(grid.anchor(scale: 1, 1).height - 26) < 1e-5)
    }

    @Test("an object goes to the best-shaped anchor at the cell of its centre, with hand-worked targets")
    func assignmentByHand() throws {
        // 20 × 26 box centred at (40, 20). Corner-aligned IoU with the anchors (× 64/416):
        // (135,169) → (20.77, 26): 520/540 = 0.963, the best; (81,82) → 0.30; (344,319) → 0.20.
        let box = DetectionBox(centerX: 40, centerY: 20, width: 20, height: 26)
        let targets = YOLOTargets(objects: [DetectionObject(box: box, classIndex: 3)], grid: grid)
        #expect(targets.unassigned.isEmpty)
        let a = try #require(targets.assignments.first)
        // Stride 32: 40/32 = 1.25 → column 1, tx 0.25; 20/32 = 0.625 → row 0, ty 0.625.
        #expect(a.slot == 52)
        #expect(abs(a.tx - 0.25) < 1e-6 && abs(a.ty - 0.625) < 1e-6)
        #expect(abs(a.tw - Float(log(8320.0 / 8640.0))) < 1e-6)    // log(20 / (135·64/416))
        #expect(abs(a.th) < 1e-6)                                    // 26 = 169·64/416
        #expect(abs(a.boxWeight - (2 - 520.0 / 4096)) < 1e-6)
        #expect(a.classIndex == 3)
    }

    @Test("two objects wanting one slot: the first keeps it, the second is reported unassigned")
    func collidingObjects() {
        let first = DetectionObject(box: DetectionBox(centerX: 40, centerY: 20, width: 20, height: 26), classIndex: 0)
        let second = DetectionObject(box: DetectionBox(centerX: 41, centerY: 21, width: 21, height: 25), classIndex: 1)
        let small = DetectionObject(box: DetectionBox(centerX: 8, centerY: 8, width: 2, height: 3), classIndex: 2)
        let targets = YOLOTargets(objects: [first, second, small], grid: grid)
        #expect(targets.assignments.map(\.object) == [0, 2])
        #expect(targets.unassigned == [1])
        // (2, 3) fits (10,14)·64/416 = (1.54, 2.15) best: scale 0, cell (0, 0), anchor 0.
        #expect(targets.assignments[1].slot == 0)
    }

    @Test("decoding a hand-set prediction gives the hand-worked box and score")
    func decodeByHand() {
        let classes = 2, channels = 5 + classes
        var values = [Float](repeating: -20, count: grid.slotCount * channels)   // every slot silent
        let row = 52 * channels
        values[row] = 0; values[row + 1] = 0                     // σ(0) = 0.5: the cell's centre
        values[row + 2] = Float(log(2.0)); values[row + 3] = 0   // twice the anchor's width
        values[row + 4] = 0                                       // objectness 0.5
        values[row + 5] = -20; values[row + 6] = Float(log(3.0))  // class 1 with σ = 0.75
        let decoder = YOLODecoder(grid: grid, classCount: classes, scoreThreshold: 0.1)
        let detections = decoder(Tensor(values, shape: [1, grid.slotCount, channels]))
        #expect(detections.count == 1 && detections[0].count == 1)
        let d = detections[0][0]
        // Centre ((1 + 0.5)·32, (0 + 0.5)·32) = (48, 16); size (2 · 20.769, 26).
        let w = 2 * Float(135) * 64 / 416
        #expect(d.classIndex == 1)
        #expect(abs(d.score - 0.375) < 1e-6)
        #expect(abs(d.box.xMin - (48 - w / 2)) < 1e-4 && abs(d.box.xMax - (48 + w / 2)) < 1e-4)
        #expect(abs(d.box.yMin - 3) < 1e-4 && abs(d.box.yMax - 29) < 1e-4)
    }

    @Test("decoding keeps at most max_detections, best first, and nothing below the score threshold")
    func decodeLimits() {
        var rng = PhiloxGenerator(seed: 3)
        let predictions = Tensor.normal([2, grid.slotCount, 8], std: 2, rng: &rng)
        let decoder = YOLODecoder(grid: grid, classCount: 3, scoreThreshold: 0.2, nmsIoU: 0.5, maxDetections: 5)
        for list in decoder(predictions) {
            #expect(list.count <= 5)
            #expect(list.allSatisfy { $0.score > 0.2 })
            #expect(zip(list, list.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
    }

    /// The definition, slowly: repeatedly take the best remaining box and drop every remaining
    /// box of its class that overlaps it above the threshold.
    static func referenceNMS(_ detections: [Detection], iou: Float) -> [Detection] {
        var remaining = Array(detections.enumerated())
        var kept: [Detection] = []
        while !remaining.isEmpty {
            var best = 0
            for i in remaining.indices where remaining[i].element.score > remaining[best].element.score
                || (remaining[i].element.score == remaining[best].element.score && remaining[i].offset < remaining[best].offset) {
                best = i
            }
            let chosen = remaining.remove(at: best).element
            kept.append(chosen)
            remaining.removeAll { $0.element.classIndex == chosen.classIndex && $0.element.box.iou(chosen.box) > iou }
        }
        return kept
    }

    @Test("class-wise NMS equals the slow reference on random boxes", arguments: [0.3, 0.5, 0.7] as [Float])
    func nmsMatchesReference(iou: Float) {
        var rng = PhiloxGenerator(seed: UInt64(iou * 100))
        for _ in 0..<20 {
            let count = 1 + index(below: 80, &rng)
            let detections = (0..<count).map { _ -> Detection in
                let x = rng.nextUniform() * 50, y = rng.nextUniform() * 50
                let w = 2 + rng.nextUniform() * 20, h = 2 + rng.nextUniform() * 20
                // Scores on a coarse grid, so ties occur and their order is tested too.
                return Detection(box: DetectionBox(xMin: x, yMin: y, xMax: x + w, yMax: y + h),
                                 classIndex: index(below: 3, &rng), score: Float(index(below: 20, &rng)) / 20)
            }
            #expect(nonMaximumSuppression(detections, iouThreshold: iou) == Self.referenceNMS(detections, iou: iou))
        }
    }

    /// A uniform integer in 0..<bound.
    func index(below bound: Int, _ rng: inout PhiloxGenerator) -> Int { min(bound - 1, Int(rng.nextUniform() * Float(bound))) }

    /// BCE on a logit, in Double.
    static func bce(_ x: Double, _ y: Double) -> Double { max(x, 0) - x * y + log(1 + exp(-abs(x))) }

    @Test("the loss equals a slow slot-by-slot sum of its definition")
    func lossMatchesDefinition() {
        let classes = 2, channels = 5 + classes
        var rng = PhiloxGenerator(seed: 11)
        let predictions = Tensor.normal([1, grid.slotCount, channels], std: 0.5, rng: &rng)
        let object = DetectionObject(box: DetectionBox(centerX: 40, centerY: 20, width: 20, height: 26), classIndex: 1)
        let terms = YOLOLoss(grid: grid, classCount: classes, ignoreIoU: 2)(predictions, objects: [[object]])  // ignore nothing
        let p = predictions.array.map(Double.init)
        var object0 = 0.0, box = 0.0, cls = 0.0
        for slot in 0..<grid.slotCount where slot != 52 { object0 += Self.bce(p[slot * channels + 4], 0) }
        let r = 52 * channels, w = 2 - 520.0 / 4096
        box = w * (Self.bce(p[r], 0.25) + Self.bce(p[r + 1], 0.625)
                   + pow(p[r + 2] - log(8320.0 / 8640.0), 2) + pow(p[r + 3], 2))
        object0 += Self.bce(p[r + 4], 1)
        cls = Self.bce(p[r + 5], 0) + Self.bce(p[r + 6], 1)
        #expect(abs(Double(terms.box.item) - box) < 1e-4)
        #expect(abs(Double(terms.objectness.item) - object0) < 1e-3)
        #expect(abs(Double(terms.classification.item) - cls) < 1e-4)
        #expect(abs(Double(terms.total.item) - (box + object0 + cls)) < 1e-3)
    }

    @Test("a slot whose prediction already overlaps an object leaves the objectness loss")
    func ignoredSlots() {
        let classes = 1, channels = 6
        var values = [Float](repeating: 0, count: grid.slotCount * channels)
        // The object is slot 52's anchor box at its cell centre, so it is assigned to slot 52.
        // Slot 51 (same cell, the smaller anchor (81, 82)) predicts the same box through its
        // size exponents; at zero offsets no other slot overlaps it above 0.5.
        let decoder = YOLODecoder(grid: grid, classCount: classes)
        let box = decoder.box(slot: 52, tx: 0, ty: 0, tw: 0, th: 0)
        let small = grid.anchor(scale: 1, 0)
        values[51 * channels + 2] = log(box.width / small.width)
        values[51 * channels + 3] = log(box.height / small.height)
        #expect(decoder.box(slot: 51, tx: 0, ty: 0, tw: values[51 * channels + 2], th: values[51 * channels + 3]).iou(box) > 0.999)
        let predictions = Tensor(values, shape: [1, grid.slotCount, channels])
        let object = DetectionObject(box: box, classIndex: 0)
        #expect(YOLOTargets(objects: [object], grid: grid).assignments.map(\.slot) == [52])
        let withIgnore = YOLOLoss(grid: grid, classCount: classes, ignoreIoU: 0.5)(predictions, objects: [[object]])
        let without = YOLOLoss(grid: grid, classCount: classes, ignoreIoU: 2)(predictions, objects: [[object]])
        // Exactly one BCE(0, 0) = log 2 term leaves the objectness sum.
        #expect(abs(without.objectness.item - withIgnore.objectness.item - Float(log(2.0))) < 1e-4)
        #expect(withIgnore.box.item == without.box.item && withIgnore.classification.item == without.classification.item)
    }

    @Test("the loss gradient matches finite differences")
    func lossGradient() {
        let classes = 3
        var rng = PhiloxGenerator(seed: 5)
        let predictions = Tensor.normal([2, grid.slotCount, 5 + classes], std: 0.7, rng: &rng)
        predictions.requiresGrad = true
        let objects: [[DetectionObject]] = [
            [DetectionObject(box: DetectionBox(centerX: 40, centerY: 20, width: 20, height: 26), classIndex: 2),
             DetectionObject(box: DetectionBox(centerX: 10, centerY: 50, width: 6, height: 9), classIndex: 0)],
            [DetectionObject(box: DetectionBox(centerX: 30, centerY: 30, width: 50, height: 40), classIndex: 1)],
        ]
        let loss = YOLOLoss(grid: grid, classCount: classes)
        let result = gradientCheck([predictions], step: 1e-2, maxElements: 400) { loss($0[0], objects: objects).total }
        #expect(result.maxError < 2e-3, "\(result)")
    }

    /// Two 64 × 64 images, each a bright square on black, with its box.
    static func squares() -> (images: Tensor, objects: [[DetectionObject]]) {
        var pixels = [Float](repeating: 0, count: 2 * 3 * 64 * 64)
        let boxes = [(10, 12, 34, 40), (30, 20, 60, 44)]
        for (n, b) in boxes.enumerated() {
            for c in 0..<3 { for y in b.1..<b.3 { for x in b.0..<b.2 { pixels[((n * 3 + c) * 64 + y) * 64 + x] = 1 } } }
        }
        let objects = boxes.enumerated().map { n, b in
            [DetectionObject(box: DetectionBox(xMin: Float(b.0), yMin: Float(b.1), xMax: Float(b.2), yMax: Float(b.3)), classIndex: n)]
        }
        return (Tensor(pixels, shape: [2, 3, 64, 64]), objects)
    }

    @Test("the spiking detector's output has one row per slot, and training steps lower its loss")
    func trainingStepLowersLoss() {
        var rng = PhiloxGenerator(seed: 1)
        let model = YOLOTiny(neuron: NeuronSpec(.lif, timeSteps: 2), numClasses: 2, imageSize: 64, width: 0.125, rng: &rng)
        let (images, objects) = Self.squares()
        let out = model(images)
        #expect(out.shape == [2, grid.slotCount, 7])
        let loss = YOLOLoss(grid: model.grid, classCount: 2)
        let optimizer = Adam(parameters: model.namedParameters(), lr: 1e-2)
        var values: [Float] = []
        for _ in 0..<3 {
            optimizer.zeroGrad()
            let terms = loss(model(images), objects: objects)
            values.append(terms.total.item)
            terms.total.backward()
            optimizer.step()
        }
        values.append(loss(model(images), objects: objects).total.item)
        #expect(values.allSatisfy { $0.isFinite })
        #expect(values.last! < values.first!, "losses \(values)")
    }

    @Test("yolo_tiny at width 1 with 10 classes has the layer-by-layer parameter count written out here")
    func parameterCount() {
        var rng = PhiloxGenerator(seed: 0)
        let model = YOLOTiny(neuron: NeuronSpec(.lif), numClasses: 10, imageSize: 416, rng: &rng)
        // Backbone: torchvision ResNet-18 without fc (11 689 512 − 513 000).
        let stem = 3 * 64 * 49 + 2 * 64
        let layer1 = 2 * (2 * 64 * 64 * 9 + 2 * 128)
        let layer2 = (64 * 128 * 9 + 128 * 128 * 9 + 64 * 128 + 3 * 256) + (2 * 128 * 128 * 9 + 2 * 256)
        let layer3 = (128 * 256 * 9 + 256 * 256 * 9 + 128 * 256 + 3 * 512) + (2 * 256 * 256 * 9 + 2 * 512)
        let layer4 = (256 * 512 * 9 + 512 * 512 * 9 + 256 * 512 + 3 * 1024) + (2 * 512 * 512 * 9 + 2 * 1024)
        #expect(stem + layer1 + layer2 + layer3 + layer4 == 11_176_512)
        // Neck and heads: conv weights, BN (2·C), prediction convs with bias, 3·(5 + 10) = 45 outputs.
        let lateral = 512 * 256 + 2 * 256, head32 = 256 * 512 * 9 + 2 * 512, out32 = 512 * 45 + 45
        let reduce = 256 * 128 + 2 * 128, head16 = (128 + 256) * 256 * 9 + 2 * 256, out16 = 256 * 45 + 45
        #expect(model.parameterCount == 11_176_512 + lateral + head32 + out32 + reduce + head16 + out16)
        #expect(model.parameterCount == 13_441_690)
    }
}
