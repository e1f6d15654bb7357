import Foundation
import SpikeTensor

/// Turns a detector's output `[N, slots, 5 + classes]` into scored boxes (YOLOv3's decoding):
///
///     centre = ((column + σ(tx)) · stride, (row + σ(ty)) · stride)
///     size   = (anchor w · e^tw, anchor h · e^th)          (tw, th clamped at 10 first)
///     score of class c = σ(objectness) · σ(class logit c)
///
/// Every (slot, class) pair scoring above `scoreThreshold` is a candidate (a slot may propose
/// several classes); candidates go through class-wise non-maximum suppression at `nmsIoU`, and
/// the `maxDetections` best survivors of the image are kept, highest score first.
public struct YOLODecoder: Sendable {
    public let grid: YOLOGrid
    public let classCount: Int
    public var scoreThreshold: Float
    public var nmsIoU: Float
    public var maxDetections: Int

    public init(grid: YOLOGrid, classCount: Int, scoreThreshold: Float = 0.01, nmsIoU: Float = 0.45, maxDetections: Int = 100) {
        precondition(classCount >= 1, "YOLODecoder: classCount must be positive, got \(classCount)")
        precondition(maxDetections >= 1, "YOLODecoder: maxDetections must be positive, got \(maxDetections)")
        self.grid = grid
        self.classCount = classCount
        self.scoreThreshold = scoreThreshold
        self.nmsIoU = nmsIoU
        self.maxDetections = maxDetections
    }

    /// Largest size exponent used, so a wild prediction cannot overflow to infinity.
    public static let maxExponent: Float = 10

    /// The box slot `slot` predicts from its raw outputs.
    public func box(slot: Int, tx: Float, ty: Float, tw: Float, th: Float) -> DetectionBox {
        let (scale, x, y, a) = grid.location(of: slot)
        let stride = Float(YOLOGrid.strides[scale]), anchor = grid.anchor(scale: scale, a)
        return DetectionBox(centerX: (Float(x) + sigmoid(tx)) * stride, centerY: (Float(y) + sigmoid(ty)) * stride,
                            width: anchor.width * Foundation.exp(min(tw, Self.maxExponent)),
                            height: anchor.height * Foundation.exp(min(th, Self.maxExponent)))
    }

    /// The detections of every image of `predictions`, each list highest score first.
    public func callAsFunction(_ predictions: Tensor) -> [[Detection]] {
        let channels = 5 + classCount
        precondition(predictions.rank == 3 && predictions.shape[1] == grid.slotCount && predictions.shape[2] == channels,
                     "YOLODecoder: predictions must be [N, \(grid.slotCount), \(channels)], got \(predictions.shape)")
        return withExtendedLifetime(predictions) {
            let p = predictions.floats
            return (0..<predictions.shape[0]).map { image in
                var candidates: [Detection] = []
                for slot in 0..<grid.slotCount {
                    let row = (image * grid.slotCount + slot) * channels
                    let objectness = sigmoid(p[row + 4])
                    guard objectness > scoreThreshold else { continue }   // every class score is below it
                    var box: DetectionBox?
                    for c in 0..<classCount {
                        let score = objectness * sigmoid(p[row + 5 + c])
                        guard score > scoreThreshold else { continue }
                        if box == nil { box = self.box(slot: slot, tx: p[row], ty: p[row + 1], tw: p[row + 2], th: p[row + 3]) }
                        candidates.append(Detection(box: box!, classIndex: c, score: score))
                    }
                }
                let kept = nonMaximumSuppression(candidates, iouThreshold: nmsIoU)
                return Array(kept.prefix(maxDetections))
            }
        }
    }
}

@inline(__always) private func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

/// Class-wise greedy non-maximum suppression: detections sorted by score (ties by their order
/// in the input), each kept unless a kept detection of the same class overlaps it with IoU
/// above `iouThreshold`. Returns the kept detections, highest score first.
public func nonMaximumSuppression(_ detections: [Detection], iouThreshold: Float) -> [Detection] {
    let order = detections.indices.sorted { a, b in
        detections[a].score != detections[b].score ? detections[a].score > detections[b].score : a < b
    }
    var keptByClass: [Int: [DetectionBox]] = [:]
    var kept: [Detection] = []
    for index in order {
        let candidate = detections[index]
        let same = keptByClass[candidate.classIndex, default: []]
        if same.contains(where: { $0.iou(candidate.box) > iouThreshold }) { continue }
        keptByClass[candidate.classIndex, default: []].append(candidate.box)
        kept.append(candidate)
    }
    return kept
}
