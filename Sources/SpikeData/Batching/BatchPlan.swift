import SpikeTensor

/// Everything needed to build any batch from (epoch, batch index) alone, with no state:
/// the sample order of an epoch and each sample's augmentation randomness are functions of
/// the seed, so batches are identical whichever thread builds them and in whatever order.
struct BatchPlan: Sendable {
    let dataset: any ClassificationDataset
    let pipeline: TransformPipeline
    let batchSize: Int
    let dropLast: Bool
    let shuffle: Bool
    /// Whether batches of samples [T, ...] are delivered time-major, [T, N, ...].
    let timeMajor: Bool
    /// Dataset indices the batcher draws from (a fixed subset, ascending), nil for all.
    let subset: [Int32]?
    let sampleCount: Int
    let batchesPerEpoch: Int
    let inputShape: [Int]
    let sampleShape: [Int]
    let scratchCount: Int
    let permutationKey: UInt64
    let augmentationKey: UInt64

    // Each use of the seed gets its own Philox key, so the streams below never overlap.
    static let permutationTag: UInt64 = 1, subsetTag: UInt64 = 2, augmentationTag: UInt64 = 3

    /// A Philox key derived from `seed` for one purpose (SplitMix64 finaliser of seed and tag).
    static func key(seed: UInt64, tag: UInt64) -> UInt64 {
        var z = seed &+ tag &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    init(dataset: any ClassificationDataset, batchSize: Int, shuffle: Bool, dropLast: Bool,
         subset: Int?, seed: UInt64, transforms: [any ImageTransform], timeMajor: Bool = false) {
        precondition(batchSize >= 1, "batch size must be at least 1, got \(batchSize)")
        precondition(subset.map { $0 >= 1 } ?? true, "subset must be at least 1 sample, got \(subset!)")
        self.dataset = dataset
        self.pipeline = TransformPipeline(transforms)
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.shuffle = shuffle
        self.timeMajor = timeMajor
        if let subset, subset < dataset.count {
            // The first `subset` entries of a seeded permutation: the same samples every epoch.
            var generator = PhiloxGenerator(seed: Self.key(seed: seed, tag: Self.subsetTag))
            self.subset = randomPermutation(count: dataset.count, prefix: subset, using: &generator).sorted()
        } else {
            self.subset = nil
        }
        sampleCount = self.subset?.count ?? dataset.count
        batchesPerEpoch = dropLast ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize
        precondition(batchesPerEpoch > 0,
                     "\(sampleCount) samples make no batch of \(batchSize) with drop_last; lower the batch size")
        inputShape = dataset.inputShape
        sampleShape = pipeline.outputShape(for: inputShape)
        scratchCount = pipeline.largestElementCount(for: inputShape)
        precondition(!timeMajor || sampleShape.count >= 1, "time-major batches need samples [T, ...], got shape \(sampleShape)")
        permutationKey = Self.key(seed: seed, tag: Self.permutationTag)
        augmentationKey = Self.key(seed: seed, tag: Self.augmentationTag)
    }

    /// Dataset indices in the order epoch `epoch` visits them.
    func order(epoch: Int) -> [Int32] {
        precondition(epoch >= 0, "epoch must not be negative, got \(epoch)")
        let base = subset ?? (0..<Int32(dataset.count)).map { $0 }
        guard shuffle else { return base }
        // The permutation of epoch e depends only on (seed, e), never on earlier epochs.
        var generator = PhiloxGenerator(seed: permutationKey, stream: UInt64(epoch))
        let permutation = randomPermutation(count: base.count, using: &generator)
        return permutation.map { base[Int($0)] }
    }

    /// The generator for the augmentations of sample `index` in `epoch`.
    func augmentationGenerator(epoch: Int, index: Int) -> PhiloxGenerator {
        PhiloxGenerator(seed: augmentationKey, stream: UInt64(truncatingIfNeeded: epoch) << 32 | UInt64(index))
    }

    /// Batch `index` of `epoch`, given that epoch's `order`.
    func makeBatch(epoch: Int, index: Int, order: [Int32]) -> Batch {
        precondition(index >= 0 && index < batchesPerEpoch,
                     "batch \(index) out of range 0..<\(batchesPerEpoch)")
        let start = index * batchSize
        let end = min(start + batchSize, order.count)
        let n = end - start
        let sampleSize = sampleShape.reduce(1, *)
        let inputs = Tensor(shape: [n] + sampleShape, uninitialized: true)
        let dense = dataset as? any DenseLabelDataset
        let labelShape = dense?.labelShape ?? []
        let labels = Tensor(shape: [n] + labelShape, dtype: .int32, uninitialized: true)
        let out = inputs.floats.baseAddress!, labelOut = labels.int32s.baseAddress!
        var indices = [Int](repeating: 0, count: n)
        if pipeline.transforms.isEmpty {
            for k in 0..<n {
                let i = Int(order[start + k])
                indices[k] = i
                dataset.writeInput(at: i, to: out + k * sampleSize)
                writeLabels(i, to: labelOut, row: k, dense: dense)
            }
        } else {
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * scratchCount)
            defer { scratch.deallocate() }
            for k in 0..<n {
                let i = Int(order[start + k])
                indices[k] = i
                dataset.writeInput(at: i, to: scratch)
                var generator = augmentationGenerator(epoch: epoch, index: i)
                pipeline.apply(scratch, shape: inputShape, to: out + k * sampleSize,
                               scratch: scratch + scratchCount, using: &generator)
                writeLabels(i, to: labelOut, row: k, dense: dense)
            }
        }
        // [N, T, ...] → [T, N, ...]: a copy, made here on the prefetch thread.
        let delivered = timeMajor ? inputs.permuted([1, 0] + Array(2..<inputs.rank)) : inputs
        return Batch(inputs: delivered, labels: labels, epoch: epoch, index: index, sampleIndices: indices)
    }

    /// Row `row` of a batch's labels: the class index, or a dense dataset's whole label array.
    /// (Transforms act on inputs only, so a dense dataset's pipeline must not move pixels.)
    private func writeLabels(_ index: Int, to labels: UnsafeMutablePointer<Int32>, row: Int, dense: (any DenseLabelDataset)?) {
        if let dense {
            let size = dense.labelShape.reduce(1, *)
            dense.writeLabels(at: index, to: labels + row * size)
        } else {
            labels[row] = dataset.label(at: index)
        }
    }
}
