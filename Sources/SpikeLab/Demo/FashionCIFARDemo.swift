import Foundation
import SpikeData
import SpikeTensor

/// A CIFAR-10 binary-layout demo set (`cifar-10-batches-bin/data_batch_1..5.bin`,
/// `test_batch.bin`) from real Fashion-MNIST images: each 28×28 image centred on a 32×32 black
/// canvas and copied into the R, G and B planes, its Fashion-MNIST class as the label. It lets
/// the `cifar10` and `sequential_cifar10` loaders (one image column per time step) run offline.
///
/// Deterministic for a seed: the seed picks which images (without repeats) fill each split.
public struct FashionCIFARDemo: MarkedDemoSet {
    /// Images per training file (5 files) and in the test file.
    public var trainPerFile = 400
    public var testCount = 500
    /// Where the Fashion-MNIST IDX files are.
    public var source = FashionMNIST.defaultRoot

    public init() {}

    public var name: String { "cifar10" }
    public var summary: String {
        "CIFAR-10 binary layout: \(5 * trainPerFile) train + \(testCount) test Fashion-MNIST images padded to 32x32, 3 equal channels"
    }
    public var folder: String { "cifar10" }
    var generator: String { "fashion-cifar10 v1 \(trainPerFile)x5+\(testCount)" }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        let out = root + "/" + folder
        try DemoMarker.clear(out)
        let directory = out + "/" + CIFAR10.folder
        try DataError.createDirectories([directory])
        var rng = PhiloxGenerator(seed: seed, stream: 0x0C1FA5)
        for split in DataSplit.allCases {
            let images = try FashionMNIST.load(root: source, split: split)
            let files = CIFAR10.fileNames(split)
            let perFile = split == .train ? trainPerFile : testCount
            let chosen = Self.sample(files.count * perFile, of: images.count, rng: &rng)
            for (f, file) in files.enumerated() {
                let indices = Array(chosen[(f * perFile)..<((f + 1) * perFile)])
                let (pixels, labels) = Self.padded(images, indices)
                try CIFARBinary.write(images: pixels, labels: labels, to: directory + "/" + file)
            }
            progress("\(split.rawValue): \(chosen.count) images in \(files.count) file(s)")
        }
        try DemoMarker.write(out, generator, seed: seed)
    }

    /// `k` distinct indices of `0..<n` (a seeded partial Fisher–Yates shuffle).
    static func sample(_ k: Int, of n: Int, rng: inout PhiloxGenerator) -> [Int] {
        precondition(k <= n, "cannot draw \(k) distinct images from \(n)")
        var order = Array(0..<n)
        for i in 0..<k {
            let j = i + Int(rng.next() % UInt64(n - i))
            order.swapAt(i, j)
        }
        return Array(order[0..<k])
    }

    /// The images at `indices` as UInt8 `[k, 3, 32, 32]` (centred, 2-pixel black border) and their labels.
    static func padded(_ images: ByteImageDataset, _ indices: [Int]) -> (Tensor, Tensor) {
        let side = 32, inner = images.inputShape[1], offset = (side - inner) / 2
        var pixels = [UInt8](repeating: 0, count: indices.count * 3 * side * side)
        let source = images.images.uint8s
        for (k, index) in indices.enumerated() {
            for y in 0..<inner {
                for x in 0..<inner {
                    let value = source[index * inner * inner + y * inner + x]
                    for c in 0..<3 { pixels[((k * 3 + c) * side + y + offset) * side + x + offset] = value }
                }
            }
        }
        let labels = indices.map { images.label(at: $0) }
        return (Tensor(uint8: pixels, shape: [indices.count, 3, side, side]), Tensor(int32: labels))
    }
}
