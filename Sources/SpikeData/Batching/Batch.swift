import SpikeTensor

/// A batch of classification samples stacked along a new leading axis.
public struct Batch {
    /// Float `[N, ...]`: the transformed inputs (`[T, N, ...]` from a time-major batcher).
    public let inputs: Tensor
    /// Int32 `[N]`: the class labels (`[N] + labelShape` from a `DenseLabelDataset`, e.g. masks `[N, H, W]`).
    public let labels: Tensor
    /// The epoch this batch belongs to.
    public let epoch: Int
    /// Position of this batch within its epoch (0-based).
    public let index: Int
    /// Dataset index of each sample, in batch order.
    public let sampleIndices: [Int]
    /// A detection batch's boxes and image placement (nil for classification).
    public var detection: DetectionBatchTargets? = nil

    /// Number of samples (the last batch of an epoch may be short).
    public var count: Int { sampleIndices.count }
}

/// Where a batcher stands: the epoch and how many of its batches were already delivered.
///
/// Saved in checkpoints; restoring it makes a resumed run see the identical remaining batches.
/// `cursor == batchesPerEpoch` means every batch of `epoch` was delivered and the end of the
/// epoch has not been signalled yet.
public struct BatcherPosition: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Epoch number, from 0.
    public var epoch: Int
    /// Batches of `epoch` already delivered.
    public var cursor: Int

    /// The position after `cursor` batches of `epoch`.
    public init(epoch: Int, cursor: Int) {
        self.epoch = epoch
        self.cursor = cursor
    }

    /// The start of epoch 0.
    public static let start = BatcherPosition(epoch: 0, cursor: 0)

    public var description: String { "epoch \(epoch), batch \(cursor)" }
}

/// Where batches come from: a `Batcher` of classification samples or a `DetectionBatcher`.
/// A run's loop, evaluation and energy meter read batches through it.
public protocol BatchSource: AnyObject {
    /// Batches per epoch (the last may be short).
    var batchesPerEpoch: Int { get }
    /// Samples per epoch.
    var sampleCount: Int { get }
    /// The next batch of the current epoch, or nil once when the epoch is over (the position
    /// then moves to the start of the next epoch). Throws when a sample cannot be read.
    func next() throws -> Batch?
    /// Continues from `position`.
    func restore(_ position: BatcherPosition)
    /// Stops any background work.
    func stopPrefetching()
}

extension Batcher: BatchSource {}
