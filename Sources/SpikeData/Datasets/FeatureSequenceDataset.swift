import Foundation

/// Samples held in memory as Float feature sequences `[T, F]` (one F-vector per time step,
/// e.g. log-mel frames) with Int32 class labels.
public final class FeatureSequenceDataset: ClassificationDataset, @unchecked Sendable {
    // @unchecked: nothing is written after init, so concurrent reads are safe.

    /// Where the data came from (for messages).
    public let name: String
    public let count: Int
    public let classCount: Int
    /// Class names, index = label.
    public let classNames: [String]
    /// `[T, F]`.
    public let inputShape: [Int]
    /// Every sample's features, row-major `[count, T, F]`.
    public let features: [Float]
    private let labels: [Int32]

    /// A dataset over `features` (`count × T × F` floats, sample-major) and `labels`.
    public init(name: String, features: [Float], labels: [Int32], timeSteps: Int, featureCount: Int,
                classCount: Int, classNames: [String] = []) {
        precondition(features.count == labels.count * timeSteps * featureCount,
                     "FeatureSequenceDataset: \(features.count) floats for \(labels.count) samples of [\(timeSteps), \(featureCount)]")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classCount }, "labels must lie in 0..<\(classCount)")
        self.name = name
        self.features = features
        self.labels = labels
        self.count = labels.count
        self.classCount = classCount
        self.classNames = classNames
        self.inputShape = [timeSteps, featureCount]
    }

    public func label(at index: Int) -> Int32 {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return labels[index]
    }

    public func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        let size = inputShape[0] * inputShape[1]
        features.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * size, count: size) }
    }

    /// The labels as an array.
    public var labelArray: [Int32] { labels }
}
