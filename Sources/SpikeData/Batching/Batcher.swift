import Foundation
import SpikeTensor

/// Serves a classification dataset as batches: seeded per-epoch shuffling, per-sample
/// augmentations, an optional fixed subset, background prefetch, and a position that can be
/// saved and restored to continue mid-epoch with the identical batches.
///
/// Every batch is a pure function of (seed, epoch, batch index): the order of epoch `e` comes
/// from a Philox stream keyed by the seed with stream id `e`, and each sample's augmentation
/// generator from (seed, epoch, dataset index). Prefetching therefore never changes content.
///
/// Use: `while let batch = batcher.next() { … }` runs one epoch; `next()` returns nil once at
/// the end of each epoch and then continues with the next.
public final class Batcher {
    /// The dataset batches are drawn from.
    public let dataset: any ClassificationDataset
    /// Samples per batch (the last batch of an epoch may be short unless `dropLast`).
    public let batchSize: Int
    /// Whether each epoch visits the samples in a new seeded order.
    public let shuffle: Bool
    /// Whether a short last batch is left out.
    public let dropLast: Bool
    /// Seed of the order, subset and augmentations.
    public let seed: UInt64
    /// Batches built ahead on a background thread (0: built on the caller's thread).
    public let prefetch: Int
    /// Whether inputs are delivered time-major, `[T, N, ...]`, for samples `[T, ...]` (event frames).
    public let timeMajor: Bool
    /// Where the next call of `next()` continues.
    public private(set) var position: BatcherPosition

    private let plan: BatchPlan
    private var cachedOrder: (epoch: Int, order: [Int32])?
    private var producer: Producer?

    /// A batcher over `dataset`.
    ///
    /// - Parameters:
    ///   - subset: use only this many samples: the first of a seeded permutation, the same every epoch.
    ///   - transforms: applied to each sample in order (the manifest's order).
    ///   - prefetch: batches to build ahead on a background thread; 0 builds on demand.
    ///   - timeMajor: for samples `[T, ...]` (event frames), deliver inputs `[T, N, ...]`, the
    ///     layout spiking layers consume, instead of `[N, T, ...]`.
    public init(dataset: any ClassificationDataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                subset: Int? = nil, seed: UInt64 = 0, transforms: [any ImageTransform] = [],
                prefetch: Int = 2, position: BatcherPosition = .start, timeMajor: Bool = false) {
        precondition(prefetch >= 0, "prefetch must not be negative, got \(prefetch)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.prefetch = prefetch
        self.timeMajor = timeMajor
        plan = BatchPlan(dataset: dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
                         subset: subset, seed: seed, transforms: transforms, timeMajor: timeMajor)
        self.position = position
        Self.check(position, batchesPerEpoch: plan.batchesPerEpoch)
    }

    deinit { stopProducer() }

    /// Samples visited per epoch (the subset size, or the whole dataset).
    public var sampleCount: Int { plan.sampleCount }
    /// Batches per epoch.
    public var batchesPerEpoch: Int { plan.batchesPerEpoch }
    /// Shape of one transformed sample (a batch's inputs are `[N] + sampleShape`, or with
    /// `timeMajor` `[T, N] + sampleShape.dropFirst()`).
    public var sampleShape: [Int] { plan.sampleShape }
    /// The fixed subset's dataset indices (ascending), or nil when every sample is used.
    public var subsetIndices: [Int]? { plan.subset.map { $0.map(Int.init) } }

    /// Dataset indices in the order epoch `epoch` visits them.
    public func epochOrder(_ epoch: Int) -> [Int] {
        order(epoch: epoch).map(Int.init)
    }

    /// The next batch of the current epoch, or nil once when the epoch is over (the position
    /// then moves to the start of the next epoch).
    public func next() -> Batch? {
        if position.cursor == plan.batchesPerEpoch {
            position = BatcherPosition(epoch: position.epoch + 1, cursor: 0)
            return nil
        }
        let batch: Batch
        if prefetch == 0 {
            batch = plan.makeBatch(epoch: position.epoch, index: position.cursor, order: order(epoch: position.epoch))
        } else {
            if producer == nil { producer = Producer(plan: plan, start: position, capacity: prefetch) }
            batch = producer!.take()
            precondition(batch.epoch == position.epoch && batch.index == position.cursor,
                         "prefetch delivered epoch \(batch.epoch) batch \(batch.index) at \(position)")
        }
        position.cursor += 1
        return batch
    }

    /// The batches left in the current epoch; iterating to the end moves to the next epoch.
    public func epochBatches() -> EpochBatches { EpochBatches(batcher: self) }

    /// Continues from `position` (as saved from `position`), discarding prefetched batches.
    public func restore(_ position: BatcherPosition) {
        Self.check(position, batchesPerEpoch: plan.batchesPerEpoch)
        stopProducer()
        self.position = position
    }

    /// Batch `index` of `epoch`, built now on the caller's thread; does not move the position.
    public func batch(epoch: Int, index: Int) -> Batch {
        plan.makeBatch(epoch: epoch, index: index, order: order(epoch: epoch))
    }

    /// Stops the background thread and waits for it to end; `next()` starts it again if needed.
    public func stopPrefetching() { stopProducer() }

    private func stopProducer() {
        producer?.stop()
        producer = nil
    }

    private func order(epoch: Int) -> [Int32] {
        if let cachedOrder, cachedOrder.epoch == epoch { return cachedOrder.order }
        let order = plan.order(epoch: epoch)
        cachedOrder = (epoch, order)
        return order
    }

    private static func check(_ position: BatcherPosition, batchesPerEpoch: Int) {
        precondition(position.epoch >= 0 && position.cursor >= 0 && position.cursor <= batchesPerEpoch,
                     "position \(position) is outside 0...\(batchesPerEpoch) batches per epoch")
    }
}

/// The batches left in a batcher's current epoch.
public struct EpochBatches: Sequence, IteratorProtocol {
    let batcher: Batcher

