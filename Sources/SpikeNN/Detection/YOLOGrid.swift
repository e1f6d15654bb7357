/// Where each prediction slot of a YOLO-style detector sits: two output scales (strides 16
/// and 32, YOLOv3-tiny's), three anchors per scale, one slot per (cell, anchor).
///
/// Anchors are YOLOv3-tiny's six priors for a 416-pixel input,
/// (10,14) (23,27) (37,58) at stride 16 and (81,82) (135,169) (344,319) at stride 32 — the
/// split of Ultralytics' `yolov3-tiny.yaml` — scaled by `imageSize / 416`, so they keep the
/// same fraction of the image at any input size.
///
/// Slots are ordered scale by scale (stride 16 first), then row, column, anchor: slot
/// `offset[s] + (y · w + x) · 3 + a`. The detector's output `[N, slots, 5 + classes]` uses
/// this order; channel 0–3 of a slot are (tx, ty, tw, th), 4 the objectness logit, then one
/// logit per class (Darknet's order).
public struct YOLOGrid: Sendable, Equatable {
    /// YOLOv3-tiny's anchors (width, height) in pixels of a 416 × 416 input, smallest first.
    public static let tinyAnchors416: [(Float, Float)] = [(10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319)]
    /// Strides of the two output scales.
    public static let strides = [16, 32]
    /// Anchors per scale.
    public static let anchorsPerScale = 3

    /// Side of the square input image in pixels (a multiple of 32).
    public let imageSize: Int
    /// Anchor (width, height) in input pixels, `anchorsPerScale` per scale, scale by scale.
    public let anchors: [DetectionBox]
    /// Cells per side of each scale.
    public let sides: [Int]
    /// First slot of each scale.
    public let offsets: [Int]
    /// Total slots per image.
    public let slotCount: Int

    public static func == (a: YOLOGrid, b: YOLOGrid) -> Bool { a.imageSize == b.imageSize }

    /// The grid of a `imageSize × imageSize` input.
    public init(imageSize: Int) {
        precondition(imageSize >= 32 && imageSize % 32 == 0, "YOLOGrid: the image size must be a positive multiple of 32, got \(imageSize)")
        self.imageSize = imageSize
        let scale = Float(imageSize) / 416
        anchors = Self.tinyAnchors416.map { DetectionBox(xMin: 0, yMin: 0, xMax: $0.0 * scale, yMax: $0.1 * scale) }
        sides = Self.strides.map { imageSize / $0 }
        var offsets: [Int] = [], total = 0
        for side in sides {
            offsets.append(total)
            total += side * side * Self.anchorsPerScale
        }
        self.offsets = offsets
        slotCount = total
    }

    /// What slot `slot` is: its scale, cell column and row, and anchor index within the scale.
    public func location(of slot: Int) -> (scale: Int, x: Int, y: Int, anchor: Int) {
        precondition((0..<slotCount).contains(slot), "YOLOGrid: slot \(slot) outside 0..<\(slotCount)")
        let scale = offsets.lastIndex { $0 <= slot }!
        let local = slot - offsets[scale]
        let cell = local / Self.anchorsPerScale
        return (scale, cell % sides[scale], cell / sides[scale], local % Self.anchorsPerScale)
    }

    /// The slot of (scale, column, row, anchor).
    public func slot(scale: Int, x: Int, y: Int, anchor: Int) -> Int {
        offsets[scale] + (y * sides[scale] + x) * Self.anchorsPerScale + anchor
    }

    /// The anchor box (width, height in `xMax`, `yMax`) of anchor `anchor` of `scale`.
    public func anchor(scale: Int, _ anchor: Int) -> DetectionBox { anchors[scale * Self.anchorsPerScale + anchor] }
}
