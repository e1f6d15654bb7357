import SpikeTensor

/// A segmentation dataset brought to one square size so its samples can be batched: every
/// image resized bilinearly (PyTorch's `interpolate(mode="bilinear", align_corners=False)`)
/// and every mask by nearest neighbour to `side`×`side`, decoded once at load time and held in
/// memory. Batches carry the resized masks `[N, side, side]` as labels (void pixels stay 255).
///
/// With `keepOriginalMasks`, each image's mask at its own size is kept too, so predictions can
/// be scored at the resolution of the truth masks (as `spikelab score segmentation` does).
public final class ResizedSegmentationSet: DenseLabelDataset {
    /// A mask at its image's own size.
    public struct OriginalMask: Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// One label per pixel, row-major (0 background, 1… classes, 255 void).
        public var labels: [UInt8]

        public init(width: Int, height: Int, labels: [UInt8]) {
            precondition(labels.count == width * height, "\(labels.count) labels for a \(width)×\(height) mask")
            self.width = width
            self.height = height
            self.labels = labels
        }
    }

    /// Side of the square images and masks served.
    public let side: Int
    /// Each sample's image identifier (its file stem).
    public let ids: [String]
    /// Class names of the source dataset, background first.
    public let classNames: [String]
    /// The largest label in any mask plus one (void excluded): the classes a model must predict.
    public let classCount: Int
    /// The original-size masks, when kept.
    public let originalMasks: [OriginalMask]?
    private let images: [Float]
    private let masks: [Int32]
    private let summaries: [Int32]

    /// Reads every sample of `source` now and resizes it; throws the source's `DataError` for a bad file.
    public init(_ source: any SegmentationDataset, side: Int, keepOriginalMasks: Bool = false) throws {
        precondition(side >= 1, "side must be positive, got \(side)")
        self.side = side
        classNames = source.classNames
        let plane = side * side
        var images = [Float](repeating: 0, count: source.count * 3 * plane)
        var masks = [Int32](repeating: 0, count: source.count * plane)
        var ids: [String] = [], originals: [OriginalMask] = [], summaries: [Int32] = []
        var largest: Int32 = -1
        for index in 0..<source.count {
            let sample = try source.sample(at: index)
            ids.append(sample.target.imageID)
            let image = sample.input
            precondition(image.rank == 3 && image.shape[0] == 3, "a segmentation image is [3, H, W], got \(image.shape)")
            let resized = upsampleBilinear2d(image.reshaped([1] + image.shape), size: (side, side))
            withExtendedLifetime(resized) {
                let values = resized.floats
                for i in 0..<3 * plane { images[index * 3 * plane + i] = values[i] }
            }
            let mask = sample.target.mask, height = mask.shape[0], width = mask.shape[1]
            let truth = Array(mask.int32s)
            var counts = [Int](repeating: 0, count: 256)
            for y in 0..<side {
                let sy = Swift.min(y * height / side, height - 1)
                for x in 0..<side {
                    let sx = Swift.min(x * width / side, width - 1)
                    let label = truth[sy * width + sx]
                    masks[index * plane + y * side + x] = label
                    if label != SegmentationTarget.void { counts[Int(label)] += 1 }
                }
            }
            for i in 0..<truth.count where truth[i] != SegmentationTarget.void { largest = Swift.max(largest, truth[i]) }
            summaries.append(Int32(counts.indices.max { counts[$0] < counts[$1] }!))
            if keepOriginalMasks {
                originals.append(OriginalMask(width: width, height: height, labels: truth.map { UInt8(truncatingIfNeeded: $0) }))
            }
        }
        self.ids = ids
        self.images = images
        self.masks = masks
        self.summaries = summaries
        classCount = Int(largest) + 1
        originalMasks = keepOriginalMasks ? originals : nil
    }

    public var count: Int { ids.count }
    public var inputShape: [Int] { [3, side, side] }
    public var labelShape: [Int] { [side, side] }

    /// The most common non-void label of the resized mask (a summary; batches carry the whole mask).
    public func label(at index: Int) -> Int32 { summaries[index] }

    public func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>) {
        let size = 3 * side * side
        images.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * size, count: size) }
    }

    public func writeLabels(at index: Int, to destination: UnsafeMutablePointer<Int32>) {
        let size = side * side
        masks.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * size, count: size) }
    }
}
