import Foundation
import SpikeTensor

/// YOLOv3's loss on a detector's output `[N, slots, 5 + classes]` (slot order and channels as
/// in `YOLOGrid`), summed over slots and averaged over the N images:
///
///     box    = Σ_assigned w · [BCE(tx̂, tx) + BCE(tŷ, ty) + (tŵ − tw)² + (tĥ − th)²],  w = 2 − w·h/area
///     object = Σ_assigned BCE(ô, 1) + Σ_unassigned, not ignored BCE(ô, 0)
///     class  = Σ_assigned Σ_c BCE(ĉ_c, onehot_c)          (independent sigmoids, as YOLOv3)
///     loss   = (box + object + class) / N
///
/// BCE is on logits (`bceWithLogitsLoss`), so the centre offsets go through a sigmoid exactly
/// as the decoder reads them. Targets and the ignore rule are `YOLOTargets`'. Only composed
/// autograd ops are used; the gradient check in the tests compares it with finite differences.
public struct YOLOLoss: Sendable {
    /// The grid the detector predicts on.
    public let grid: YOLOGrid
    /// Object classes.
    public let classCount: Int
    /// Unassigned slots whose decoded box overlaps an object above this IoU leave the objectness loss.
    public let ignoreIoU: Float

    public init(grid: YOLOGrid, classCount: Int, ignoreIoU: Float = 0.5) {
        precondition(classCount >= 1, "YOLOLoss: classCount must be positive, got \(classCount)")
        self.grid = grid
        self.classCount = classCount
        self.ignoreIoU = ignoreIoU
    }

    /// The loss and its three parts (each already divided by N).
    public struct Terms {
        public var total: Tensor
        public var box: Tensor
        public var objectness: Tensor
        public var classification: Tensor
    }

    /// The loss of `predictions` `[N, slots, 5 + classes]` for `objects` (one list per image,
    /// boxes in input pixels).
    public func callAsFunction(_ predictions: Tensor, objects: [[DetectionObject]]) -> Terms {
        let channels = 5 + classCount
        precondition(predictions.rank == 3 && predictions.shape[1] == grid.slotCount && predictions.shape[2] == channels,
                     "YOLOLoss: predictions must be [N, \(grid.slotCount), \(channels)], got \(predictions.shape)")
        let n = predictions.shape[0]
        precondition(objects.count == n, "YOLOLoss: \(objects.count) object lists for \(n) images")
        let targets = Tensor.zeros(predictions.shape)
        let xyWeight = Tensor.zeros(predictions.shape), whWeight = Tensor.zeros(predictions.shape)
        let objectWeight = Tensor.zeros(predictions.shape), classWeight = Tensor.zeros(predictions.shape)
        let t = targets.floats, wxy = xyWeight.floats, wwh = whWeight.floats
        let wo = objectWeight.floats, wc = classWeight.floats
        let decoder = YOLODecoder(grid: grid, classCount: classCount)
        withExtendedLifetime(predictions) {
            let p = predictions.floats
            for image in 0..<n {
                let list = objects[image]
                let base = image * grid.slotCount * channels
                // Negatives first: objectness 0 unless the slot's box already fits an object.
                for slot in 0..<grid.slotCount {
                    let row = base + slot * channels
                    var ignored = false
                    if !list.isEmpty {
                        let box = decoder.box(slot: slot, tx: p[row], ty: p[row + 1], tw: p[row + 2], th: p[row + 3])
                        ignored = list.contains { $0.box.iou(box) > ignoreIoU }
                    }
                    wo[row + 4] = ignored ? 0 : 1
                }
                for a in YOLOTargets(objects: list, grid: grid).assignments {
                    precondition((0..<classCount).contains(a.classIndex),
                                 "YOLOLoss: object class \(a.classIndex) outside 0..<\(classCount)")
                    let row = base + a.slot * channels
                    t[row] = a.tx; t[row + 1] = a.ty; t[row + 2] = a.tw; t[row + 3] = a.th
                    wxy[row] = a.boxWeight; wxy[row + 1] = a.boxWeight
                    wwh[row + 2] = a.boxWeight; wwh[row + 3] = a.boxWeight
                    t[row + 4] = 1; wo[row + 4] = 1
                    for c in 0..<classCount { wc[row + 5 + c] = 1 }
                    t[row + 5 + a.classIndex] = 1
                }
            }
        }
        let bce = bceWithLogitsLoss(predictions, targets, reduction: .none)
        let squared = (predictions - targets).square()
        let scale = 1 / Float(n)
        let box = ((bce * xyWeight).sum() + (squared * whWeight).sum()) * scale
        let objectness = (bce * objectWeight).sum() * scale
        let classification = (bce * classWeight).sum() * scale
        return Terms(total: box + objectness + classification, box: box, objectness: objectness, classification: classification)
    }
}
