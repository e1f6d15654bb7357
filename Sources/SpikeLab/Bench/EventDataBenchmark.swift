import Foundation
import SpikeData
import SpikeTensor

/// `spikelab bench data` (event loaders): samples per second of each stage of the event
/// pipeline — decoding a recording file, integrating it into frames, building a dataset from
/// the HDF5 frame cache, and batching with augmentation into time-major batches.
///
/// The recordings are written by SpikeLab's writers into a temporary folder: N-MNIST files of
/// the demo camera's size (made from synthetic random events of the same count), CIFAR10-DVS
/// AEDAT 2.0 and DVS128 Gesture AEDAT 3.1 files of random events, with the event counts stated
/// in each measurement's description. Real recordings differ in content, not in the work per event.
public struct EventDataBenchmark {
    /// Fewer files and repetitions.
    public var quick: Bool
    /// Progress lines go here (stderr by default).
    public var log: (String) -> Void

    public init(quick: Bool = false, log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quick = quick
        self.log = log
    }

    /// Runs the event-loader measurements and returns the report.
    public func run() throws -> BenchmarkReport {
        var report = BenchmarkReport(benchmark: "data", threads: Threads.count)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spikelab-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reps = quick ? 2 : 5
        let timer = LoaderTimer(log: log)

        // N-MNIST: 5000 events per recording (the real sample has 4325).
        let nmnistFiles = quick ? 100 : 500
        let nmnistEvents = 5000
        let nmnistRoot = directory + "/nmnist"
        try writeNMNIST(root: nmnistRoot, files: nmnistFiles, events: nmnistEvents)
        let nmnistSource = try NMNIST.source(root: nmnistRoot, split: .train)
        let t10 = FrameIntegration(frames: 10, split: .number)
        report.measurements.append(try timer.perSample("nmnist_decode", "read + decode N-MNIST .bin, \(nmnistEvents) events",
                                                 count: nmnistFiles, reps: reps) { i in _ = try nmnistSource.events(at: i) })
        let sample = try nmnistSource.events(at: 0)
        let frame = Tensor(shape: [10, 2, 34, 34], uninitialized: true)
        report.measurements.append(try timer.perSample("nmnist_integrate_t10", "frames [10, 2, 34, 34] from \(nmnistEvents) events (split_by number)",
                                                 count: nmnistFiles, reps: reps) { _ in
            t10.integrate(sample, sensor: .nmnist, into: frame.floats.baseAddress!)
        })
        let cache = directory + "/cache"
        let built = try EventFrameDataset(source: nmnistSource, integration: t10, cacheDirectory: cache)
        report.measurements.append(try timer.perDataset("nmnist_dataset_build", "dataset of \(nmnistFiles) recordings: decode + integrate on \(Threads.count) threads + write the HDF5 cache",
                                                  count: nmnistFiles, reps: 1) {
            try? FileManager.default.removeItem(atPath: cache)
            _ = try EventFrameDataset(source: nmnistSource, integration: t10, cacheDirectory: cache)
        })
        report.measurements.append(try timer.perDataset("nmnist_dataset_cached", "dataset of \(nmnistFiles) recordings read from the HDF5 frame cache",
                                                  count: nmnistFiles, reps: reps) {
            _ = try EventFrameDataset(source: nmnistSource, integration: t10, cacheDirectory: cache)
        })
        let batcher = Batcher(dataset: built, batchSize: 50, shuffle: true, seed: 1,
                              transforms: [EventRandomCrop(size: 34, padding: 4), EventFlip()], prefetch: 0, timeMajor: true)
        report.measurements.append(try timer.perDataset("nmnist_batches_t10", "batches of 50 [10, 50, 2, 34, 34], event crop + flip, time-major",
                                                  count: batcher.batchesPerEpoch * 50, reps: reps) {
            for b in 0..<batcher.batchesPerEpoch { _ = batcher.batch(epoch: 0, index: b) }
        })

        // CIFAR10-DVS: AEDAT 2.0, 200 000 events per recording (real ones hold ~10^5–10^6).
        let dvsEvents = quick ? 50_000 : 200_000
        let dvsFiles = quick ? 4 : 10
        let cifarRoot = directory + "/cifar10_dvs"
        try writeCIFAR10DVS(root: cifarRoot, filesPerClass: 1, events: dvsEvents)
        let cifarSource = try CIFAR10DVS.source(root: cifarRoot, split: .perClassFirst90, part: .test)
        report.measurements.append(try timer.perSample("cifar10_dvs_decode", "read + decode AEDAT 2.0, \(dvsEvents) events", count: min(dvsFiles, cifarSource.count),
                                                 reps: reps) { i in _ = try cifarSource.events(at: i) })
        let dvsSample = try cifarSource.events(at: 0)
        report.measurements.append(try timer.perSample("cifar10_dvs_frames_t10_resize48", "frames [10, 2, 128, 128] from \(dvsEvents) events, bilinear to 48×48",
                                                 count: dvsFiles, reps: reps) { _ in
            _ = resizeFrames(t10.frames(of: dvsSample, sensor: .dvs128), height: 48, width: 48)
        })

        let cifarCache = directory + "/cifar-cache"
        _ = try EventFrameDataset(source: cifarSource, integration: t10, size: (48, 48), cacheDirectory: cifarCache)
        report.measurements.append(try timer.perDataset("cifar10_dvs_dataset_cached_resize48",
                                                  "dataset of \(cifarSource.count) recordings read from the HDF5 frame cache ([10, 2, 48, 48] floats)",
                                                  count: cifarSource.count, reps: reps) {
            _ = try EventFrameDataset(source: cifarSource, integration: t10, size: (48, 48), cacheDirectory: cifarCache)
        })

        // DVS128 Gesture: AEDAT 3.1 polarity packets.
        let gestureRoot = directory + "/DvsGesture"
        try writeGesture(root: gestureRoot, events: dvsEvents)
        let gesturePath = gestureRoot + "/user01_led.aedat"
        report.measurements.append(try timer.perSample("dvs128_gesture_decode", "read + decode AEDAT 3.1, \(dvsEvents) events", count: dvsFiles,
                                                 reps: reps) { _ in _ = try AEDAT31.read(contentsOf: gesturePath) })
        return report
    }

