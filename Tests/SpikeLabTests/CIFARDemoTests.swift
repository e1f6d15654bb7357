import Foundation
import SpikeData
import SpikeTensor
import Testing
@testable import SpikeLab

private let fashionAvailable = FileManager.default.fileExists(
    atPath: FashionMNIST.defaultRoot + "/train-images-idx3-ubyte.gz")

@Suite("CIFAR-layout demo set and the sequential-CIFAR demo", .enabled(if: fashionAvailable, "needs dataset-fashion-mnist"))
struct CIFARDemoTests {
    static func folder() -> String {
        NSTemporaryDirectory() + "spikelab-cifar-demo-" + UUID().uuidString
    }

    @Test("the cifar10 demo set is CIFAR-10 binary files of padded Fashion-MNIST images, the same bytes for the same seed")
    func demoSet() throws {
        let a = Self.folder(), b = Self.folder(), c = Self.folder()
        defer { for f in [a, b, c] { try? FileManager.default.removeItem(atPath: f) } }
        var set = FashionCIFARDemo()
        set.trainPerFile = 6
        set.testCount = 5
        try set.make(root: a, seed: 1) { _ in }
        try set.make(root: b, seed: 1) { _ in }
        try set.make(root: c, seed: 2) { _ in }
        #expect(set.isComplete(root: a, seed: 1) && !set.isComplete(root: a, seed: 2))
        let file = "/cifar10/cifar-10-batches-bin/data_batch_3.bin"
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: a + file))
        #expect(bytesA == (try Data(contentsOf: URL(fileURLWithPath: b + file))))
        #expect(bytesA != (try Data(contentsOf: URL(fileURLWithPath: c + file))))
        #expect(bytesA.count == 6 * 3073)

        // Read back by the CIFAR-10 reader: 30 / 5 images, each a Fashion-MNIST image with a 2-pixel border.
        let train = try CIFAR10.load(root: a + "/cifar10", split: .train)
        let test = try CIFAR10.load(root: a + "/cifar10", split: .test)
        #expect(train.count == 30 && test.count == 5 && train.inputShape == [3, 32, 32])
        let fashion = try FashionMNIST.load(split: .train)
        let pixels = train.images.uint8s
        for k in 0..<train.count {
            let image = Array(pixels[(k * 3072)..<((k + 1) * 3072)])
            #expect(image[0..<1024] == image[1024..<2048] && image[0..<1024] == image[2048..<3072])
            #expect((0..<32).allSatisfy { image[$0] == 0 && image[31 * 32 + $0] == 0 && image[$0 * 32] == 0 })
            // The inner 28×28 is some Fashion-MNIST training image of the same class.
            var inner: [UInt8] = []
            for y in 0..<28 {
                let start = (y + 2) * 32 + 2
                inner += image[start..<(start + 28)]
            }
            let all = fashion.images.uint8s, label = train.label(at: k)
            let source = (0..<fashion.count).first { (i: Int) -> Bool in
                fashion.label(at: i) == label && Array(all[(i * 784)..<((i + 1) * 784)]) == inner
            }
            #expect(source != nil, "image \(k) is not a Fashion-MNIST training image of class \(train.label(at: k))")
        }
    }

    @Test("the sequential-CIFAR demo manifest trains an epoch of seq_cifar_conv1d on the demo set")
    func sequentialManifestTrains() throws {
        let demo = try TinyCIFARDemo("cifar-demo")
        defer { demo.remove() }
        let manifest = try demo.manifest("sequential-cifar10-demo", ["data.batch_size=16", "training.epochs=1", "model.width=0.125"])
        let runner = try Runner.start(manifest, directory: demo.root + "/run", options: TinyCIFARDemo.options())
        #expect(try runner.run() == .finished)
        let rows = try MetricsLog.read(runner.metricsPath)
        #expect(rows.count == 1)
        #expect(rows[0].values.allSatisfy { !$0.isInfinite })
    }
}
