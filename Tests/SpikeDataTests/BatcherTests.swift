import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// `count` random 3×8×8 byte images with labels index % 10.
func syntheticDataset(count: Int = 103, seed: UInt64 = 21) -> ByteImageDataset {
    ByteImageDataset(name: "synthetic", images: Tensor(uint8: fixtureBytes(count * 192, seed: seed), shape: [count, 3, 8, 8]),
                     labels: Tensor(int32: (0..<count).map { Int32($0 % 10) }), classCount: 10)
}

/// The CIFAR-style augmentation list on 8×8 images.
let augmentations: [any ImageTransform] = [RandomCrop(size: 8, padding: 2), HorizontalFlip(),
                                           Normalize(mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3])]

/// Everything a batch holds, comparable bitwise.
struct BatchContent: Equatable {
    let inputBits: [UInt32], labels: [Int32], shape: [Int], epoch: Int, index: Int, samples: [Int]

    init(_ b: Batch) {
        inputBits = b.inputs.floats.map(\.bitPattern)
        labels = Array(b.labels.int32s)
        shape = b.inputs.shape
        epoch = b.epoch
        index = b.index
        samples = b.sampleIndices
    }
}

/// All batches of the batcher's current epoch.
func drainEpoch(_ batcher: Batcher) -> [BatchContent] {
    batcher.epochBatches().map(BatchContent.init)
}

@Suite("Batcher")
struct BatcherTests {
    @Test("each epoch is a permutation: every sample exactly once, with its own input and label")
    func epochIsPermutation() {
        let data = syntheticDataset()
        let batcher = Batcher(dataset: data, batchSize: 10, seed: 7, prefetch: 0)
        #expect(batcher.batchesPerEpoch == 11 && batcher.sampleShape == [3, 8, 8])
        for epoch in 0..<2 {
            var seen: [Int] = []
            var batches = 0
            while let b = batcher.next() {
                #expect(b.epoch == epoch && b.index == batches)
                #expect(b.inputs.shape == [b.count, 3, 8, 8] && b.labels.shape == [b.count])
                for (k, i) in b.sampleIndices.enumerated() {
                    let expected = data.sample(at: i)
                    #expect(Array(b.inputs.floats[(k * 192)..<((k + 1) * 192)]) == Array(expected.input.floats))
                    #expect(b.labels.int32s[k] == expected.label)
                }
                seen += b.sampleIndices
                batches += 1
            }
            #expect(batches == 11 && seen.count == 103 && seen.sorted() == Array(0..<103))
            #expect(seen != Array(0..<103))
            #expect(batcher.position == BatcherPosition(epoch: epoch + 1, cursor: 0))
        }
    }

    @Test("epochs differ, the same seed repeats the order, another seed changes it, order ignores history")
    func orders() {
        let data = syntheticDataset()
        let a = Batcher(dataset: data, batchSize: 16, seed: 3, prefetch: 0)
        let b = Batcher(dataset: data, batchSize: 16, seed: 3, prefetch: 0)
        let c = Batcher(dataset: data, batchSize: 16, seed: 4, prefetch: 0)
        let a0 = drainEpoch(a).flatMap(\.samples), a1 = drainEpoch(a).flatMap(\.samples)
        #expect(a0 != a1)
        #expect(a0 == drainEpoch(b).flatMap(\.samples))
        #expect(a0 != drainEpoch(c).flatMap(\.samples))
        // Epoch 1's order from a fresh batcher, without running epoch 0 first.
        #expect(Batcher(dataset: data, batchSize: 16, seed: 3).epochOrder(1) == a1)
        let plain = Batcher(dataset: data, batchSize: 16, shuffle: false, prefetch: 0)
        #expect(drainEpoch(plain).flatMap(\.samples) == Array(0..<103))
    }

    @Test("drop_last leaves out the short batch; otherwise it comes last")
    func dropLast() {
        let data = syntheticDataset()
        let keep = drainEpoch(Batcher(dataset: data, batchSize: 25, prefetch: 0))
        #expect(keep.map { $0.samples.count } == [25, 25, 25, 25, 3])
        let drop = drainEpoch(Batcher(dataset: data, batchSize: 25, dropLast: true, prefetch: 0))
        #expect(drop.map { $0.samples.count } == [25, 25, 25, 25])
        #expect(drop == Array(keep.prefix(4)))
    }

