import Foundation
import SpikeData
import SpikeTensor
import Testing
@testable import SpikeLab

@Suite("ExperimentBuilder: TinyImageNet, sequential CIFAR and data.resize")
struct VisionBuilderTests {
    func manifest(_ yaml: String) throws -> Experiment {
        try Manifest.load(yaml: yaml, path: "vision.yaml").experiment
    }

    @Test("tinyimagenet with vgg_small needs data.resize 32; with it the batches are [N, 3, 32, 32]")
    func tinyImageNet() throws {
        let dir = NSTemporaryDirectory() + "spikelab-vision-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = Tensor(uint8: (0..<(4 * 3 * 64 * 64)).map { UInt8($0 % 251) }, shape: [4, 3, 64, 64])
        try TinyImageNet.write(root: dir, wnids: ["n1", "n2"], train: (images, Tensor(int32: [0, 1, 1, 0])),
                               test: (images, Tensor(int32: [1, 0, 0, 1])))
        let base = """
        name: t
        data: {loader: tinyimagenet, root: \(dir), batch_size: 2, RESIZE}
        model: {arch: vgg_small, num_classes: 2, width: 0.125}
        neuron: {variant: lif, time_steps: 1}
        training: {epochs: 1, optimizer: {lr: 0.1}}
        """
        let without = try manifest(base.replacingOccurrences(of: ", RESIZE", with: ""))
        #expect(throws: BuildError.unsupported(keyPath: "data.resize", value: "none (64×64 images)",
                                               supported: ["32 (vgg_small takes 32×32 images)"])) {
            _ = try ExperimentBuilder.model(without)
        }
        let with = try manifest(base.replacingOccurrences(of: "RESIZE", with: "resize: 32"))
        _ = try ExperimentBuilder.model(with)
        let data = try ExperimentBuilder.datasets(with.data, root: dir)
        #expect(data.train.count == 4 && data.test.count == 4 && data.train.classCount == 2)
        let transforms = try ExperimentBuilder.transforms(with.data)
        let batcher = Batcher(dataset: data.train, batchSize: 2, transforms: transforms.train, prefetch: 0)
        #expect(batcher.sampleShape == [3, 32, 32])
    }

    @Test("sequential_cifar10 reads CIFAR files and ends both pipelines with the column view [32, 96]")
    func sequentialCIFAR() throws {
        let dir = NSTemporaryDirectory() + "spikelab-seq-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let images = Tensor(uint8: [UInt8](repeating: 9, count: 2 * 3072), shape: [2, 3, 32, 32])
        for name in CIFAR10.fileNames(.train) + CIFAR10.fileNames(.test) {
            try CIFARBinary.write(images: images, labels: Tensor(int32: [1, 2]), to: dir + "/" + name)
        }
        let e = try manifest("""
        name: s
        data: {loader: sequential_cifar10, root: \(dir), batch_size: 2, augment: [{normalize: cifar10}]}
        model: {arch: seq_cifar_conv1d}
        neuron: {variant: lif, time_steps: 32}
        training: {epochs: 1, optimizer: {lr: 0.1}}
        """)
        let data = try ExperimentBuilder.datasets(e.data, root: dir)
        #expect(data.train.count == 10 && data.test.count == 2)
        let transforms = try ExperimentBuilder.transforms(e.data)
        #expect(transforms.train.last is ImageColumns && transforms.eval.last is ImageColumns)
        let batcher = Batcher(dataset: data.test, batchSize: 2, shuffle: false, transforms: transforms.eval, prefetch: 0)
        #expect(batcher.sampleShape == [32, 96])
        // seq_cifar_conv1d reads the columns: one 10-class score row per sequence.
        let model = try ExperimentBuilder.model(e)
        let batch = try #require(batcher.next())
        #expect(noGrad { model(batch.inputs) }.shape == [2, 10])
    }
}
