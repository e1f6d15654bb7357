import Foundation
import SpikeData
import SpikeNN
import SpikeTensor
import Testing
@testable import SpikeLab

/// The repository root (for the committed manifests).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

private func values(_ tensor: Tensor) -> [Float] { Array(tensor.floats) }

private func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("spikelab-events-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every `.bin` file under `directory`, relative path → bytes.
private func binFiles(_ directory: String) -> [String: Data] {
    var out: [String: Data] = [:]
    for case let name as String in FileManager.default.enumerator(atPath: directory)! where name.hasSuffix(".bin") {
        out[name] = FileManager.default.contents(atPath: directory + "/" + name)
    }
    return out
}

private let fashionAvailable = FileManager.default.fileExists(atPath: FashionMNIST.defaultRoot + "/train-images-idx3-ubyte.gz")

@Suite("Event demo data and the event-frame training path")
struct EventDemoTests {
    @Test("the nmnist demo set writes N-MNIST files under Train/Test/<class>/, the same bytes for the same seed",
          .enabled(if: fashionAvailable))
    func demoSetIsDeterministic() throws {
        let a = temporaryDirectory(), b = temporaryDirectory(), c = temporaryDirectory()
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        var set = NMNISTDemoSet()
        set.trainCount = 12
        set.testCount = 6
        try set.make(root: a, seed: 3) { _ in }
        try set.make(root: b, seed: 3) { _ in }
        try set.make(root: c, seed: 4) { _ in }
        #expect(set.isComplete(root: a, seed: 3) && !set.isComplete(root: a, seed: 4))
        let files = binFiles(a + "/nmnist")
        #expect(files.keys.filter { $0.hasPrefix("Train/") }.count == 12 && files.keys.filter { $0.hasPrefix("Test/") }.count == 6)
        #expect(files == binFiles(b + "/nmnist"))
        #expect(files != binFiles(c + "/nmnist"))
        // Each file is a plausible N-MNIST recording: 34 × 34, ~0.3 s, both polarities.
        for (name, _) in files {
            let events = try NMNISTBinary.read(contentsOf: a + "/nmnist/" + name)
            #expect(events.count > 200)
            #expect(events.x.max()! < 34 && events.y.max()! < 34)
            #expect(events.t.max()! < 300_000 && events.isTimeOrdered)
            #expect(events.onFraction > 0.2 && events.onFraction < 0.8)
        }
        // And the N-MNIST reader's dataset takes the folder as it is.
        let data = try NMNIST.load(root: a + "/nmnist", split: .test, integration: FrameIntegration(frames: 4, split: .number))
        #expect(data.count == 6 && data.inputShape == [4, 2, 34, 34])
    }

    @Test("the demo manifest resolves to time-major event frames and trains one short epoch on demo events",
          .enabled(if: fashionAvailable))
    func demoManifestTrains() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var set = NMNISTDemoSet()
        set.trainCount = 48
        set.testCount = 16
        try set.make(root: root, seed: 0) { _ in }
        let manifest = try Manifest.load(contentsOf: repositoryRoot + "/experiments/demo/nmnist-events-lif.yaml", profile: "cpu",
                                         overrides: ["data.root=\(root)/nmnist", "data.batch_size=16", "model.width=0.25"])
        let e = manifest.experiment
        #expect(e.data.loader == .nmnist && e.data.frames?.timeSteps == 4 && e.model.inChannels == 2)
        let datasets = try ExperimentBuilder.datasets(e.data, root: e.data.root, seed: e.seed)
        #expect(datasets.train.inputShape == [4, 2, 34, 34] && datasets.train.count == 48)
        let run = root + "/run"
        let runner = try Runner.start(manifest, directory: run,
                                      options: RunOptions(threads: 2, progress: ProgressReporter(output: FileHandle.nullDevice, interactive: false),
                                                          handleSignals: false))
        #expect(try runner.run() == .finished)
        let csv = try String(contentsOfFile: runner.metricsPath, encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 2)  // header + one epoch
        #expect(FileManager.default.fileExists(atPath: runner.lastCheckpointPath))
        // The frames were cached under the data root.
        let cached = try FileManager.default.contentsOfDirectory(atPath: root + "/nmnist/" + EventLoaders.cacheFolder)
        #expect(cached.filter { $0.hasSuffix(".h5") }.count == 2)
    }

    @Test("spikelab eval of an event run gives the test metrics the run logged: time-major frames, and the manifest's seed drawing CIFAR10-DVS's random_90 split")
    func evaluationOfEventRunMatchesTheRun() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A CIFAR10-DVS layout: 11 AEDAT 2.0 recordings per class, each 2048 events filling a
        // 32 × 32 block whose place depends on class and file, so every recording gives
        // different frames and the network's outputs differ between recordings (a silent
        // network's constant output would score any balanced test set alike).
        for (k, name) in CIFAR10DVS.classNames.enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/dvs/\(name)", withIntermediateDirectories: true)
            for i in 0...10 {
                let j = (0..<2048).map { $0 }
                let events = Events(x: j.map { UInt16(k * 9 + $0 % 32) }, y: j.map { UInt16(i * 9 + ($0 / 32) % 32) },
                                    t: j.map { Int64($0 * 10) }, polarity: j.map { UInt8(($0 / 7) % 2) })
                try AEDAT2.write(events, to: "\(root)/dvs/\(name)/cifar10_\(name)_\(i).aedat")
            }
        }
        // Seed 5, not the default 0: evaluating with another seed's random_90 split would test on
        // other recordings (some of them training ones).
        let yaml = """
            name: eval-event-run
            paper: demo
            seed: 5
            data: {loader: cifar10_dvs, root: \(root)/dvs, split: random_90, batch_size: 16, eval_batch_size: 16, resize: 34,
                   frames: {time_steps: 2, split_by: number}}
            model: {arch: spiking_cnn_28, width: 0.25}
            neuron: {variant: lif, time_steps: 2, tau: 2.0, v_threshold: 0.5, v_reset: 0.0, surrogate: {kind: sigmoid, alpha: 4.0}}
            training: {mode: direct, epochs: 1, loss: ce, optimizer: {kind: adam, lr: 1.0e-3}, schedule: {kind: cosine}}
            checkpoint: {every_epochs: 1}
            """
        let manifest = try Manifest.load(yaml: yaml, path: root + "/eval-event-run.yaml")
        let runner = try Runner.start(manifest, directory: root + "/run",
                                      options: RunOptions(threads: 2, progress: ProgressReporter(output: FileHandle.nullDevice, interactive: false),
                                                          handleSignals: false))
        #expect(try runner.run() == .finished)
        let rows = try String(contentsOfFile: runner.metricsPath, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        let logged = Dictionary(uniqueKeysWithValues: zip(rows[0], rows[1]))

        // The checkpoint's evaluation batcher serves exactly the run's test batches.
        let loaded = try LoadedCheckpoint(path: runner.lastCheckpointPath)
        let mine = try loaded.batcher(split: .test), theirs = runner.testBatcher
        defer { mine.stopPrefetching(); theirs.stopPrefetching() }
        theirs.restore(.start)
        var batches = 0
        while let expected = try theirs.next() {
            let batch = try #require(try mine.next())
            #expect(batch.inputs.shape == expected.inputs.shape && batch.inputs.shape[0] == 2)  // [T, N, 2, 34, 34]
            #expect(batch.inputs.array == expected.inputs.array && batch.labels.int32Array == expected.labels.int32Array)
            batches += 1
        }
        let extra = try mine.next()
        #expect(batches == 2 && extra == nil)

        let evaluation = try CheckpointEvaluation.run(checkpointAt: runner.lastCheckpointPath, split: .test)
        #expect(evaluation.result.samples == 20)
        for (name, value) in zip(evaluation.metrics, evaluation.result.values) {
            let text = try #require(logged["test_" + name])
            let expected = try #require(Double(text))
            #expect(Swift.abs(value - expected) <= 1e-9 * max(1, Swift.abs(expected)), "test_\(name): eval \(value), run \(expected)")
        }
        #expect(try CheckpointEvaluation.run(checkpointAt: runner.lastCheckpointPath, split: .train).result.samples == 90)

        // --recalibrate-bn: one pass over the 90 training recordings in evaluation-size batches.
        let recalibrated = try CheckpointEvaluation.run(checkpointAt: runner.lastCheckpointPath, split: .test, recalibrateBatchNorm: true)
        let batchSize = manifest.experiment.data.evalBatchSize
        #expect(recalibrated.recalibrationBatches == (90 + batchSize - 1) / batchSize)
        #expect(try recalibrated.json().contains("\"recalibrated_bn_batches\""))
        #expect(try !evaluation.json().contains("recalibrated_bn_batches"))
    }

    @Test("the full demo set (1000 / 200) trains one epoch of the cpu profile",
          .enabled(if: fashionAvailable && ProcessInfo.processInfo.environment["SPIKELAB_LONG_TESTS"] == "1"))
    func fullDemoEpoch() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try NMNISTDemoSet().make(root: root, seed: 0) { _ in }
        let manifest = try Manifest.load(contentsOf: repositoryRoot + "/experiments/demo/nmnist-events-lif.yaml", profile: "cpu",
                                         overrides: ["data.root=\(root)/nmnist"])
        let runner = try Runner.start(manifest, directory: root + "/run",
                                      options: RunOptions(progress: ProgressReporter(output: FileHandle.nullDevice, interactive: false),
                                                          handleSignals: false))
        #expect(try runner.run() == .finished)
        let rows = try String(contentsOfFile: runner.metricsPath, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 2)
    }

    @Test("data show writes the events, frames and label of one sample, and refuses an index past the end")
    func showSample() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for split in ["Train", "Test"] {
            for digit in 0..<10 {
                let folder = root + "/\(split)/\(digit)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let events = Events(x: [1, 2, 3, 4], y: [5, 6, 7, 8], t: [10, 20, 30, 40 + Int64(digit)], polarity: [1, 0, 1, 1])
                try NMNISTBinary.write(events, to: folder + "/00000.bin")
            }
        }
        let out = root + "/sample.h5", png = root + "/sample.png"
        let request = EventSampleExport.Request(dataset: "nmnist", root: root, index: 3, split: "test", frames: 2, splitBy: "number",
                                                durationMicroseconds: nil, resize: nil, cifarSplit: "per_class_first_90", seed: 0,
                                                output: out, png: png)
        let line = try EventSampleExport.run(request)
        #expect(line.contains("Test/3/00000.bin") && line.contains("4 events"))
        let file = try HDF5File.open(path: out)
        #expect(try file.readArray("/events/t", as: Int64.self) == [10, 20, 30, 43])
        #expect(try file.readArray("/events/x", as: UInt16.self) == [1, 2, 3, 4])
        #expect(try file.readScalar("/label", as: Int32.self) == 3)
        let frames = try file.readTensor("/frames")
        #expect(frames.shape == [2, 2, 34, 34])
        // Frame 0 holds events 0, 1: (1,5) ON and (2,6) OFF.
        #expect(values(frames)[(0 * 2 + 1) * 1156 + 5 * 34 + 1] == 1 && values(frames)[(0 * 2 + 0) * 1156 + 6 * 34 + 2] == 1)
        try file.close()
        #expect(try PNGImage(contentsOf: png).height == 34 * 3)
        var past = request
        past.index = 10
        #expect(throws: EventSampleExport.RequestError.self) { try EventSampleExport.run(past) }
    }
}

