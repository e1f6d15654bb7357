import SpikeTensor

/// A classification dataset of images `[C, H, W]` served as sequences of their columns
/// `[W, C·H]` (see `ImageColumns` for the exact layout): sequential CIFAR is CIFAR through this view.
///
/// The labels and the underlying bytes are the wrapped dataset's; nothing is copied.
public struct SequentialImageDataset: ClassificationDataset {
    /// The images being viewed.
    public let images: any ClassificationDataset
    public var count: Int { images.count }
    public var classCount: Int { images.classCount }
    /// `[W, C·H]`: T = W steps of C·H features.
    public let inputShape: [Int]

    /// The column view of `images`, whose inputs must be `[C, H, W]`.
    public init(_ images: any ClassificationDataset) {
        precondition(images.inputShape.count == 3, "a column view needs [C, H, W] images, got \(images.inputShape)")
        self.images = images
        inputShape = ImageColumns().outputShape(for: images.inputShape)
    }

    public func label(at index: Int) -> Int32 { images.label(at: index) }

    public func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>) {
        let shape = images.inputShape
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: shape.reduce(1, *))
        defer { scratch.deallocate() }
        images.writeInput(at: index, to: scratch)
        ImageColumns.columns(scratch, shape: shape, to: destination)
    }
}

/// Sequential CIFAR-10/100 (the PSN and PSU papers' `sCIFAR`): CIFAR images read one column
/// per time step, T = 32, each sample Float `[32, 96]` with element `[t, c·32 + h]` = pixel
/// `[c, h, t]` in [0, 1]. Files are the CIFAR binary files (`CIFAR10`, `CIFAR100`).
public enum SequentialCIFAR {
    /// The `split` of sequential CIFAR-10 (`classes` 10) or CIFAR-100 (100, fine labels) under `root`.
    public static func load(root: String, split: DataSplit, classes: Int) throws -> SequentialImageDataset {
        precondition(classes == 10 || classes == 100, "sequential CIFAR has 10 or 100 classes, not \(classes)")
        let images: ByteImageDataset = classes == 10
            ? try CIFAR10.load(root: root, split: split)
            : try CIFAR100.load(root: root, split: split)
        return SequentialImageDataset(images)
    }
}
