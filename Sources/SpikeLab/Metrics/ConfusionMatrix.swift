import Foundation

/// A semantic-segmentation confusion matrix: `counts[truth * classCount + predicted]` pixels,
/// void pixels (truth 255) left out, and the metrics read from it.
///
/// Conventions follow the common VOC/Cityscapes evaluators (mmsegmentation, the DeepLab
/// scripts): IoU of class c = TP / (TP + FP + FN); mIoU and mean class accuracy average the
/// classes whose value is defined (IoU: the class occurs in truth or prediction; accuracy:
/// the class occurs in truth); pixel accuracy = correct / counted pixels.
public struct ConfusionMatrix: Sendable, Equatable {
    /// The truth label that counts for nothing.
    public static let void: UInt8 = 255

    public let classCount: Int
    /// Row-major `[truth][predicted]` pixel counts.
    public private(set) var counts: [Int]

    public init(classCount: Int) {
        precondition((1...255).contains(classCount), "1…255 classes (255 is void), got \(classCount)")
        self.classCount = classCount
        counts = [Int](repeating: 0, count: classCount * classCount)
    }

    /// Where a mask pair has a value out of range.
    public struct OutOfRange: Error, Equatable, Sendable {
        /// true: in the truth; false: in the prediction.
        public var inTruth: Bool
        public var x: Int
        public var y: Int
        public var value: UInt8
    }

    /// Adds one image's `width × height` truth and predicted labels (row by row). Truth must
    /// be a class or void; where truth is not void, the prediction must be a class.
    public mutating func add(truth: [UInt8], predicted: [UInt8], width: Int) throws(OutOfRange) {
        precondition(truth.count == predicted.count && width > 0 && truth.count % width == 0, "masks of one size")
        let k = classCount
        for p in 0..<truth.count {
            let t = truth[p]
            if t == Self.void { continue }
            guard Int(t) < k else { throw OutOfRange(inTruth: true, x: p % width, y: p / width, value: t) }
            let q = predicted[p]
            guard Int(q) < k else { throw OutOfRange(inTruth: false, x: p % width, y: p / width, value: q) }
            counts[Int(t) * k + Int(q)] += 1
        }
    }

    /// Pixels counted (not void).
    public var total: Int { counts.reduce(0, +) }
    /// Truth pixels of class c.
    public func truthCount(_ c: Int) -> Int { (0..<classCount).reduce(0) { $0 + counts[c * classCount + $1] } }
    /// Pixels predicted as class c.
    public func predictedCount(_ c: Int) -> Int { (0..<classCount).reduce(0) { $0 + counts[$1 * classCount + c] } }
    /// Pixels of class c predicted as c.
    public func hits(_ c: Int) -> Int { counts[c * classCount + c] }

    /// IoU per class; nil when the class is in neither truth nor prediction.
    public var classIoU: [Double?] {
        (0..<classCount).map { c in
            let union = truthCount(c) + predictedCount(c) - hits(c)
            return union > 0 ? Double(hits(c)) / Double(union) : nil
        }
    }

    /// Accuracy (recall) per class; nil when the class is not in the truth.
    public var classAccuracy: [Double?] {
        (0..<classCount).map { c in truthCount(c) > 0 ? Double(hits(c)) / Double(truthCount(c)) : nil }
    }

    /// Mean of the defined class IoUs (nil when none is).
    public var meanIoU: Double? { mean(classIoU) }
    /// Mean of the defined class accuracies.
    public var meanClassAccuracy: Double? { mean(classAccuracy) }
    /// Correct pixels over counted pixels (nil when every pixel is void).
    public var pixelAccuracy: Double? {
        total > 0 ? Double((0..<classCount).reduce(0) { $0 + hits($1) }) / Double(total) : nil
    }

    private func mean(_ values: [Double?]) -> Double? {
        let defined = values.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}