    @Test("prefetch on and off give bitwise identical batches with augmentation, across epochs")
    func prefetchIsDeterministic() {
        let data = syntheticDataset()
        func run(prefetch: Int) -> [BatchContent] {
            let batcher = Batcher(dataset: data, batchSize: 8, seed: 9, transforms: augmentations, prefetch: prefetch)
            return (0..<3).flatMap { _ in drainEpoch(batcher) }
        }
        let reference = run(prefetch: 0)
        #expect(reference.count == 3 * 13)
        #expect(run(prefetch: 1) == reference)
        #expect(run(prefetch: 4) == reference)
        // Augmentation really happened: the inputs differ from the plain samples, and the
        // same sample is augmented differently in different epochs.
        let plain = Batcher(dataset: data, batchSize: 8, seed: 9, prefetch: 0)
        #expect(drainEpoch(plain).map(\.inputBits) != reference.prefix(13).map(\.inputBits))
        let batcher = Batcher(dataset: data, batchSize: 8, seed: 9, transforms: augmentations, prefetch: 0)
        let sample5 = { (b: Batch) in
            let k = b.sampleIndices.firstIndex(of: 5)!
            return Array(b.inputs.floats[(k * 192)..<((k + 1) * 192)])
        }
        let first = batcher.epochBatches().first { $0.sampleIndices.contains(5) }.map(sample5)!
        #expect(batcher.position.epoch == 0)
        _ = drainEpoch(batcher)
        let second = batcher.epochBatches().first { $0.sampleIndices.contains(5) }.map(sample5)!
        #expect(first != second)
    }

    @Test("a restored position continues mid-epoch with the identical batches (augmentation on)")
    func restoreMidEpoch() {
        let data = syntheticDataset()
        let make = { (prefetch: Int) in
            Batcher(dataset: data, batchSize: 8, seed: 5, transforms: augmentations, prefetch: prefetch)
        }
        let reference = make(2)
        let epoch0 = drainEpoch(reference), epoch1 = drainEpoch(reference)

        // Interrupted run: epoch 0, then 4 batches of epoch 1, position saved.
        let first = make(2)
        _ = drainEpoch(first)
        for _ in 0..<4 { _ = first.next() }
        let saved = first.position
        #expect(saved == BatcherPosition(epoch: 1, cursor: 4))
        let encoded = try! JSONEncoder().encode(saved)

        for prefetch in [0, 3] {
            let resumed = make(prefetch)
            resumed.restore(try! JSONDecoder().decode(BatcherPosition.self, from: encoded))
            #expect(drainEpoch(resumed) == Array(epoch1.dropFirst(4)))
            #expect(resumed.position == BatcherPosition(epoch: 2, cursor: 0))
        }
        // Restoring backwards on a running batcher discards its prefetched batches.
        first.restore(.start)
        #expect(drainEpoch(first) == epoch0)
        // A position at the end of an epoch signals the end, then continues with the next.
        let atEnd = make(1)
        atEnd.restore(BatcherPosition(epoch: 0, cursor: atEnd.batchesPerEpoch))
        #expect(atEnd.next() == nil)
        #expect(drainEpoch(atEnd) == epoch1)
        // Random access builds the same batch.
        #expect(BatchContent(reference.batch(epoch: 1, index: 3)) == epoch1[3])
    }

    @Test("a subset is the same samples every epoch, reshuffled, and depends on the seed")
    func subset() {
        let data = syntheticDataset()
        let batcher = Batcher(dataset: data, batchSize: 7, subset: 30, seed: 2, prefetch: 1)
        #expect(batcher.sampleCount == 30 && batcher.batchesPerEpoch == 5)
        let chosen = batcher.subsetIndices!
        #expect(chosen.count == 30 && Set(chosen).count == 30 && chosen == chosen.sorted())
        let e0 = drainEpoch(batcher).flatMap(\.samples), e1 = drainEpoch(batcher).flatMap(\.samples)
        #expect(e0.sorted() == chosen && e1.sorted() == chosen && e0 != e1)
        #expect(Batcher(dataset: data, batchSize: 7, subset: 30, seed: 2).subsetIndices == chosen)
        #expect(Batcher(dataset: data, batchSize: 7, subset: 30, seed: 3).subsetIndices != chosen)
        #expect(Batcher(dataset: data, batchSize: 7, subset: 500).subsetIndices == nil)
    }

    @Test("stopping early does not hang: dropping, restoring and stopping a prefetching batcher",
          .timeLimit(.minutes(1)))
    func earlyStop() {
        let data = syntheticDataset(count: 1000)
        for capacity in [1, 2, 8] {
            var batcher: Batcher? = Batcher(dataset: data, batchSize: 4, transforms: augmentations, prefetch: capacity)
            _ = batcher!.next()
            usleep(2000)  // let the producer fill its queue and block
            batcher = nil  // deinit joins the thread
            #expect(batcher == nil)
        }
        let batcher = Batcher(dataset: data, batchSize: 4, prefetch: 2)
        _ = batcher.next()
        batcher.stopPrefetching()
        batcher.stopPrefetching()
        #expect(batcher.next()?.index == 1)  // restarts where it stopped
        // A batcher that never delivered anything starts no thread and stops at once.
        _ = Batcher(dataset: data, batchSize: 4, prefetch: 2)
    }
}
