import Foundation
import Testing
@testable import SpikeLab
@testable import SpikeData
import SpikeNN
import SpikeTensor

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Segmentation: the task's loss and metrics, the resized dataset, the FCN, and runs end to end
/// on small Pascal VOC-layout scenes of real Fashion-MNIST items.
@Suite("Segmentation: task, dataset, FCN and runs", .serialized)
struct SegmentationTests {
    static var quiet: RunOptions {
        RunOptions(progress: ProgressReporter(output: FileHandle.nullDevice, interactive: false), handleSignals: false)
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "spikelab-seg-\(name)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A batch of masks `labels` ([N, H, W]) with placeholder inputs.
    static func maskBatch(_ labels: [Int32], shape: [Int]) -> Batch {
        Batch(inputs: Tensor(shape: [shape[0], 1]), labels: Tensor(int32: labels, shape: shape), epoch: 0, index: 0,
              sampleIndices: Array(0..<shape[0]))
    }

    // MARK: Loss and metrics

    @Test("the training loss is per-pixel cross-entropy that ignores void (255) pixels, by hand")
    func lossIgnoresVoid() throws {
        // One image, 2 classes, 1×3 pixels; pixel 1 is void. Logits per pixel: (2, 0), (5, -5), (0, 1).
        let logits = Tensor([2, 5, 0, 0, -5, 1], shape: [1, 2, 1, 3], requiresGrad: true)
        let batch = Self.maskBatch([0, 255, 1], shape: [1, 1, 3])
        let loss = SegmentationTask(classCount: 2).trainingLoss(logits, batch)
        // Mean over the two labelled pixels of −log softmax: log(1 + e^−2) and log(1 + e^−1).
        let expected = (log(1 + exp(-2.0)) + log(1 + exp(-1.0))) / 2
        #expect(abs(Double(loss.item) - expected) < 1e-6)
        loss.backward()
        let grad = logits.grad!.array
        // The void pixel gets no gradient; a labelled one gets (softmax − onehot) / 2.
        #expect(grad[1] == 0 && grad[4] == 0)
        let p0 = 1 / (1 + exp(-2.0))
        #expect(abs(Double(grad[0]) - (p0 - 1) / 2) < 1e-6 && abs(Double(grad[3]) - (1 - p0) / 2) < 1e-6)
    }

    @Test("training pixel accuracy counts labelled pixels only; the running sums survive a checkpoint")
    func trainingStatistics() {
        let task = SegmentationTask(classCount: 3)
        // Pixel scores: argmax 0, 2, 1, 1 (ties go to the first class).
        let logits = Tensor([5, 0, 0, 1, /**/ 0, 0, 9, 1, /**/ 0, 7, 0, 0], shape: [1, 3, 2, 2])
        #expect(SegmentationTask.argmaxLabels(logits) == [0, 2, 1, 0])
        task.recordTraining(logits, Self.maskBatch([0, 1, 255, 0], shape: [1, 2, 2]), loss: 0.5)
        // Labelled pixels 0, 1, 3: right, wrong, right.
        #expect(task.trainValues == [0.5, 2.0 / 3.0])
        let saved = task.trainState
        let other = SegmentationTask(classCount: 3)
        other.trainState = saved
        #expect(other.trainValues == task.trainValues)
        other.resetTraining()
        #expect(other.trainValues.allSatisfy { $0.isNaN })
    }

    // MARK: Dataset

    /// A segmentation dataset of hand-made samples.
    struct HandMadeSegmentation: SegmentationDataset {
        /// Float images [3, height, width] and their masks.
        var images: [[Float]]
        var masks: [[Int32]]
        var height: Int
        var width: Int
        var classNames: [String] { ["background", "a", "b", "c"] }
        var count: Int { images.count }
        func sample(at index: Int) throws -> Sample<SegmentationTarget> {
            Sample(input: Tensor(images[index], shape: [3, height, width]),
                   target: SegmentationTarget(imageID: "img\(index)", mask: Tensor(int32: masks[index], shape: [height, width])))
        }
    }

    @Test("the resized set: images bilinear, masks nearest (void kept), originals kept, dense labels in batches")
    func resizedSet() throws {
        // A 4×2 (w×h) image and mask, resized to 2×2: nearest picks source columns 0 and 2, row 0 and 1.
        let pixels = (0..<24).map { Float($0) }
        let image = Tensor(pixels, shape: [3, 2, 4])
        let mask: [Int32] = [1, 1, 255, 3, /**/ 0, 2, 2, 2]
        let source = HandMadeSegmentation(images: [pixels, pixels], masks: [mask, mask.map { $0 == 255 ? 255 : 0 }],
                                          height: 2, width: 4)
        let set = try ResizedSegmentationSet(source, side: 2, keepOriginalMasks: true)
        #expect(set.count == 2 && set.inputShape == [3, 2, 2] && set.labelShape == [2, 2])
        #expect(set.ids == ["img0", "img1"])
        #expect(set.classCount == 4)  // largest label 3, void excluded
        #expect(set.originalMasks?[0] == .init(width: 4, height: 2, labels: [1, 1, 255, 3, 0, 2, 2, 2]))
        var labels = [Int32](repeating: -1, count: 4)
        set.writeLabels(at: 0, to: &labels)
        #expect(labels == [1, 255, 0, 2])
        #expect(set.label(at: 0) == 0 || set.label(at: 0) == 1 || set.label(at: 0) == 2)  // one of the most common
        var resized = [Float](repeating: 0, count: 12)
        set.writeInput(at: 0, to: &resized)
        #expect(resized == upsampleBilinear2d(image.reshaped([1, 3, 2, 4]), size: (2, 2)).array)
        let batch = Batcher(dataset: set, batchSize: 2, shuffle: false, prefetch: 0).next()!
        #expect(batch.labels.shape == [2, 2, 2])
        #expect(batch.labels.int32Array == [1, 255, 0, 2, 0, 255, 0, 0])
    }

    // MARK: Network

    @Test("the FCN gives logits of the input's size for static and time-major inputs")
    func fcnShapes() {
        var rng = PhiloxGenerator(seed: 1)
        let fcn = SpikingFCN(neuron: NeuronSpec(.lif, timeSteps: 2), numClasses: 5, width: 0.125, rng: &rng)
        #expect(fcn(Tensor(shape: [3, 3, 16, 24])).shape == [3, 5, 16, 24])
        #expect(fcn(Tensor(shape: [2, 3, 3, 16, 16])).shape == [3, 5, 16, 16])
        #expect(fcn.foldedScores(Tensor(shape: [3, 3, 16, 24])).shape == [6, 5, 2, 3])
        let names = fcn.namedParameters().map(\.name)
        #expect(names.contains("backbone.0.weight") && names.contains("head.0.weight") && names.contains("classifier.bias"))
    }

    @Test("the FCN at width 1 has the parameters of its layers summed by hand")
    func fcnParameterCount() {
        var rng = PhiloxGenerator(seed: 0)
        let fcn = SpikingFCN(neuron: NeuronSpec(.lif, timeSteps: 1), numClasses: 10, rng: &rng)
        let convs = [(3, 64), (64, 128), (128, 256), (256, 256), (256, 512), (512, 512), (512, 256)]
        let weights = convs.map { $0.0 * $0.1 * 9 }.reduce(0, +)
        let batchNorms = convs.map { 2 * $0.1 }.reduce(0, +)
        let classifier = 256 * 10 + 10
        #expect(fcn.parameterCount == weights + batchNorms + classifier)
        #expect(fcn.parameterCount == 5_685_322)
    }

    @Test("one training step on a batch lowers its segmentation loss")
    func oneStepLowersLoss() {
        var rng = PhiloxGenerator(seed: 4)
        let fcn = SpikingFCN(neuron: NeuronSpec(.lif, timeSteps: 2), numClasses: 3, width: 0.125, rng: &rng)
        // Left half class 1, right half class 2, a void border row; the image says which side is which.
        var pixels = [Float](repeating: 0, count: 2 * 3 * 16 * 16), labels = [Int32](repeating: 0, count: 2 * 16 * 16)
        for n in 0..<2 { for y in 0..<16 { for x in 0..<16 {
            labels[n * 256 + y * 16 + x] = y == 0 ? 255 : (x < 8 ? 1 : 2)
            for c in 0..<3 { pixels[((n * 3 + c) * 16 + y) * 16 + x] = x < 8 ? 1 : -1 }
        } } }
        let batch = Batch(inputs: Tensor(pixels, shape: [2, 3, 16, 16]), labels: Tensor(int32: labels, shape: [2, 16, 16]),
                          epoch: 0, index: 0, sampleIndices: [0, 1])
        let task = SegmentationTask(classCount: 3)
        let optimizer = Adam(parameters: fcn.namedParameters(), lr: 0.01)
        let before = task.trainingLoss(fcn(batch.inputs), batch)
        before.backward()
        optimizer.step()
        let after = noGrad { task.trainingLoss(fcn(batch.inputs), batch) }
        #expect(after.item < before.item)
    }

    // MARK: Manifest and builder

    static let manifestText = """
        name: seg-test
        seed: 5
        task: segmentation
        data:
          loader: voc_segmentation
          root: ROOT
          batch_size: 8
          eval_batch_size: 4
          resize: 32
          prefetch: 1
          augment: [{normalize: imagenet}]
        model: {arch: fcn, num_classes: 11, width: 0.125}
        neuron: {variant: lif, time_steps: 2}
        training:
          epochs: 2
          optimizer: {kind: adam, lr: 0.003}
        checkpoint: {every_epochs: 1, keep_best: miou}
        """

    static func manifest(root: String, _ overrides: [String] = []) throws -> Manifest {
        try Manifest.load(yaml: manifestText.replacingOccurrences(of: "ROOT", with: root), path: "seg-test.yaml",
                          overrides: overrides)
    }

    @Test("fcn needs data.resize, a multiple of 8; the error names the key and a fix")
    func resizeRule() {
        for (override, expected) in [("data.resize=null", "arch fcn needs data.resize"), ("data.resize=60", "use e.g. 56")] {
            #expect {
                _ = try Self.manifest(root: "/nonexistent", [override])
            } throws: { error in
                "\(error)".contains("data.resize") && "\(error)".contains(expected)
            }
        }
    }

