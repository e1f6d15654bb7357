import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// A stand-in for Fashion-MNIST: `n` 28×28 items, each a solid 16×16 square (rows and
/// columns 6..<22) of label `i % 10`, so every silhouette is known.
func squareItems(_ n: Int) -> ByteImageDataset {
    var bytes = [UInt8](repeating: 0, count: n * 784)
    for i in 0..<n { for y in 6..<22 { for x in 6..<22 { bytes[i * 784 + y * 28 + x] = 255 } } }
    return ByteImageDataset(name: "squares", images: Tensor(uint8: bytes, shape: [n, 1, 28, 28]),
                            labels: Tensor(int32: (0..<n).map { Int32($0 % 10) }), classCount: 10)
}

@Suite("Demo sets made from Fashion-MNIST-shaped items")
struct DemoSetTests {
    func smallScenes() -> FashionScenes {
        var scenes = FashionScenes()
        scenes.trainScenes = 6
        scenes.valScenes = 3
        return scenes
    }

    @Test("fashion scenes read back through the VOC readers: boxes hold their mask pixels, boundaries are void")
    func scenesReadBack() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let source = squareItems(30)
        try smallScenes().write(root: dir.path, train: source, test: source, seed: 7)
        #expect(PascalVOC.verifyLayout(root: dir.path, classNames: FashionScenes.classNames).isEmpty)
        let detection = try VOCDetectionDataset(root: dir.path, split: .train, classNames: FashionScenes.classNames)
        let segmentation = try VOCSegmentationDataset(root: dir.path, split: .train, classNames: FashionScenes.classNames)
        #expect(detection.count == 6 && segmentation.count == 6)
        #expect(try VOCDetectionDataset(root: dir.path, split: .test, classNames: FashionScenes.classNames).count == 3)
        var objects = 0
        for i in 0..<detection.count {
            let target = try detection.sample(at: i).target
            let sample = try segmentation.sample(at: i)
            #expect(target.imageWidth == 192 && target.imageHeight == 144 && sample.input.shape == [3, 144, 192])
            #expect((1...5).contains(target.count))
            objects += target.count
            let mask = intsOf(sample.target.mask)
            #expect(mask.contains(255) && mask.contains(0))
            for (p, label) in mask.enumerated() where label != 0 && label != 255 {
                let (x, y) = (Float(p % 192) + 0.5, Float(p / 192) + 0.5)
                // Some box of this class contains the pixel centre.
                let inside = zip(target.boxes, target.classes).contains { box, cls in
                    Int32(cls) + 1 == label && box.xMin <= x && x <= box.xMax && box.yMin <= y && y <= box.yMax
                }
                #expect(inside, "scene \(i) pixel \(p) label \(label)")
            }
            // A square item scaled by s has a silhouette of about 16s px: boxes are squares of 24–56 px.
            for box in target.boxes {
                #expect(box.width == box.height && (20...60).contains(box.width), "\(box)")
            }
        }
        #expect(objects >= 12)
    }

    @Test("fashion scenes are a pure function of the seed")
    func scenesDeterministic() throws {
        let a = TemporaryDirectory(), b = TemporaryDirectory(), c = TemporaryDirectory()
        defer { a.cleanup(); b.cleanup(); c.cleanup() }
        let source = squareItems(30)
        var scenes = smallScenes()
        scenes.trainScenes = 2
        scenes.valScenes = 1
        try scenes.write(root: a.path, train: source, test: source, seed: 3)
        try scenes.write(root: b.path, train: source, test: source, seed: 3)
        try scenes.write(root: c.path, train: source, test: source, seed: 4)
        for file in ["JPEGImages/train_000001.jpg", "SegmentationClass/val_000000.png", "Annotations/train_000000.xml"] {
            let read = { (dir: TemporaryDirectory) in try Data(contentsOf: URL(fileURLWithPath: FashionScenes.directory(root: dir.path) + "/" + file)) }
            #expect(try read(a) == read(b))
            #expect(try read(a) != read(c))
        }
    }

    @Test("the TinyImageNet-layout demo set loads through the TinyImageNet reader")
    func tinyImageNetDemo() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var set = FashionTinyImageNet()
        set.trainPerClass = 2
        set.valPerClass = 1
        let source = squareItems(40)
        try set.write(root: dir.path, train: source, test: source, seed: 0)
        let train = try TinyImageNet.load(root: dir.path, split: .train)
        let test = try TinyImageNet.load(root: dir.path, split: .test)
        #expect(train.count == 20 && train.inputShape == [3, 64, 64] && train.classCount == 10)
        #expect(train.labelArray == (0..<10).flatMap { [Int32($0), Int32($0)] })
        #expect(test.count == 10 && test.labelArray == (0..<10).map(Int32.init))
        #expect(test.classNames == FashionMNIST.classNames)
        #expect(TinyImageNet.verifyLayout(root: dir.path).isEmpty)
    }

    @Test("the ImageNet-layout demo writes 96×96 JPEGs into sorted made-up wnid folders that the ImageNet reader labels by Fashion-MNIST class")
    func imageNetDemo() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var set = FashionImageNet()
        set.trainPerClass = 2
        set.valPerClass = 1
        let source = squareItems(40)
        try set.write(root: dir.path, train: source, test: source, seed: 0)
        #expect(try JPEGImage.dimensions(contentsOf: dir.file("train/n99100003/n99100003_1.JPEG")).width == 96)
        let train = try ImageNet.load(root: dir.path, split: .train, side: 64)
        let test = try ImageNet.load(root: dir.path, split: .test, side: 64)
        #expect(train.count == 20 && train.inputShape == [3, 64, 64] && train.classCount == 10)
        #expect(train.classNames == FashionImageNet.wnids)
        #expect(train.labelArray == (0..<10).flatMap { [Int32($0), Int32($0)] })
        #expect(test.count == 10 && test.labelArray == (0..<10).map(Int32.init))
        #expect(ImageNet.verifyLayout(root: dir.path).isEmpty)
    }
}
