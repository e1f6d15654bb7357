import Foundation
import SpikeData

/// The marker a finished demo set leaves in its folder: which generator and seed made it.
/// Written last, so a set whose generation was interrupted is never taken as complete.
struct DemoMarker {
    static let fileName = "spikelab-demo.txt"

    static func text(_ generator: String, seed: UInt64) -> String { "\(generator) seed=\(seed)\n" }

    static func matches(_ folder: String, _ generator: String, seed: UInt64) -> Bool {
        (try? String(contentsOfFile: folder + "/" + fileName, encoding: .utf8)) == text(generator, seed: seed)
    }

    static func write(_ folder: String, _ generator: String, seed: UInt64) throws {
        do {
            try text(generator, seed: seed).write(toFile: folder + "/" + fileName, atomically: true, encoding: .utf8)
        } catch {
            throw DataError.unwritable(file: folder + "/" + fileName, reason: error.localizedDescription)
        }
    }

    /// Removes an earlier set (and its marker) so a regeneration leaves no stale files.
    static func clear(_ folder: String) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: folder) else { return }
        do { try fm.removeItem(atPath: folder) } catch {
            throw DataError.unwritable(file: folder, reason: "cannot replace the old demo set: \(error.localizedDescription)")
        }
    }
}

/// A demo set whose completeness is its `DemoMarker`: the generator line and seed it was made with.
protocol MarkedDemoSet: DemoSet {
    /// Names the generator and every setting that changes its output; a change makes an
    /// existing set incomplete, so `make-demo` regenerates it.
    var generator: String { get }
}

extension MarkedDemoSet {
    public func isComplete(root: String, seed: UInt64) -> Bool {
        DemoMarker.matches(root + "/" + folder, generator, seed: seed)
    }
}

/// Pascal VOC-format detection and segmentation scenes of Fashion-MNIST items (`FashionScenes`).
public struct FashionScenesDemo: MarkedDemoSet {
    public var scenes = FashionScenes()
    /// Where the Fashion-MNIST IDX files are.
    public var source = FashionMNIST.defaultRoot

    public init() {}

    public var name: String { "voc" }
    public var summary: String {
        "Pascal VOC layout: \(scenes.trainScenes) train + \(scenes.valScenes) val scenes of 2-5 Fashion-MNIST items "
            + "(JPEG, XML boxes, palette PNG masks with 255 boundaries)"
    }
    public var folder: String { "voc" }
    var generator: String {
        "fashion-scenes v1 \(scenes.width)x\(scenes.height) \(scenes.trainScenes)+\(scenes.valScenes) q\(scenes.jpegQuality)"
    }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        let out = root + "/" + folder
        try DemoMarker.clear(out)
        let train = try FashionMNIST.load(root: source, split: .train)
        let test = try FashionMNIST.load(root: source, split: .test)
        try scenes.write(root: out, train: train, test: test, seed: seed, progress: progress)
        try DemoMarker.write(out, generator, seed: seed)
    }
}

/// A 10-class TinyImageNet-layout set of 64×64 Fashion-MNIST compositions (`FashionTinyImageNet`).
public struct FashionTinyImageNetDemo: MarkedDemoSet {
    public var set = FashionTinyImageNet()
    public var source = FashionMNIST.defaultRoot

    public init() {}

    public var name: String { "tinyimagenet" }
    public var summary: String {
        "TinyImageNet layout: 10 wnids, \(set.trainPerClass) train + \(set.valPerClass) val 64x64 RGB JPEGs per class from Fashion-MNIST"
    }
    public var folder: String { "tinyimagenet" }
    var generator: String { "fashion-tinyimagenet v1 \(set.trainPerClass)+\(set.valPerClass) q\(set.jpegQuality)" }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        try makeFashionFolderSet(out: root + "/" + folder, generator: generator, seed: seed, source: source,
                                 images: (set.trainPerClass, set.valPerClass), progress: progress, write: set.write)
    }
}

/// A 10-class ImageNet-layout stand-in of 96×96 Fashion-MNIST compositions (`FashionImageNet`).
public struct FashionImageNetDemo: MarkedDemoSet {
    public var set = FashionImageNet()
    public var source = FashionMNIST.defaultRoot

    public init() {}

    public var name: String { "imagenet" }
    public var summary: String {
        "ImageNet (ILSVRC-2012) folder layout: 10 made-up wnids, \(set.trainPerClass) train + \(set.valPerClass) val \(set.size)x\(set.size) RGB JPEGs per class from Fashion-MNIST"
    }
    public var folder: String { "imagenet" }
    var generator: String { "fashion-imagenet v1 \(set.trainPerClass)+\(set.valPerClass) \(set.size)px q\(set.jpegQuality)" }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        try makeFashionFolderSet(out: root + "/" + folder, generator: generator, seed: seed, source: source,
                                 images: (set.trainPerClass, set.valPerClass), progress: progress, write: set.write)
    }
}

/// Makes a JPEG-folder demo set (TinyImageNet or ImageNet layout) from both Fashion-MNIST splits:
/// clears `out`, lets `write` lay the images out, and writes the marker only once that succeeded.
private func makeFashionFolderSet(out: String, generator: String, seed: UInt64, source: String,
                                  images: (trainPerClass: Int, valPerClass: Int), progress: (String) -> Void,
                                  write: (String, ByteImageDataset, ByteImageDataset, UInt64) throws -> Void) throws {
    try DemoMarker.clear(out)
    let train = try FashionMNIST.load(root: source, split: .train)
    let test = try FashionMNIST.load(root: source, split: .test)
    try write(out, train, test, seed)
    progress("\(10 * images.trainPerClass) train and \(10 * images.valPerClass) val images")
    try DemoMarker.write(out, generator, seed: seed)
}