    @Test("augmentations that move pixels are refused for segmentation, naming data.augment")
    func movingAugmentRefused() throws {
        let manifest = try Self.manifest(root: "/nonexistent", ["data.augment=[horizontal_flip]"])
        #expect(throws: BuildError.self) { _ = try ExperimentBuilder.transforms(manifest.experiment.data) }
        do { _ = try ExperimentBuilder.transforms(manifest.experiment.data) } catch let error as BuildError {
            #expect(error.description.contains("data.augment") && error.description.contains("normalize"))
            #expect(error.exitCode == 2)
        }
    }

    // MARK: Runs

    static let fashionAvailable = FileManager.default.fileExists(atPath: FashionMNIST.defaultRoot + "/train-images-idx3-ubyte.gz")

    /// A small VOC-layout scene set of real Fashion-MNIST items under `root`.
    static func makeScenes(root: String, train: Int, val: Int) throws {
        var demo = FashionScenesDemo()
        demo.scenes.trainScenes = train
        demo.scenes.valScenes = val
        try demo.make(root: root, seed: 0) { _ in }
    }

    /// The val masks of the scene set copied into their own folder (the truth `score` reads).
    static func valTruth(root: String, into folder: String) throws -> [String] {
        let voc = FashionScenes.directory(root: root + "/voc")
        let ids = try PascalVOC.readImageSet(voc + "/ImageSets/Segmentation/val.txt")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for id in ids {
            try FileManager.default.copyItem(atPath: voc + "/SegmentationClass/\(id).png", toPath: folder + "/\(id).png")
        }
        return ids
    }

