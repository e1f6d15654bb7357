import SpikeTensor

/// One sample of a dataset: an input tensor and its target.
///
/// `Target` is `Int32` (a class index) for classification; detection and segmentation
/// datasets use their own target types (boxes with classes, masks).
public struct Sample<Target> {
    /// The input, e.g. a Float image `[C, H, W]`.
    public var input: Tensor
    /// What the model should predict for `input`.
    public var target: Target

    /// A sample of `input` and `target`.
    public init(input: Tensor, target: Target) {
        self.input = input
        self.target = target
    }
}

extension Sample where Target == Int32 {
    /// The class index of a classification sample.
    public var label: Int32 { target }
}

/// A finite collection of samples addressed by index `0..<count`.
///
/// Datasets are read-only after loading, so batchers may read them from a background thread.
public protocol Dataset: Sendable {
    /// What each sample's input is labelled with.
    associatedtype Target
    /// Number of samples.
    var count: Int { get }
    /// Sample `index` (a fresh tensor the caller may modify).
    func sample(at index: Int) -> Sample<Target>
}

/// A classification dataset whose inputs share one shape and are served as Float.
public protocol ClassificationDataset: Dataset where Target == Int32 {
    /// Shape of every input, e.g. `[C, H, W]`.
    var inputShape: [Int] { get }
    /// Number of classes; labels lie in `0..<classCount`.
    var classCount: Int { get }
    /// Class index of sample `index`.
    func label(at index: Int) -> Int32
    /// Writes the Float input of sample `index` (`inputShape` elements) to `destination`.
    func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>)
}

extension ClassificationDataset {
    public func sample(at index: Int) -> Sample<Int32> {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        let input = Tensor(shape: inputShape, uninitialized: true)
        writeInput(at: index, to: input.floats.baseAddress!)
        return Sample(input: input, target: label(at: index))
    }
}

/// A dataset whose every sample is labelled with a fixed-shape Int32 array instead of one
/// class index, e.g. a segmentation mask `[H, W]`: batches then carry labels `[N] + labelShape`.
/// `label(at:)` stays a one-number summary of the sample (for reports); batches use `writeLabels`.
public protocol DenseLabelDataset: ClassificationDataset {
    /// Shape of every sample's labels, e.g. `[H, W]`.
    var labelShape: [Int] { get }
    /// Writes the labels of sample `index` (`labelShape` elements) to `destination`.
    func writeLabels(at index: Int, to destination: UnsafeMutablePointer<Int32>)
}

/// Which part of a dataset to load.
public enum DataSplit: String, Sendable, CaseIterable {
    case train, test
}