    private func randomEvents(_ n: Int, sensor: SensorSize, seed: UInt64, duration: Int64) -> Events {
        var g = PhiloxGenerator(seed: seed)
        var e = Events()
        e.reserveCapacity(n)
        for i in 0..<n {
            e.append(x: UInt16(g.nextIndex(below: sensor.width)), y: UInt16(g.nextIndex(below: sensor.height)),
                     t: Int64(i) * duration / Int64(n), polarity: UInt8(g.nextIndex(below: 2)))
        }
        return e
    }

    private func writeNMNIST(root: String, files: Int, events: Int) throws {
        for digit in 0..<10 {
            try FileManager.default.createDirectory(atPath: root + "/Train/\(digit)", withIntermediateDirectories: true)
        }
        for k in 0..<files {
            try NMNISTBinary.write(randomEvents(events, sensor: .nmnist, seed: UInt64(k), duration: 300_000),
                                   to: root + "/Train/\(k % 10)/" + String(format: "%05d.bin", k))
        }
    }

    private func writeCIFAR10DVS(root: String, filesPerClass: Int, events: Int) throws {
        for (c, name) in CIFAR10DVS.classNames.enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            for i in 0..<filesPerClass {
                try AEDAT2.write(randomEvents(events, sensor: .dvs128, seed: UInt64(c * 100 + i), duration: 1_300_000),
                                 to: root + "/\(name)/cifar10_\(name)_\(i).aedat")
            }
        }
    }

    private func writeGesture(root: String, events: Int) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try AEDAT31.write(randomEvents(events, sensor: .dvs128, seed: 9, duration: 6_000_000), to: root + "/user01_led.aedat")
    }
}
