import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

@Suite("Resizing and letterboxing of images, boxes and masks")
struct GeometryTests {
    @Test("bilinear resize with half-pixel centres: halving averages pixel pairs, constants stay constant")
    func bilinear() {
        // 1×2×4 row pair: halving the width samples source x 0.5 and 2.5 → the means of (0, 1) and (2, 3).
        let image = Tensor([0, 10, 20, 40, 1, 2, 3, 4], shape: [1, 2, 4])
        let half = floatsOf(resizeBilinear(image, height: 2, width: 2))
        #expect(half == [5, 30, 1.5, 3.5])
        // Doubling: output x samples (x + 0.5)/2 − 0.5 → −0.25 (clamped to 0), 0.25, 0.75, 1.25, …
        let row = Tensor([0, 8], shape: [1, 1, 2])
        #expect(floatsOf(resizeBilinear(row, height: 1, width: 4)) == [0, 2, 6, 8])
        let flat = Tensor([Float](repeating: 0.3, count: 3 * 5 * 7), shape: [3, 5, 7])
        #expect(floatsOf(resizeBilinear(flat, height: 11, width: 3)).allSatisfy { abs($0 - 0.3) < 1e-6 })
    }

    @Test("nearest resize of a mask never blends labels")
    func nearestMask() {
        let mask = Tensor(int32: [1, 2, 3, 4], shape: [2, 2])
        #expect(intsOf(resizeNearest(mask, height: 4, width: 4)) == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        #expect(intsOf(resizeNearest(Tensor(int32: [5, 6, 7], shape: [1, 3]), height: 1, width: 2)) == [5, 7])
    }

    @Test("letterboxing a 100×50 image into 64: scale 0.64, centred, boxes and masks follow, padding void")
    func letterbox() {
        let g = ImageGeometry.letterbox(width: 100, height: 50, size: 64)
        #expect(g.contentWidth == 64 && g.contentHeight == 32 && g.offsetX == 0 && g.offsetY == 16)
        let box = BoundingBox(xMin: 10, yMin: 5, xMax: 60, yMax: 45)
        let mapped = g.map(box)
        #expect(abs(mapped.xMin - 6.4) < 1e-4 && abs(mapped.yMin - 19.2) < 1e-4 && abs(mapped.xMax - 38.4) < 1e-4
            && abs(mapped.yMax - 44.8) < 1e-4, "\(mapped)")
        let back = g.unmap(g.map(box))
        #expect(abs(back.xMin - 10) < 1e-4 && abs(back.yMax - 45) < 1e-4)

        let image = Tensor([Float](repeating: 1, count: 3 * 50 * 100), shape: [3, 50, 100])
        let target = DetectionTarget(imageID: "a", imageWidth: 100, imageHeight: 50, boxes: [box], classes: [3])
        let (boxed, geometry) = Sample(input: image, target: target).letterboxed(size: 64, fill: 0.5)
        #expect(geometry == g && boxed.input.shape == [3, 64, 64] && boxed.target.imageWidth == 64)
        let pixels = floatsOf(boxed.input)
        #expect(pixels[0] == 0.5 && pixels[16 * 64] == 1 && pixels[47 * 64 + 63] == 1 && pixels[48 * 64] == 0.5)
        #expect(boxed.target.boxes == [g.map(box)] && boxed.target.classes == [3])

        let mask = Tensor(int32: [Int32](repeating: 7, count: 50 * 100), shape: [50, 100])
        let seg = Sample(input: image, target: SegmentationTarget(imageID: "a", mask: mask)).letterboxed(size: 64).sample
        let labels = intsOf(seg.target.mask)
        #expect(seg.target.mask.shape == [64, 64] && labels[0] == 255 && labels[20 * 64 + 5] == 7 && labels[63 * 64] == 255)
    }

    @Test("plain resizing stretches boxes by the two scales")
    func resize() {
        let image = Tensor([Float](repeating: 0, count: 3 * 10 * 20), shape: [3, 10, 20])
        let target = DetectionTarget(imageID: "a", imageWidth: 20, imageHeight: 10,
                                     boxes: [BoundingBox(xMin: 2, yMin: 1, xMax: 10, yMax: 9)], classes: [0])
        let out = Sample(input: image, target: target).resized(width: 40, height: 5)
        #expect(out.input.shape == [3, 5, 40])
        #expect(out.target.boxes == [BoundingBox(xMin: 4, yMin: 0.5, xMax: 20, yMax: 4.5)])
        #expect(BoundingBox(xMin: 0, yMin: 0, xMax: 2, yMax: 2).iou(BoundingBox(xMin: 1, yMin: 0, xMax: 3, yMax: 2)) == Float(2) / 6)
    }

    @Test("the Resize transform is the bilinear kernel, and the identity at the same size")
    func resizeTransform() {
        var g = PhiloxGenerator(seed: 1)
        let image = Tensor([0, 10, 20, 40, 1, 2, 3, 4], shape: [1, 2, 4])
        #expect(floatsOf(Resize(height: 2, width: 2)(image, using: &g)) == [5, 30, 1.5, 3.5])
        #expect(floatsOf(Resize(height: 2, width: 4)(image, using: &g)) == floatsOf(image))
    }
}
