import Foundation
import SpikeTensor
import Testing
@testable import SpikeData

/// The values of `tensor` (the tensor stays alive while they are copied).
func values(_ tensor: Tensor) -> [Float] { Array(tensor.floats) }

/// Deterministic little recordings: sample k has 20 + k events on a `sensor`.
func syntheticEvents(_ k: Int, sensor: SensorSize, start: Int64 = 0) -> Events {
    var g = PhiloxGenerator(seed: UInt64(k) + 100)
    var e = Events()
    for i in 0..<(20 + k) {
        e.append(x: UInt16(g.nextIndex(below: sensor.width)), y: UInt16(g.nextIndex(below: sensor.height)),
                 t: start + Int64(i * 37 + g.nextIndex(below: 30)), polarity: UInt8(g.nextIndex(below: 2)))
    }
    return e
}

@Suite("Event datasets over the published folder layouts")
struct EventDatasetTests {
    /// An N-MNIST tree: `perClass` files per digit per split.
    func writeNMNIST(_ dir: TemporaryDirectory, perClass: Int) throws -> [DataSplit: [(Events, Int32)]] {
        var written: [DataSplit: [(Events, Int32)]] = [:]
        for split in DataSplit.allCases {
            for digit in 0..<10 {
                let folder = dir.file("\(NMNIST.folder(split))/\(digit)")
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for j in 0..<perClass {
                    let events = syntheticEvents(digit * 7 + j + (split == .test ? 500 : 0), sensor: .nmnist)
                    try NMNISTBinary.write(events, to: folder + String(format: "/%05d.bin", j))
                    written[split, default: []].append((events, Int32(digit)))
                }
            }
        }
        return written
    }