@Suite("Event loaders and models")
struct EventModelCheckTests {
    func manifest(_ model: String, variant: String = "lif", resize: String = "") throws -> Manifest {
        try Manifest.load(yaml: """
            name: x
            data: {loader: nmnist, root: /tmp, batch_size: 4\(resize)}
            model: {arch: \(model)}
            neuron: {variant: \(variant), time_steps: 4}
            training: {epochs: 1, optimizer: {kind: adam, lr: 0.001}}
            """, path: "x.yaml")
    }

    @Test("event frames with a model that cannot take them are a build error naming the key, not a crash")
    func mismatches() throws {
        let vgg = #expect(throws: BuildError.self) { try ExperimentBuilder.model(try manifest("vgg_small").experiment) }
        #expect(vgg?.description.contains("model.arch") == true)
        let small = #expect(throws: BuildError.self) { try ExperimentBuilder.model(try manifest("spiking_cnn_28", resize: ", resize: 16").experiment) }
        #expect(small?.description.contains("data.resize") == true)
        let packed = #expect(throws: BuildError.self) { try ExperimentBuilder.model(try manifest("spiking_cnn_28", variant: "spikepack").experiment) }
        #expect(packed?.description.contains("neuron.variant") == true)
        let model = try ExperimentBuilder.model(try manifest("spiking_cnn_28").experiment)
        #expect(model.parameterCount > 0)
    }

