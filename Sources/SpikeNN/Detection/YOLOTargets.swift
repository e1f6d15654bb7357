import Foundation

/// Which prediction slot answers for which ground-truth object, and what it should output
/// (YOLOv3's assignment):
///
/// - each object goes to the one anchor (of all six) whose shape fits it best — the IoU of the
///   two boxes aligned at a corner — at the cell of that anchor's scale holding the object's
///   centre; a slot that two objects want keeps the first in annotation order, and the other
///   is counted in `unassigned`;
/// - the slot's targets are the centre's offset inside the cell, tx = cx/stride − column and
///   ty = cy/stride − row (the network predicts them through a sigmoid), the log size ratios
///   tw = log(w / anchor w), th = log(h / anchor h), objectness 1 and a one-hot class;
/// - every other slot has objectness target 0, except slots whose decoded prediction already
///   overlaps some object with IoU above `ignoreIoU` (0.5 in YOLOv3), which are left out of
///   the objectness loss.
public struct YOLOTargets: Sendable {
    /// One assigned slot.
    public struct Assignment: Sendable, Equatable {
        public var slot: Int
        /// Index of the object in the list given.
        public var object: Int
        public var tx: Float
        public var ty: Float
        public var tw: Float
        public var th: Float
        public var classIndex: Int
        /// YOLOv3's weight 2 − w·h / image area: small boxes count more.
        public var boxWeight: Float
    }

    /// Assigned slots, in object order.
    public var assignments: [Assignment]
    /// Objects that found their slot taken.
    public var unassigned: [Int]

    /// The assignment of `objects` (boxes in input pixels) on `grid`.
    public init(objects: [DetectionObject], grid: YOLOGrid) {
        var taken = Set<Int>()
        assignments = []
        unassigned = []
        let imageArea = Float(grid.imageSize * grid.imageSize)
        for (index, object) in objects.enumerated() {
            let box = object.box
            guard box.width > 0, box.height > 0 else { unassigned.append(index); continue }
            // Best anchor by corner-aligned IoU; ties keep the first (smallest) anchor.
            var best = 0, bestIoU: Float = -1
            for (k, anchor) in grid.anchors.enumerated() {
                let inter = min(box.width, anchor.width) * min(box.height, anchor.height)
                let iou = inter / (box.width * box.height + anchor.width * anchor.height - inter)
                if iou > bestIoU { best = k; bestIoU = iou }
            }
            let scale = best / YOLOGrid.anchorsPerScale, a = best % YOLOGrid.anchorsPerScale
            let stride = Float(YOLOGrid.strides[scale]), side = grid.sides[scale]
            let gx = box.centerX / stride, gy = box.centerY / stride
            let x = min(max(Int(gx.rounded(.down)), 0), side - 1)
            let y = min(max(Int(gy.rounded(.down)), 0), side - 1)
            let slot = grid.slot(scale: scale, x: x, y: y, anchor: a)
            guard taken.insert(slot).inserted else { unassigned.append(index); continue }
            let anchor = grid.anchors[best]
            assignments.append(Assignment(slot: slot, object: index,
                                          tx: min(max(gx - Float(x), 0), 1), ty: min(max(gy - Float(y), 0), 1),
                                          tw: Foundation.log(box.width / anchor.width), th: Foundation.log(box.height / anchor.height),
                                          classIndex: object.classIndex,
                                          boxWeight: 2 - box.width * box.height / imageArea))
        }
    }
}
