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

    /// Writes the set under `root/tiny-imagenet-200`, deterministic for `seed`.
    public func write(root: String, train: ByteImageDataset, test: ByteImageDataset, seed: UInt64) throws {
        func split(_ source: ByteImageDataset, perClass: Int, stream: UInt64) -> (Tensor, Tensor, [[Int]]) {
            // The first `perClass` images of each class, in dataset order, interleaved by class.
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
                let itemSize = 36 + g.nextIndex(below: 21)
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
        let (trainImages, trainLabels, trainBoxes) = split(train, perClass: trainPerClass, stream: 0)
        let (testImages, testLabels, testBoxes) = split(test, perClass: valPerClass, stream: 1)
        try TinyImageNet.write(root: root, wnids: Self.wnids, words: FashionMNIST.classNames,
                               train: (trainImages, trainLabels), test: (testImages, testLabels),
                               trainBoxes: trainBoxes, testBoxes: testBoxes, quality: jpegQuality)
    }
}