    @Test("a training crop of another size than the (uncropped) test frames is refused naming the crop and the frame side")
    func cropSide() throws {
        let crop = ", resize: 32, augment: [{event_random_crop: {size: 34, padding: 2}}]"
        #expect(throws: BuildError.unsupported(keyPath: "data.augment.event_random_crop.size", value: "34",
                                               supported: ["32, the side of the frames (data.resize or the sensor's)"])) {
            try ExperimentBuilder.model(try manifest("dvs_vgg", resize: crop).experiment)
        }
        let same = ", resize: 32, augment: [{event_random_crop: {size: 32, padding: 2}}]"
        #expect((try ExperimentBuilder.model(try manifest("dvs_vgg", resize: same).experiment) as? SpikingVGG)?.inputSize == 32)
    }
}

@Suite("Event rotation in manifests")
struct EventRotationManifestTests {
    @Test("event_rotation {degrees} becomes an EventRotation training transform, and is refused on image data")
    func rotation() throws {
        let manifest = try Manifest.load(yaml: """
            name: r
            data: {loader: nmnist, root: /tmp, batch_size: 4, augment: [{event_rotation: {degrees: 15}}]}
            model: {arch: spiking_cnn_28}
            neuron: {variant: lif, time_steps: 4}
            training: {epochs: 1, optimizer: {kind: adam, lr: 0.001}}
            """, path: "r.yaml")
        let transforms = try ExperimentBuilder.transforms(manifest.experiment.data)
        #expect((transforms.train.first as? EventRotation)?.degrees == 15)
        #expect(transforms.eval.isEmpty)
        #expect {
            _ = try Manifest.load(yaml: """
                name: r
                data: {loader: fashion_mnist, batch_size: 4, augment: [{event_rotation: {degrees: 15}}]}
                model: {arch: spiking_cnn_28}
                neuron: {variant: lif, time_steps: 4}
                training: {epochs: 1, optimizer: {kind: adam, lr: 0.001}}
                """, path: "r.yaml")
        } throws: { error in
            "\(error)".contains("event_rotation works on cifar10_dvs, dvs128_gesture, nmnist event data, not fashion_mnist")
        }
    }
}
