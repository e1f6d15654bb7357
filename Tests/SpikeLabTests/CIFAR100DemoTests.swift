import Foundation
import SpikeData
import SpikeTensor
import Testing
@testable import SpikeLab

private let fashionAvailable = FileManager.default.fileExists(
    atPath: FashionMNIST.defaultRoot + "/train-images-idx3-ubyte.gz")

/// A slow, separately written bilinear resize of one 28×28 byte image to `size × size` in Double
/// (half-pixel centres, edges clamped: PyTorch's `interpolate(bilinear, align_corners=False)`
/// without antialiasing), rounded to bytes.
private func referenceScaled(_ pixels: [UInt8], size: Int) -> [UInt8] {
    let n = 28
    let scale = Double(n) / Double(size)
    func tap(_ o: Int) -> (Int, Int, Double) {
        let s = max(0, (Double(o) + 0.5) * scale - 0.5)
        let i0 = min(Int(s.rounded(.down)), n - 1)
        return (i0, min(i0 + 1, n - 1), s - Double(i0))
    }
    var out: [UInt8] = []
    for y in 0..<size {
        let (y0, y1, fy) = tap(y)
        for x in 0..<size {
            let (x0, x1, fx) = tap(x)
            func p(_ yy: Int, _ xx: Int) -> Double { Double(pixels[yy * n + xx]) / 255 }
            let top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx
            let bottom = p(y1, x0) * (1 - fx) + p(y1, x1) * fx
            let v = top * (1 - fy) + bottom * fy
            out.append(UInt8(max(0, min(255, (v * 255).rounded()))))
        }
    }
    return out
}

@Suite("CIFAR-100-layout demo set of Fashion-MNIST pairs", .enabled(if: fashionAvailable, "needs dataset-fashion-mnist"))
struct CIFAR100DemoTests {
    static func folder() -> String {
        NSTemporaryDirectory() + "spikelab-cifar100-demo-" + UUID().uuidString
    }

    @Test("the cifar100 demo set reads back with the CIFAR-100 reader: 100 balanced fine classes, their superclasses and names")
    func readsBack() throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var set = FashionPairsCIFAR100Demo()
        set.trainPerClass = 3
        set.testPerClass = 2
        try set.make(root: root, seed: 7) { _ in }
        #expect(set.isComplete(root: root, seed: 7) && !set.isComplete(root: root, seed: 8))
        let directory = root + "/cifar100/cifar-100-binary"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["coarse_label_names.txt", "fine_label_names.txt", "test.bin", "train.bin"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/train.bin")).count == 300 * 3074)

        for (split, perClass) in [(DataSplit.train, 3), (.test, 2)] {
            let fine = try CIFAR100.load(root: root + "/cifar100", split: split)
            let coarse = try CIFAR100.load(root: root + "/cifar100", split: split, labels: .coarse)
            #expect(fine.count == 100 * perClass && fine.classCount == 100 && coarse.classCount == 20)
            #expect(fine.classNames == FashionPairs.fineNames && coarse.classNames == FashionPairs.coarseNames)
            #expect(fine.classNames[1] == "t-shirt+trouser" && fine.classNames[98] == "ankle_boot+bag")
            #expect(coarse.classNames[19] == "ankle_boot+classes_5-9")
            var counts = [Int](repeating: 0, count: 100)
            for i in 0..<fine.count {
                let f = Int(fine.label(at: i)), c = Int(coarse.label(at: i))
                counts[f] += 1
                // Superclass = left class and whether the right class is 5-9; 5 fine classes each.
                #expect(c == 2 * (f / 10) + (f % 10 >= 5 ? 1 : 0), "record \(i): fine \(f), coarse \(c)")
            }
            #expect(counts.allSatisfy { $0 == perClass })
            // Records are shuffled, not grouped by class.
            #expect((0..<fine.count).map { fine.label(at: $0) } != (0..<fine.count).map { Int32($0 % 100) })
        }
    }