    public mutating func next() -> Batch? { batcher.next() }
}

/// A background thread that builds batches in order from a start position into a bounded queue.
///
/// The thread holds the plan and the queue, never the batcher, so a batcher dropped by its
/// owner is deinitialised, which stops and joins the thread.
private final class Producer: @unchecked Sendable {
    // @unchecked: `queue`, `stopRequested` are only touched with `condition` locked; the
    // plan is immutable; each Batch is handed over under the lock and never shared after.
    private let plan: BatchPlan
    private let capacity: Int
    private let condition = NSCondition()
    private var queue: [Batch] = []
    private var stopRequested = false
    private var thread = pthread_t()
    private var next: BatcherPosition

    init(plan: BatchPlan, start: BatcherPosition, capacity: Int) {
        self.plan = plan
        self.capacity = capacity
        self.next = start
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            #if canImport(Glibc)
            let producer = Unmanaged<Producer>.fromOpaque(context!).takeRetainedValue()
            #else
            let producer = Unmanaged<Producer>.fromOpaque(context).takeRetainedValue()
            #endif
            producer.run()
            return nil
        }, context)
        precondition(rc == 0, "could not start the prefetch thread (pthread_create returned \(rc))")
    }

    private func run() {
        var epoch = -1
        var order: [Int32] = []
        while true {
            condition.lock()
            while !stopRequested && queue.count >= capacity { condition.wait() }
            let stop = stopRequested
            condition.unlock()
            if stop { return }

            if next.cursor == plan.batchesPerEpoch { next = BatcherPosition(epoch: next.epoch + 1, cursor: 0) }
            if epoch != next.epoch {
                epoch = next.epoch
                order = plan.order(epoch: epoch)
            }
            let batch = plan.makeBatch(epoch: next.epoch, index: next.cursor, order: order)
            next.cursor += 1

            condition.lock()
            queue.append(batch)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next batch in order, waiting for it if needed.
    func take() -> Batch {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let batch = queue.removeFirst()
        condition.broadcast()
        return batch
    }

    /// Asks the thread to stop and waits until it has ended (after at most one batch in progress).
    func stop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        condition.unlock()
        pthread_join(thread, nil)
        condition.lock()
        queue.removeAll()
        condition.unlock()
    }
}
