import Foundation
import SpikeTensor

/// A 100-class stand-in for CIFAR-100 made from real Fashion-MNIST images: each 32×32 image
/// shows two Fashion-MNIST items side by side, each scaled (bilinear) to 16×16 and centred
/// vertically in its half (rows 8–23) on black, grey in all three channels like the CIFAR-10
/// demo. Fine label = 10 · left class + right class (100 classes); coarse label = 2 · left class
/// + (right class ≥ 5 ? 1 : 0) (20 superclasses of 5 fine classes each, as in CIFAR-100).
///
/// Balanced: `perClass` images per fine class; every Fashion-MNIST image is used at most once
/// per split. Deterministic for a seed: the seed picks which images of each class fill which
/// slot, and the order of the records.
public enum FashionPairs {
    /// Side of one scaled item, and the row of its top edge.
    public static let itemSize = 16
    public static let itemTop = 8

    /// Short CIFAR-style names of the Fashion-MNIST classes, index = label.
    public static let itemNames = ["t-shirt", "trouser", "pullover", "dress", "coat",
                                   "sandal", "shirt", "sneaker", "bag", "ankle_boot"]

    /// The fine label of a (left, right) pair of Fashion-MNIST classes.
    public static func fineLabel(left: Int, right: Int) -> Int { 10 * left + right }
    /// The superclass of a fine label: its left class and whether its right class is 5–9.
    public static func coarseLabel(fine: Int) -> Int { 2 * (fine / 10) + (fine % 10 >= 5 ? 1 : 0) }

    /// `fine_label_names.txt`, index = fine label: "t-shirt+trouser".
    public static let fineNames = (0..<100).map { itemNames[$0 / 10] + "+" + itemNames[$0 % 10] }
    /// `coarse_label_names.txt`, index = coarse label: "t-shirt+classes_0-4".
    public static let coarseNames = (0..<20).map { itemNames[$0 / 2] + ($0 % 2 == 0 ? "+classes_0-4" : "+classes_5-9") }

    /// One split: UInt8 `[100 · perClass, 3, 32, 32]`, fine and coarse labels (Int32), and the
    /// Fashion-MNIST indices (left, right) each image was made from.
    public struct Split {
        public var images: Tensor
        public var fine: Tensor
        public var coarse: Tensor
        public var sources: [(left: Int, right: Int)]
    }

    /// The largest `perClass` `source` supports: each class is a left item in 10 fine classes
    /// and a right item in 10, and no image is used twice.
    public static func maxPerClass(_ source: ByteImageDataset) -> Int {
        var counts = [Int](repeating: 0, count: 10)
        for i in 0..<source.count { counts[Int(source.label(at: i))] += 1 }
        return (counts.min() ?? 0) / 20
    }

    /// Makes one split from `source` (Fashion-MNIST, `[1, 28, 28]` images), `perClass` images
    /// per fine class, deterministic for (`seed`, `stream`).
    public static func make(from source: ByteImageDataset, perClass: Int, seed: UInt64, stream: UInt64) throws -> Split {
        precondition(source.inputShape == [1, 28, 28] && source.classCount == 10,
                     "FashionPairs needs 10-class 28x28 images, got \(source.inputShape), \(source.classCount) classes")
        let limit = maxPerClass(source)
        guard perClass >= 1 && perClass <= limit else {
            throw DataError.inconsistent(file: source.name, reason:
                "cannot make \(perClass) pair images per class: allowed 1...\(limit) (each Fashion-MNIST image is used once, 20 uses per class per image slot)")
        }
        var rng = PhiloxGenerator(seed: seed, stream: 0xC1FA_0100_0000 | stream)
        // Each class's images in a seeded order; images are taken from the front, never twice.
        var byClass = [[Int]](repeating: [], count: 10)
        for i in 0..<source.count { byClass[Int(source.label(at: i))].append(i) }
        for c in 0..<10 { shuffle(&byClass[c], rng: &rng) }
        var next = [Int](repeating: 0, count: 10)
        func take(_ c: Int) -> Int {
            defer { next[c] += 1 }
            return byClass[c][next[c]]
        }
        var records: [(fine: Int, left: Int, right: Int)] = []
        for _ in 0..<perClass {
            for fine in 0..<100 { records.append((fine, take(fine / 10), take(fine % 10))) }
        }
        shuffle(&records, rng: &rng)

        let n = records.count, plane = 32 * 32
        let images = Tensor(shape: [n, 3, 32, 32], dtype: .uint8)
        var scaled: [Int: [UInt8]] = [:]
        func item(_ index: Int) -> [UInt8] {
            if let cached = scaled[index] { return cached }
            let bytes = scaledItem(source, index)
            scaled[index] = bytes
            return bytes
        }
        let out = images.uint8s
        for (k, record) in records.enumerated() {
            for (half, index) in [record.left, record.right].enumerated() {
                let pixels = item(index)
                for y in 0..<itemSize {
                    for x in 0..<itemSize {
                        let value = pixels[y * itemSize + x]
                        for c in 0..<3 { out[(k * 3 + c) * plane + (itemTop + y) * 32 + half * itemSize + x] = value }
                    }
                }
            }
        }
        return Split(images: images,
                     fine: Tensor(int32: records.map { Int32($0.fine) }),
                     coarse: Tensor(int32: records.map { Int32(coarseLabel(fine: $0.fine)) }),
                     sources: records.map { ($0.left, $0.right) })
    }

    /// Fashion-MNIST image `index` scaled to `itemSize²` (`FashionCompositor.scaledItem`), as bytes.
    static func scaledItem(_ source: ByteImageDataset, _ index: Int) -> [UInt8] {
        FashionCompositor.scaledItem(source.sample(at: index).input, size: itemSize)
            .map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
    }

    /// A seeded Fisher–Yates shuffle.
    static func shuffle<T>(_ items: inout [T], rng: inout PhiloxGenerator) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
    }
}
