import SpikeTensor

/// What a detection batch knows beyond its images (`Batch.detection`).
public struct DetectionBatchTargets: Sendable {
    /// Each image's objects as the network sees them (letterboxed, flipped when `flipped`).
    public let targets: [DetectionTarget]
    /// How each original image was placed on the S × S canvas (before any flip).
    public let geometries: [ImageGeometry]
    /// Whether each image was mirrored left to right (training only).
    public let flipped: [Bool]
}

/// Seeded batches of a `DetectionDataset`: every image letterboxed into `imageSize ×
/// imageSize` (aspect kept, grey 0.5 padding, boxes mapped with it), in training optionally
/// mirrored left to right with its boxes (x → S − x), then `transforms` (normalisation).
///
/// Like `Batcher`, a batch is a function of (seed, epoch, batch index) alone: the order of an
/// epoch is a Philox permutation keyed by the seed and the epoch, each sample's flip draws
/// from a generator keyed by (epoch, sample index), so a resumed run sees the same batches.
/// Images are decoded when a batch is asked for (no prefetching).
public final class DetectionBatcher: BatchSource {
    public let dataset: any DetectionDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let imageSize: Int
    /// Probability of a horizontal flip (0 for evaluation).
    public let flipProbability: Float
    /// Applied to each letterboxed image (normalisation); must keep the shape.
    public let transforms: [any ImageTransform]
    /// Dataset indices drawn from (a fixed seeded subset, ascending), nil for all.
    public let subset: [Int]?
    public private(set) var position: BatcherPosition = .start
    private let permutationKey: UInt64
    private let augmentationKey: UInt64

    public init(dataset: any DetectionDataset, batchSize: Int, shuffle: Bool, subset: Int? = nil, seed: UInt64,
                imageSize: Int, flipProbability: Float = 0, transforms: [any ImageTransform] = []) {
        precondition(batchSize >= 1, "batch size must be at least 1, got \(batchSize)")
        precondition(dataset.count >= 1, "a detection dataset without images makes no batch")
        precondition((0...1).contains(flipProbability), "flip probability must be in [0, 1], got \(flipProbability)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.imageSize = imageSize
        self.flipProbability = flipProbability
        self.transforms = transforms
        if let subset, subset < dataset.count {
            var generator = PhiloxGenerator(seed: BatchPlan.key(seed: seed, tag: BatchPlan.subsetTag))
            self.subset = randomPermutation(count: dataset.count, prefix: subset, using: &generator).sorted().map(Int.init)
        } else {
            self.subset = nil
        }
        permutationKey = BatchPlan.key(seed: seed, tag: BatchPlan.permutationTag)
        augmentationKey = BatchPlan.key(seed: seed, tag: BatchPlan.augmentationTag)
    }

    /// Images per epoch.
    public var sampleCount: Int { subset?.count ?? dataset.count }
    /// Batches per epoch (the last one may be smaller).
    public var batchesPerEpoch: Int { (sampleCount + batchSize - 1) / batchSize }

    /// Dataset indices in the order epoch `epoch` visits them.
    public func epochOrder(_ epoch: Int) -> [Int] {
        let base = subset ?? Array(0..<dataset.count)
        guard shuffle else { return base }
        var generator = PhiloxGenerator(seed: permutationKey, stream: UInt64(epoch))
        return randomPermutation(count: base.count, using: &generator).map { base[Int($0)] }
    }

    /// Continues from `position` (its epoch's order, its batch cursor).
    public func restore(_ position: BatcherPosition) { self.position = position }

    /// Nothing runs in the background (images are read when a batch is asked for).
    public func stopPrefetching() {}

    /// The next batch of the current epoch, or nil when the epoch is done (the position then
    /// moves to the next epoch's start). Throws when an image cannot be read.
    public func next() throws -> Batch? {
        guard position.cursor < batchesPerEpoch else {
            position = BatcherPosition(epoch: position.epoch + 1, cursor: 0)
            return nil
        }
        let batch = try self.batch(epoch: position.epoch, index: position.cursor)
        position.cursor += 1
        return batch
    }

    /// Batch `index` of `epoch`.
    public func batch(epoch: Int, index: Int) throws -> Batch {
        let order = epochOrder(epoch)
        let indices = Array(order[(index * batchSize)..<min(order.count, (index + 1) * batchSize)])
        let side = imageSize, plane = 3 * side * side
        let inputs = Tensor(shape: [indices.count, 3, side, side], uninitialized: true)
        var targets: [DetectionTarget] = [], geometries: [ImageGeometry] = [], flipped: [Bool] = []
        for (row, sampleIndex) in indices.enumerated() {
            let sample = try dataset.sample(at: sampleIndex)
            precondition(sample.input.rank == 3 && sample.input.shape[0] == 3,
                         "detection images are [3, H, W], got \(sample.input.shape) for sample \(sampleIndex)")
            let (placed, geometry) = sample.letterboxed(size: side)
            var generator = PhiloxGenerator(seed: augmentationKey, stream: UInt64(truncatingIfNeeded: epoch) << 32 | UInt64(sampleIndex))
            var image = placed.input, target = placed.target
            // One draw per sample whether or not it flips, so the stream use is fixed.
            let flip = flipProbability > 0 && generator.nextUniform() < flipProbability
            if flip {
                image = HorizontalFlip(probability: 1)(image, using: &generator)
                target.boxes = target.boxes.map { BoundingBox(xMin: Float(side) - $0.xMax, yMin: $0.yMin, xMax: Float(side) - $0.xMin, yMax: $0.yMax) }
            }
            for transform in transforms { image = transform(image, using: &generator) }
            precondition(image.shape == [3, side, side], "detection transforms must keep the image shape, got \(image.shape)")
            withExtendedLifetime(image) {
                (inputs.floats.baseAddress! + row * plane).update(from: image.floats.baseAddress!, count: plane)
            }
            targets.append(target)
            geometries.append(geometry)
            flipped.append(flip)
        }
        // labels: the number of objects of each image (the boxes are in `detection`).
        return Batch(inputs: inputs, labels: Tensor(int32: targets.map { Int32($0.count) }), epoch: epoch, index: index,
                     sampleIndices: indices,
                     detection: DetectionBatchTargets(targets: targets, geometries: geometries, flipped: flipped))
    }
}
