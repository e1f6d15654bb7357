import SpikeTensor

/// Images held in memory as bytes (`[N, C, H, W]` UInt8) with Int32 class labels, served
/// as Float `[C, H, W]` in [0, 1] (byte / 255, as torchvision's `ToTensor`).
public final class ByteImageDataset: ClassificationDataset, @unchecked Sendable {
    // @unchecked: the tensors are never written after init, so concurrent reads are safe.

    /// Where the data came from (for messages), e.g. "fashion-mnist train".
    public let name: String
    /// All images, UInt8 `[N, C, H, W]`.
    public let images: Tensor
    /// All labels, Int32 `[N]`.
    public let labels: Tensor
    public let classCount: Int
    /// Human-readable class names (empty when unknown).
    public let classNames: [String]
    public let inputShape: [Int]
    public let count: Int
    private let imageBytes: UnsafeMutablePointer<UInt8>
    private let labelValues: UnsafeMutablePointer<Int32>
    private let sampleSize: Int

    /// A dataset over `images` (UInt8 `[N, C, H, W]`) and `labels` (Int32 `[N]`, each in `0..<classCount`).
    public init(name: String, images: Tensor, labels: Tensor, classCount: Int, classNames: [String] = []) {
        precondition(images.dtype == .uint8 && images.rank == 4,
                     "images must be UInt8 [N, C, H, W], got \(images.dtype) \(images.shape)")
        precondition(labels.dtype == .int32 && labels.shape == [images.shape[0]],
                     "labels must be Int32 [\(images.shape[0])], got \(labels.dtype) \(labels.shape)")
        precondition(classNames.isEmpty || classNames.count == classCount,
                     "\(classNames.count) class names for \(classCount) classes")
        precondition(labels.int32s.allSatisfy { $0 >= 0 && Int($0) < classCount },
                     "labels must lie in 0..<\(classCount)")
        self.name = name
        self.images = images
        self.labels = labels
        self.classCount = classCount
        self.classNames = classNames
        count = images.shape[0]
        inputShape = Array(images.shape.dropFirst())
        imageBytes = images.uint8s.baseAddress!
        labelValues = labels.int32s.baseAddress!
        sampleSize = images.count / max(count, 1)
    }

    public func label(at index: Int) -> Int32 {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return labelValues[index]
    }

    public func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        let source = imageBytes + index * sampleSize
        // A plain loop: the compiler vectorises the byte → float conversion and division.
        for i in 0..<sampleSize {
            destination[i] = Float(source[i]) / 255
        }
    }

    /// The labels as an array (for histograms and checks).
    public var labelArray: [Int32] { Array(labels.int32s) }
}

/// Throws unless every label lies in `0..<classCount`, naming the file and the first bad record.
func validateLabels(_ labels: Tensor, classCount: Int, file: String) throws {
    for (i, label) in labels.int32s.enumerated() where label < 0 || Int(label) >= classCount {
        throw DataError.inconsistent(file: file, reason: "record \(i) has label \(label), expected 0..<\(classCount)")
    }
}
