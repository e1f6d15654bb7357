import Foundation
import SpikeData
import SpikeTensor
import Testing
@testable import SpikeLab

private let fashionAvailable = FileManager.default.fileExists(
    atPath: FashionMNIST.defaultRoot + "/train-images-idx3-ubyte.gz")

@Suite("ExperimentBuilder: the papers' image augmentations")
struct AugmentationBuilderTests {
    func experiment(loader: String = "cifar10", arch: String = "cifar_convnet", _ augment: String) throws -> Experiment {
        try Manifest.load(yaml: """
            name: a
            data: {loader: \(loader), batch_size: 4, augment: \(augment)}
            model: {arch: \(arch)}
            neuron: {variant: lif, time_steps: 2}
            training: {epochs: 1, optimizer: {lr: 0.1}}
            """, path: "a.yaml").experiment
    }

    func errorText(loader: String = "cifar10", arch: String = "cifar_convnet", _ augment: String) -> String {
        do {
            _ = try experiment(loader: loader, arch: arch, augment)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("PSU's static setting builds in manifest order; evaluation keeps only normalisation; the fill is the CIFAR mean in 8-bit levels")
    func psuStatic() throws {
        let e = try experiment("""
            [{random_crop: {size: 32, padding: 4}}, {rand_augment: {m: 9, mstd: 0.5}}, {color_jitter: {strength: 0.4}},
             {normalize: cifar10}, {random_erasing: {p: 0.25}}]
            """)
        let t = try ExperimentBuilder.transforms(e.data)
        #expect(t.train.count == 5 && t.eval.count == 1 && t.eval[0] is Normalize)
        #expect(t.train[0] is RandomCrop && t.train[3] is Normalize)
        let rand = try #require(t.train[1] as? RandAugment)
        #expect(rand.count == 2 && rand.magnitude == 9 && rand.magnitudeStd == 0.5)
        // timm's img_mean: round(255 · [0.4914, 0.4822, 0.4465]) = (125, 123, 114).
        let cifarFill: [Float] = [125, 123, 114].map { $0 / 255 }
        #expect(rand.fill == cifarFill)
        let jitter = try #require(t.train[2] as? ColorJitter)
        #expect(jitter.brightness == 0.4 && jitter.contrast == 0.4 && jitter.saturation == 0.4)
        #expect((t.train[4] as? RandomErasing)?.probability == 0.25)
        #expect(TransformPipeline(t.train).outputShape(for: [3, 32, 32]) == [3, 32, 32])
    }

    @Test("the general SNN's setting: random-resized crop, flip, AutoAugment original, ImageNet normalisation")
    func generalSNN() throws {
        let e = try experiment("""
            [{random_resized_crop: {size: 32, scale: [0.08, 1.0]}}, horizontal_flip, {auto_augment: {policy: original}},
             {normalize: imagenet}, {random_rotation: {degrees: 15}}]
            """)
        let t = try ExperimentBuilder.transforms(e.data)
        let crop = try #require(t.train[0] as? RandomResizedCrop)
        #expect(crop.size == 32 && crop.scale == 0.08...1.0)
        let auto = try #require(t.train[2] as? AutoAugment)
        let imagenetFill: [Float] = [124, 116, 104].map { $0 / 255 }
        #expect(auto.policy == .original && auto.fill == imagenetFill)
        #expect((t.train[4] as? RandomRotation)?.degrees == 15)
        // Without a normalize the fill is timm's level 128.
        let plain = try ExperimentBuilder.transforms(try experiment("[{auto_augment: {policy: v0}}]").data)
        let gray: [Float] = [128.0 / 255]
        #expect((plain.train[0] as? AutoAugment)?.fill == gray && plain.eval.isEmpty)
    }

    @Test("a random-resized crop must come out at the evaluation images' side")
    func resizedCropSide() throws {
        let e = try experiment("[{random_resized_crop: {size: 24}}]")
        #expect(throws: BuildError.unsupported(keyPath: "data.augment.random_resized_crop.size", value: "24",
                                               supported: ["32 (the side of the evaluation images, which are not cropped)"])) {
            _ = try ExperimentBuilder.transforms(e.data)
        }
    }