    @Test("a run logs loss, mIoU and pixel accuracy; eval's predicted PNGs score to exactly the logged mIoU",
          .enabled(if: fashionAvailable, "needs the Debian package dataset-fashion-mnist (make deps installs it)"))
    func runEvalScore() throws {
        let root = Self.temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.makeScenes(root: root, train: 16, val: 6)
        let manifest = try Self.manifest(root: root + "/voc")
        let runner = try Runner.start(manifest, directory: root + "/run", options: Self.quiet)
        #expect(try runner.run() == .finished)

        let log = try MetricsLog.readTable(runner.metricsPath)
        #expect(log.columns == ["epoch", "step", "lr", "train_loss", "train_pixel_acc", "test_loss", "test_miou",
                                "test_pixel_acc", "firing_rate", "epoch_seconds", "images_per_s"])
        #expect(log.rows.count == 2)
        let last = Dictionary(uniqueKeysWithValues: zip(log.columns, log.rows[1]))
        #expect(last["step"] == 4)  // 16 images in batches of 8, two epochs
        for key in ["train_loss", "test_loss"] { #expect(last[key]!.isFinite && last[key]! > 0) }
        for key in ["train_pixel_acc", "test_miou", "test_pixel_acc", "firing_rate"] { #expect((0...1).contains(last[key]!)) }

        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runner.summaryPath))) as! [String: Any]
        #expect(summary["status"] as? String == "finished")
        let best = summary["best"] as! [String: Any]
        #expect(best["metric"] as? String == "miou")
        let bestValue = best["value"] as! Double
        // JSONSerialization may lose the last bit of a Double.
        #expect(abs(bestValue - max(log.rows[0][6], log.rows[1][6])) < 1e-12)
        #expect(abs(((summary["final"] as! [String: Any])["test_miou"] as! Double) - last["test_miou"]!) < 1e-12)
        #expect(summary["energy"] != nil)

        // Evaluating the last checkpoint gives the logged row, and its PNGs score to the same numbers.
        let predictions = root + "/predictions"
        let evaluation = try CheckpointEvaluation.run(checkpointAt: runner.lastCheckpointPath, split: .test, predictions: predictions)
        #expect(evaluation.metrics == ["loss", "miou", "pixel_acc"])
        #expect(evaluation.result.values == [last["test_loss"]!, last["test_miou"]!, last["test_pixel_acc"]!])
        #expect(evaluation.predictionsWritten == 6)
        let ids = try Self.valTruth(root: root, into: root + "/truth")
        for id in ids {
            let png = try PalettedPNGImage(contentsOf: predictions + "/\(id).png")
            #expect(png.width == 192 && png.height == 144)
            #expect(png.palette.count == 256 && png.palette[1] == vocColorMap()[1])
        }
        let scored = try SegmentationScoring.score(truthDirectory: root + "/truth", predictedDirectory: predictions, classCount: 11)
        #expect(scored.images == 6)
        #expect(scored.matrix.meanIoU == last["test_miou"])
        #expect(scored.matrix.pixelAccuracy == last["test_pixel_acc"])
        let json = try JSONSerialization.jsonObject(with: Data(evaluation.json().utf8)) as! [String: Any]
        #expect(abs((json["miou"] as! Double) - last["test_miou"]!) < 1e-12)
    }

    @Test("a segmentation run stopped mid-epoch and resumed logs the same rows and weights as one straight run",
          .enabled(if: fashionAvailable, "needs the Debian package dataset-fashion-mnist (make deps installs it)"))
    func resumeIsBitExact() throws {
        let root = Self.temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.makeScenes(root: root, train: 16, val: 4)
        let manifest = try Self.manifest(root: root + "/voc")
        let straight = try Runner.start(manifest, directory: root + "/straight", options: Self.quiet)
        #expect(try straight.run() == .finished)
        var stopping = Self.quiet
        stopping.stopAfterSteps = 3
        #expect(try Runner.start(manifest, directory: root + "/resumed", options: stopping).run() == .interrupted)
        #expect(try Runner.resume(directory: root + "/resumed", options: Self.quiet).run() == .finished)
        let timing: Set<String> = EpochMetrics.timingColumns
        func rows(_ run: String) throws -> [[Double]] {
            let table = try MetricsLog.readTable(root + "/\(run)/metrics.csv")
            let keep = table.columns.indices.filter { !timing.contains(table.columns[$0]) }
            return table.rows.map { row in keep.map { row[$0] } }
        }
        #expect(try rows("straight") == rows("resumed"))
        let a = try Checkpoint.read(from: root + "/straight/checkpoints/last.h5").model
        let b = try Checkpoint.read(from: root + "/resumed/checkpoints/last.h5").model
        #expect(a.map(\.name) == b.map(\.name))
        for (x, y) in zip(a, b) { #expect(x.tensor.array == y.tensor.array, "\(x.name)") }
    }

    @Test("eval --predictions is refused for a classification checkpoint")
    func predictionsNeedSegmentation() {
        #expect(EvaluationError.predictionsNeedSegmentation(task: "classification").description.contains("segmentation"))
    }

    @Test("the demo manifest's cpu profile trains one epoch on the full demo scene set",
          .enabled(if: fashionAvailable && ProcessInfo.processInfo.environment["SPIKELAB_LONG_TESTS"] == "1"))
    func demoManifestEpoch() throws {
        let root = Self.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FashionScenesDemo().make(root: root, seed: 0) { _ in }
        let manifest = try Manifest.load(contentsOf: repositoryRoot + "/experiments/demo/voc-segmentation-lif.yaml", profile: "cpu",
                                         overrides: ["data.root=\(root)/voc", "training.epochs=1"])
        let runner = try Runner.start(manifest, directory: root + "/run", options: Self.quiet)
        #expect(try runner.run() == .finished)
        let row = try MetricsLog.readTable(runner.metricsPath).rows.last!
        #expect(row[6] > 0 && row[6] <= 1)  // test_miou
    }
}
