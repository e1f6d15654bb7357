import Foundation
import SpikeData
import SpikeTensor

/// A CIFAR-100 binary-layout demo set (`cifar-100-binary/{train,test}.bin`,
/// `{coarse,fine}_label_names.txt`) of 100 synthetic pair classes built from real Fashion-MNIST
/// images (`FashionPairs`: two items side by side, fine label 10 · left + right, 20 superclasses).
/// It is not CIFAR-100: it lets the `cifar100` and `sequential_cifar100` loaders and the papers'
/// CIFAR-100 rows run offline on a 100-class task. Train images come from Fashion-MNIST's
/// training split, test images from its test split. Deterministic for a seed.
public struct FashionPairsCIFAR100Demo: MarkedDemoSet {
    /// Images per fine class in the training and test files (100 classes each).
    public var trainPerClass = 20
    public var testPerClass = 5
    /// Where the Fashion-MNIST IDX files are.
    public var source = FashionMNIST.defaultRoot

    public init() {}

    public var name: String { "cifar100" }
    public var summary: String {
        "CIFAR-100 binary layout: \(100 * trainPerClass) train + \(100 * testPerClass) test 32x32 images of two "
            + "Fashion-MNIST items side by side (100 pair classes, 20 superclasses)"
    }
    public var folder: String { "cifar100" }
    var generator: String { "fashion-pairs-cifar100 v1 \(trainPerClass)+\(testPerClass)" }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        let out = root + "/" + folder
        try DemoMarker.clear(out)
        let directory = out + "/" + CIFAR100.folder
        try DataError.createDirectories([directory])
        for split in DataSplit.allCases {
            let images = try FashionMNIST.load(root: source, split: split)
            let perClass = split == .train ? trainPerClass : testPerClass
            let pairs = try FashionPairs.make(from: images, perClass: perClass, seed: seed,
                                              stream: split == .train ? 0 : 1)
            try CIFARBinary.write(images: pairs.images, labels: pairs.fine, coarseLabels: pairs.coarse,
                                  to: directory + "/" + CIFAR100.fileNames(split)[0])
            progress("\(split.rawValue): \(pairs.sources.count) images, \(perClass) per fine class")
        }
        for (file, names) in [("fine_label_names.txt", FashionPairs.fineNames), ("coarse_label_names.txt", FashionPairs.coarseNames)] {
            let path = directory + "/" + file
            do {
                try (names.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw DataError.unwritable(file: path, reason: error.localizedDescription)
            }
        }
        try DemoMarker.write(out, generator, seed: seed)
    }
}