    @Test("N-MNIST: Train/<digit>/*.bin load as [T, 2, 34, 34] frames with folder labels, and the cache round-trips")
    func nmnistDataset() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let written = try writeNMNIST(dir, perClass: 2)
        let integration = FrameIntegration(frames: 4, split: .number)
        let cache = dir.file("cache")
        let train = try NMNIST.load(root: dir.path, split: .train, integration: integration, cacheDirectory: cache)
        #expect(train.count == 20 && train.inputShape == [4, 2, 34, 34] && train.classCount == 10)
        guard case .written(let path) = train.cacheStatus else { Issue.record("cache not written: \(train.cacheStatus)"); return }
        for (i, (events, label)) in written[.train]!.enumerated() {
            #expect(train.label(at: i) == label)
            let same = values(train.sample(at: i).input) == values(integration.frames(of: events, sensor: .nmnist))
            #expect(same)
        }
        // Second load: read from the cache file, same frames.
        let again = try NMNIST.load(root: dir.path, split: .train, integration: integration, cacheDirectory: cache)
        #expect(again.cacheStatus == .hit(path))
        let cachedSame = values(again.frames) == values(train.frames)
        #expect(cachedSame)
        // Another T, split or size is another cache file.
        let other = try NMNIST.load(root: dir.path, split: .train, integration: FrameIntegration(frames: 4, split: .time),
                                    cacheDirectory: cache)
        guard case .written(let otherPath) = other.cacheStatus else { Issue.record("\(other.cacheStatus)"); return }
        #expect(otherPath != path)
        let resized = try NMNIST.load(root: dir.path, split: .test, integration: integration, size: (17, 17))
        #expect(resized.inputShape == [4, 2, 17, 17] && resized.cacheStatus == .disabled)
        // Resized frames are fractional: cached as floats, read back the same.
        let resizedCached = try NMNIST.load(root: dir.path, split: .test, integration: integration, size: (17, 17), cacheDirectory: cache)
        let resizedHit = try NMNIST.load(root: dir.path, split: .test, integration: integration, size: (17, 17), cacheDirectory: cache)
        guard case .hit = resizedHit.cacheStatus else { Issue.record("\(resizedHit.cacheStatus)"); return }
        let floatsSame = values(resizedCached.frames) == values(resizedHit.frames) && values(resized.frames) == values(resizedHit.frames)
        #expect(floatsSame)
        #expect(values(resized.frames).contains { $0 != $0.rounded(.down) })
        // A changed recording changes the key: the old cache is not used.
        try NMNISTBinary.write(syntheticEvents(999, sensor: .nmnist), to: dir.file("Train/3/00000.bin"))
        let changed = try NMNIST.load(root: dir.path, split: .train, integration: integration, cacheDirectory: cache)
        if case .hit = changed.cacheStatus { Issue.record("a changed file must not hit the old cache") }
    }

    @Test("a corrupt N-MNIST file or a missing class folder is an error naming it")
    func nmnistErrors() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try writeNMNIST(dir, perClass: 1)
        try Data([1, 2, 3, 4, 5, 6, 7]).write(to: URL(fileURLWithPath: dir.file("Train/4/00000.bin")))
        let corrupt = #expect(throws: DataError.self) {
            try NMNIST.load(root: dir.path, split: .train, integration: FrameIntegration(frames: 2, split: .number))
        }
        #expect(corrupt?.description.contains("Train/4/00000.bin") == true)
        #expect(corrupt?.description.contains("record 1") == true)
        // An event outside 34 × 34.
        try NMNISTBinary.write(Events(x: [40], y: [3], t: [5], polarity: [1]), to: dir.file("Train/4/00000.bin"))
        let outside = #expect(throws: DataError.self) {
            try NMNIST.load(root: dir.path, split: .train, integration: FrameIntegration(frames: 2, split: .number))
        }
        #expect(outside?.description.contains("event 0") == true)
        #expect(outside?.description.contains("34×34") == true)
        try FileManager.default.removeItem(atPath: dir.file("Test/7"))
        let missing = #expect(throws: DataError.self) {
            try NMNIST.load(root: dir.path, split: .test, integration: FrameIntegration(frames: 2, split: .number))
        }
        #expect(missing?.description.contains("Test/7/") == true)
    }

    @Test("CIFAR10-DVS: class folders of AEDAT 2.0 files, SpikingJelly's axis mapping, and the three splits")
    func cifar10DVS() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        // 11 files per class, numbered 0...10 (so name order 0, 1, 10, 2 differs from number order).
        for (k, name) in CIFAR10DVS.classNames.enumerated() {
            try FileManager.default.createDirectory(atPath: dir.file(name), withIntermediateDirectories: true)
            for i in 0...10 {
                // Sample i of class k: one event at x = i, y = k, ON, t = i.
                let e = Events(x: [UInt16(i)], y: [UInt16(k)], t: [Int64(i)], polarity: [1])
                try AEDAT2.write(e, to: dir.file("\(name)/cifar10_\(name)_\(i).aedat"))
            }
        }
        func numbers(_ s: FolderEventSource) -> [Int] { s.files.map { CIFAR10DVS.fileNumber($0.path).0 } }
        let first90 = try CIFAR10DVS.source(root: dir.path, split: .perClassFirst90, part: .train)
        #expect(first90.count == 90 && Array(numbers(first90).prefix(9)) == Array(0..<9))
        let first90Test = try CIFAR10DVS.source(root: dir.path, split: .perClassFirst90, part: .test)
        #expect(Array(numbers(first90Test).prefix(2)) == [9, 10] && first90Test.count == 20)
        let tebnTest = try CIFAR10DVS.source(root: dir.path, split: .tebn, part: .test)
        #expect(Array(numbers(tebnTest).prefix(2)) == [0, 1])
        let random = try CIFAR10DVS.source(root: dir.path, split: .random90(seed: 7), part: .train)
        let randomTest = try CIFAR10DVS.source(root: dir.path, split: .random90(seed: 7), part: .test)
        #expect(random.count == 90 && randomTest.count == 20)
        #expect(Set(random.files.map(\.path)).isDisjoint(with: randomTest.files.map(\.path)))
        #expect(try CIFAR10DVS.source(root: dir.path, split: .random90(seed: 7), part: .train).files.map(\.path) == random.files.map(\.path))
        #expect(try CIFAR10DVS.source(root: dir.path, split: .random90(seed: 8), part: .train).files.map(\.path) != random.files.map(\.path))

        // Event of class 2, sample 3: recorded at (x 3, y 2, ON) → x' = 127 - 2, y' = 127 - 3, OFF.
        let test = try CIFAR10DVS.load(root: dir.path, split: .tebn, part: .test,
                                       integration: FrameIntegration(frames: 1, split: .number))
        let index = (0..<test.count).first { test.label(at: $0) == 2 && test.source.file(at: $0).hasSuffix("_1.aedat") }!
        let frame = test.sample(at: index).input
        #expect(frame.shape == [1, 2, 128, 128])
        #expect(values(frame)[(0 * 128 + (127 - 1)) * 128 + (127 - 2)] == 1)
        #expect(values(frame).reduce(0, +) == 1)
    }

    @Test("DVS128 Gesture: trials lists, labels CSVs and AEDAT 3.1 recordings give one sample per gesture window")
    func dvsGesture() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let root = dir.file("DvsGesture")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Two recordings: events at t = 0, 10, ..., 990 µs; x = t/10 mod 128.
        for user in ["user01_fluorescent", "user24_led"] {
            let n = 100
            let e = Events(x: (0..<n).map { UInt16($0 % 128) }, y: (0..<n).map { _ in 5 },
                           t: (0..<n).map { Int64($0 * 10) }, polarity: (0..<n).map { UInt8($0 % 2) })
            try AEDAT31.write(e, to: root + "/\(user).aedat")
            let gestures = [DVSGestureLabels.Gesture(label: 0, start: 0, end: 300),
                            DVSGestureLabels.Gesture(label: 10, start: 300, end: 995)]
            try DVSGestureLabels.encodeCSV(gestures).write(toFile: root + "/\(user)_labels.csv", atomically: true, encoding: .utf8)
        }
        try "user01_fluorescent.aedat\n\n".write(toFile: root + "/trials_to_train.txt", atomically: true, encoding: .utf8)
        try "user24_led.aedat\n".write(toFile: root + "/trials_to_test.txt", atomically: true, encoding: .utf8)

        let source = try DVS128Gesture.source(root: dir.path, split: .train)
        #expect(source.count == 2 && source.label(at: 0) == 0 && source.label(at: 1) == 10)
        #expect(try source.events(at: 0).t == (0..<30).map { Int64($0 * 10) })
        #expect(try source.events(at: 1).count == 70)
        let test = try DVS128Gesture.load(root: root, split: .test, integration: FrameIntegration(frames: 2, split: .number),
                                          size: (32, 32))
        #expect(test.count == 2 && test.inputShape == [2, 2, 32, 32])
        // Bilinear 128 → 32 without antialiasing reads source rows and columns 4d+1 and 4d+2 with
        // weight 1/2 each: the 30 events at y 5, x 0...29 keep weight 1/4 where x mod 4 is 1 or 2
        // (15 of them), the rest vanish: 3.75 in all.
        #expect(abs(values(test.frames)[0..<(4 * 1024)].reduce(0, +) - 3.75) < 1e-5)

        try "user02_led.aedat\n".write(toFile: root + "/trials_to_train.txt", atomically: true, encoding: .utf8)
        let missing = #expect(throws: DataError.self) { try DVS128Gesture.source(root: root, split: .train) }
        #expect(missing?.description.contains("user02_led_labels.csv") == true)
    }

    @Test("a time-major batcher delivers [T, N, ...], the [N, T, ...] batch with its first two axes swapped")
    func timeMajorBatches() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try writeNMNIST(dir, perClass: 1)
        let data = try NMNIST.load(root: dir.path, split: .train, integration: FrameIntegration(frames: 3, split: .time))
        let transforms: [any ImageTransform] = [EventRandomCrop(size: 32, padding: 2), EventFlip()]
        let plain = Batcher(dataset: data, batchSize: 4, seed: 5, transforms: transforms, prefetch: 0)
        let timeMajor = Batcher(dataset: data, batchSize: 4, seed: 5, transforms: transforms, prefetch: 1, timeMajor: true)
        let a = plain.next()!, b = timeMajor.next()!
        #expect(a.inputs.shape == [4, 3, 2, 32, 32] && b.inputs.shape == [3, 4, 2, 32, 32])
        let swapped = values(a.inputs.permuted([1, 0, 2, 3, 4])) == values(b.inputs)
        #expect(swapped)
        #expect(a.sampleIndices == b.sampleIndices)
    }
}
