import Foundation
import SpikeTensor

/// A small classification demo set in TinyImageNet's layout, made from real Fashion-MNIST
/// images: 64×64 RGB JPEGs, each one item scaled to 36–56 px, tinted and placed at a random
/// offset on a textured background; 10 classes (`wnids.txt` ids `n9900000<label>`, their
/// `words.txt` names the Fashion-MNIST class names). Train images come from the Fashion-MNIST
/// training set, val (the test split) from its test set; `val_annotations.txt` holds each
/// item's box.
public struct FashionTinyImageNet: Sendable {
    public var trainPerClass = 100
    public var valPerClass = 20
    public var size = 64
    public var jpegQuality = 90

    public init() {}

    /// The ids written to `wnids.txt`, index = Fashion-MNIST label.
    public static let wnids = (0..<10).map { "n9900000\($0)" }

    /// The first `perClass` images of each class of `source` (in dataset order, interleaved by
    /// class) composed onto `size`×`size` canvases: items scaled to 36/64–56/64 of the side,
    /// tinted, at a random offset; returns images `[N, 3, size, size]`, labels and item boxes.
    public func compose(_ source: ByteImageDataset, perClass: Int, stream: UInt64, seed: UInt64)
        -> (images: Tensor, labels: Tensor, boxes: [[Int]]) {
        var byClass = [[Int]](repeating: [], count: 10)
        for i in 0..<source.count where byClass[Int(source.label(at: i))].count < perClass {
            byClass[Int(source.label(at: i))].append(i)
        }
        let order = (0..<perClass).flatMap { k in (0..<10).compactMap { k < byClass[$0].count ? byClass[$0][k] : nil } }
        let images = Tensor(shape: [order.count, 3, size, size], dtype: .uint8, uninitialized: true)
        var labels: [Int32] = [], boxes: [[Int]] = []
        for (n, index) in order.enumerated() {
            var g = PhiloxGenerator(seed: seed, stream: (stream << 32) | UInt64(n))
            var canvas = FashionCompositor.Canvas(width: size, height: size)
            FashionCompositor.paintBackground(&canvas, using: &g)
            // 36–56 px at the TinyImageNet side 64, the same fractions at other sides.
            let itemSize = size * 36 / 64 + g.nextIndex(below: size * 21 / 64)
            let left = g.nextIndex(below: size - itemSize + 1), top = g.nextIndex(below: size - itemSize + 1)
            let alpha = FashionCompositor.scaledItem(source.sample(at: index).input, size: itemSize)
            FashionCompositor.paste(alpha, size: itemSize, left: left, top: top,
                                    color: FashionCompositor.itemColor(using: &g), on: &canvas)
            let bytes = canvas.bytes()
            withExtendedLifetime(bytes) {
                (images.uint8s.baseAddress! + n * 3 * size * size).update(from: bytes.uint8s.baseAddress!, count: 3 * size * size)
            }
            labels.append(source.label(at: index))
            boxes.append([left, top, left + itemSize - 1, top + itemSize - 1])
        }
        return (images, Tensor(int32: labels), boxes)
    }

    /// Writes the set under `root/tiny-imagenet-200`, deterministic for `seed`.
    public func write(root: String, train: ByteImageDataset, test: ByteImageDataset, seed: UInt64) throws {
        func split(_ source: ByteImageDataset, perClass: Int, stream: UInt64) -> (Tensor, Tensor, [[Int]]) {
            compose(source, perClass: perClass, stream: stream, seed: seed)
        }
        let (trainImages, trainLabels, trainBoxes) = split(train, perClass: trainPerClass, stream: 0)
        let (testImages, testLabels, testBoxes) = split(test, perClass: valPerClass, stream: 1)
        try TinyImageNet.write(root: root, wnids: Self.wnids, words: FashionMNIST.classNames,
                               train: (trainImages, trainLabels), test: (testImages, testLabels),
                               trainBoxes: trainBoxes, testBoxes: testBoxes, quality: jpegQuality)
    }
}

/// A small stand-in for ImageNet in its ILSVRC-2012 folder layout (`ImageNet`), made from the
/// same real Fashion-MNIST compositions as `FashionTinyImageNet` at a larger side (96 px):
/// `train/<wnid>/*.JPEG` and `val/<wnid>/*.JPEG` for 10 made-up wnids `n99100000`…`n99100009`
/// (valid in form, no WordNet synsets; sorted order = Fashion-MNIST label).
public struct FashionImageNet: Sendable {
    public var trainPerClass = 100
    public var valPerClass = 20
    public var size = 96
    public var jpegQuality = 90

    public init() {}

    /// The made-up class folders, index = Fashion-MNIST label.
    public static let wnids = (0..<10).map { "n9910000\($0)" }

    /// Writes the set under `root` (`root/train`, `root/val`), deterministic for `seed`.
    public func write(root: String, train: ByteImageDataset, test: ByteImageDataset, seed: UInt64) throws {
        var composer = FashionTinyImageNet()
        composer.size = size
        // Streams 2 and 3, so no canvas repeats one of the TinyImageNet demo's (streams 0, 1).
        let trainSet = composer.compose(train, perClass: trainPerClass, stream: 2, seed: seed)
        let testSet = composer.compose(test, perClass: valPerClass, stream: 3, seed: seed)
        try ImageNet.write(root: root, wnids: Self.wnids, train: (trainSet.images, trainSet.labels),
                           test: (testSet.images, testSet.labels), quality: jpegQuality)
    }
}