    @Test("each image is its two Fashion-MNIST items scaled to 16x16 side by side on black, matching a slow reference resize")
    func pixelPlacement() throws {
        let fashion = try FashionMNIST.load(split: .test)
        let pairs = try FashionPairs.make(from: fashion, perClass: 2, seed: 3, stream: 1)
        #expect(pairs.sources.count == 200)
        // No Fashion-MNIST image is used twice.
        let used = pairs.sources.flatMap { [$0.left, $0.right] }
        #expect(Set(used).count == used.count)
        let source = fashion.images.uint8s, pixels = pairs.images.uint8s
        for k in 0..<pairs.sources.count {
            let fine = Int(pairs.fine.int32s[k]), (left, right) = pairs.sources[k]
            #expect(Int(fashion.label(at: left)) == fine / 10 && Int(fashion.label(at: right)) == fine % 10)
            #expect(Int(pairs.coarse.int32s[k]) == FashionPairs.coarseLabel(fine: fine))
            var expected = [UInt8](repeating: 0, count: 32 * 32)
            for (half, index) in [left, right].enumerated() {
                let raw: [UInt8] = Array(source[(index * 784)..<((index + 1) * 784)])
                let item = referenceScaled(raw, size: 16)
                for y in 0..<16 {
                    for x in 0..<16 {
                        let target: Int = (8 + y) * 32 + half * 16 + x
                        expected[target] = item[y * 16 + x]
                    }
                }
            }
            for c in 0..<3 {
                let plane = Array(pixels[((k * 3 + c) * 1024)..<((k * 3 + c + 1) * 1024)])
                let worst = zip(plane, expected).map { abs(Int($0) - Int($1)) }.max()!
                #expect(worst <= 1, "image \(k) channel \(c): off by \(worst) from the reference")
                // Outside the two item boxes (rows 0-7 and 24-31) the canvas is black.
                #expect(plane[0..<256].allSatisfy { $0 == 0 } && plane[768..<1024].allSatisfy { $0 == 0 })
            }
        }
    }

    @Test("the same seed writes the same bytes, another seed other images, and what make writes is FashionPairs' output")
    func deterministic() throws {
        let a = Self.folder(), b = Self.folder(), c = Self.folder()
        defer { for f in [a, b, c] { try? FileManager.default.removeItem(atPath: f) } }
        var set = FashionPairsCIFAR100Demo()
        set.trainPerClass = 1
        set.testPerClass = 1
        for (root, seed) in [(a, UInt64(5)), (b, 5), (c, 6)] { try set.make(root: root, seed: seed) { _ in } }
        for file in ["train.bin", "test.bin"] {
            let path = "/cifar100/cifar-100-binary/" + file
            let bytes = try Data(contentsOf: URL(fileURLWithPath: a + path))
            #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: b + path))))
            #expect(bytes != (try Data(contentsOf: URL(fileURLWithPath: c + path))))
        }
        let test = try FashionPairs.make(from: try FashionMNIST.load(split: .test), perClass: 1, seed: 5, stream: 1)
        let written = try Data(contentsOf: URL(fileURLWithPath: a + "/cifar100/cifar-100-binary/test.bin"))
        #expect(written == CIFARBinary.encode(images: test.images, labels: test.fine, coarseLabels: test.coarse))
    }

    @Test("asking for more pair images per class than Fashion-MNIST has distinct images throws a data error naming the allowed range")
    func tooManyPerClass() throws {
        let fashion = try FashionMNIST.load(split: .test)
        #expect(FashionPairs.maxPerClass(fashion) == 50)
        #expect {
            _ = try FashionPairs.make(from: fashion, perClass: 51, seed: 0, stream: 1)
        } throws: { error in
            guard case let DataError.inconsistent(_, reason) = error else { return false }
            return reason.contains("51") && reason.contains("1...50")
        }
    }
}