    @Test("colour augmentations run on 1-channel Fashion-MNIST as grayscale and keep [1, 28, 28] in [0, 1]")
    func grayscale() throws {
        let e = try experiment(loader: "fashion_mnist", arch: "spiking_cnn_28",
                               "[{rand_augment: {n: 3}}, {auto_augment: {policy: v0}}, {color_jitter: {strength: 0.4}}, {random_rotation: {degrees: 10}}]")
        let pipeline = TransformPipeline(try ExperimentBuilder.transforms(e.data).train)
        #expect(pipeline.outputShape(for: [1, 28, 28]) == [1, 28, 28])
        var source = PhiloxGenerator(seed: 1)
        let image = (0..<784).map { _ in source.nextUniform() }
        var input = image, scratch = [Float](repeating: 0, count: 784), output = [Float](repeating: 0, count: 784)
        for s in 0..<40 {
            input = image
            var g = PhiloxGenerator(seed: 2, stream: UInt64(s))
            input.withUnsafeMutableBufferPointer { i in
                scratch.withUnsafeMutableBufferPointer { sc in
                    output.withUnsafeMutableBufferPointer { o in
                        pipeline.apply(i.baseAddress!, shape: [1, 28, 28], to: o.baseAddress!, scratch: sc.baseAddress!, using: &g)
                    }
                }
            }
            #expect(output.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    @Test("order rules: colour ops before normalize, random_erasing after it; each error names the entry and the fix")
    func orderRules() {
        let late = errorText("[{normalize: cifar10}, {color_jitter: {strength: 0.4}}]")
        #expect(late.contains("data.augment[1]") && late.contains("color_jitter works on [0, 1] pixels; move it before normalize"), "\(late)")
        let early = errorText("[{random_erasing: {p: 0.25}}, {normalize: cifar10}]")
        #expect(early.contains("data.augment[0]") && early.contains("move it after normalize"), "\(early)")
        // Without a normalize either order is the user's choice.
        #expect(errorText("[{random_erasing: {p: 0.25}}, {rand_augment: {m: 9}}]") == "no error")
    }

    @Test("out-of-range options are manifest errors, not crashes: reversed crop scale, rotation beyond 180°")
    func badOptions() {
        let scale = errorText("[{random_resized_crop: {size: 32, scale: [0.9, 0.2]}}]")
        #expect(scale.contains("data.augment[0].random_resized_crop.scale: scale [0.9, 0.2] must be [smallest, largest]; write [0.2, 0.9]"), "\(scale)")
        let rotation = errorText("[{random_rotation: {degrees: 200}}]")
        #expect(rotation.contains("data.augment[0].random_rotation.degrees"), "\(rotation)")
    }

    @Test("image augmentations on camera event frames are refused naming the entry, the loader and the event transforms")
    func eventLoaders() {
        let text = errorText(loader: "nmnist", arch: "spiking_cnn_28", "[{rand_augment: {m: 9}}, {event_flip: {p: 0.5}}, {random_crop: {size: 34}}]")
        #expect(text.contains("data.augment[0]: rand_augment works on images [C, H, W]; data.loader nmnist gives event frames"), "\(text)")
        #expect(text.contains("data.augment[2]: random_crop works on images") && !text.contains("data.augment[1]"), "\(text)")
        #expect(text.contains("use event_random_crop, event_flip or event_rotation"))
    }

    @Test("the PSU-augmentation demo manifest trains an epoch with RandAugment, jitter and random erasing on the CIFAR demo set",
          .enabled(if: fashionAvailable, "needs dataset-fashion-mnist"))
    func demoManifestTrains() throws {
        let demo = try TinyCIFARDemo("augment-demo")
        defer { demo.remove() }
        let manifest = try demo.manifest("cifar10-psu-augment", ["data.batch_size=20", "neuron.time_steps=2"])
        let transforms = try ExperimentBuilder.transforms(manifest.experiment.data)
        #expect(transforms.train.contains { $0 is RandAugment } && transforms.train.last is RandomErasing)
        let runner = try Runner.start(manifest, directory: demo.root + "/run", options: TinyCIFARDemo.options())
        #expect(try runner.run() == .finished)
        let rows = try MetricsLog.read(runner.metricsPath)
        #expect(rows.count == 1 && rows[0].values.allSatisfy { !$0.isInfinite })
    }
}
