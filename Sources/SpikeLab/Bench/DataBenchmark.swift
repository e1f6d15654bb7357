import Foundation
import SpikeData
import SpikeTensor

/// Speed of the image dataset readers on demo data it generates first (from Fashion-MNIST)
/// in a temporary folder: JPEG decoding, TinyImageNet loading, VOC annotation parsing,
/// detection and segmentation samples, letterboxing and the sequential-CIFAR column view.
public struct DataBenchmark {
    /// Fewer images and repetitions.
    public var quick: Bool
    /// Where the Fashion-MNIST IDX files are.
    public var fashionMNISTRoot: String
    /// Where progress lines go.
    public var log: (String) -> Void

    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultFashionMNISTRoot = FashionMNIST.defaultRoot

    public init(quick: Bool = false, fashionMNISTRoot: String = FashionMNIST.defaultRoot,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quick = quick
        self.fashionMNISTRoot = fashionMNISTRoot
        self.log = log
    }

    /// Generates the data, measures, removes the data.
    public func run() throws -> BenchmarkReport {
        var report = BenchmarkReport(benchmark: "data", threads: Threads.count)
        let root = NSTemporaryDirectory() + "spikelab-bench-data-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let train = try FashionMNIST.load(root: fashionMNISTRoot, split: .train)
        let test = try FashionMNIST.load(root: fashionMNISTRoot, split: .test)
        var tiny = FashionTinyImageNet()
        tiny.trainPerClass = quick ? 50 : 200
        tiny.valPerClass = 1
        var scenes = FashionScenes()
        scenes.trainScenes = quick ? 50 : 200
        scenes.valScenes = 1
        log("data: writing \(10 * tiny.trainPerClass) TinyImageNet-layout JPEGs and \(scenes.trainScenes) VOC scenes to \(root)")
        try tiny.write(root: root + "/tiny", train: train, test: test, seed: 0)
        try scenes.write(root: root + "/voc", train: train, test: test, seed: 0)
        let reps = quick ? 3 : 5

        // JPEG decoding alone, one thread, from bytes in memory.
        let directory = root + "/tiny/tiny-imagenet-200"
        let files = try TinyImageNet.entries(directory: directory, split: .train, wnids: FashionTinyImageNet.wnids)
        let jpegs = try files.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0.file))) }
        var checksum = 0
        let decode = measure(repetitions: reps) {
            for (i, bytes) in jpegs.enumerated() { checksum &+= Int((try? JPEGImage(decoding: bytes, name: "\(i)"))?.pixels[0] ?? 0) }
        }
        report.measurements.append(rate("jpeg_decode_64x64", "decode a 64x64 RGB JPEG from memory (TurboJPEG, accurate DCT), one thread",
                                        decode, items: jpegs.count, unit: "images/s", reps))

        let load = measure(repetitions: reps) { _ = try? TinyImageNet.load(root: root + "/tiny", split: .train) }
        report.measurements.append(rate("tinyimagenet_load", "TinyImageNet.load of \(jpegs.count) 64x64 JPEGs (read, decode in parallel, [N,3,64,64] bytes)",
                                        load, items: jpegs.count, unit: "images/s", reps))

        let year = FashionScenes.directory(root: root + "/voc")
        let ids = try PascalVOC.readImageSet(year + "/ImageSets/Main/train.txt")
        let xml = measure(repetitions: reps) {
            for id in ids { checksum &+= (try? VOCAnnotation.read(contentsOf: year + "/Annotations/\(id).xml"))?.objects.count ?? 0 }
        }
        report.measurements.append(rate("voc_annotation_parse", "read and check one VOC annotation XML file (2-5 objects)",
                                        xml, items: ids.count, unit: "files/s", reps))

        let detection = try VOCDetectionDataset(root: root + "/voc", imageSet: "train", classNames: FashionScenes.classNames)
        let detect = measure(repetitions: reps) {
            for i in 0..<detection.count { checksum &+= (try? detection.sample(at: i))?.target.count ?? 0 }
        }
        report.measurements.append(rate("voc_detection_sample", "VOCDetectionDataset.sample: decode a 192x144 JPEG to Float [3,H,W] with its boxes",
                                        detect, items: detection.count, unit: "images/s", reps))

        let segmentation = try VOCSegmentationDataset(root: root + "/voc", imageSet: "train", classNames: FashionScenes.classNames)
        let segment = measure(repetitions: reps) {
            for i in 0..<segmentation.count { checksum &+= (try? segmentation.sample(at: i))?.target.mask.count ?? 0 }
        }
        report.measurements.append(rate("voc_segmentation_sample", "VOCSegmentationDataset.sample: 192x144 JPEG and palette PNG mask to Int32 [H,W]",
                                        segment, items: segmentation.count, unit: "images/s", reps))

        let big = Tensor((0..<(3 * 375 * 500)).map { Float($0 % 255) / 255 }, shape: [3, 375, 500])
        let target = DetectionTarget(imageID: "b", imageWidth: 500, imageHeight: 375,
                                     boxes: [BoundingBox(xMin: 10, yMin: 20, xMax: 300, yMax: 200)], classes: [1])
        let letterboxCount = quick ? 20 : 50
        let box = measure(repetitions: reps) {
            for _ in 0..<letterboxCount { checksum &+= Sample(input: big, target: target).letterboxed(size: 320).sample.input.count }
        }
        report.measurements.append(rate("letterbox_500x375_to_320", "letterbox a Float [3,375,500] image (bilinear) and its boxes into 320x320",
                                        box, items: letterboxCount, unit: "images/s", reps))

        // CIFAR-10-sized images as the runner serves them: the demo/PSU pipeline of random crop
        // with padding 4, horizontal flip and normalisation, in batches of 128.
        let imageCount = quick ? 1024 : 4096
        var pixels = PhiloxGenerator(seed: 5)
        let bytes = Tensor(uint8: (0..<(imageCount * 3072)).map { _ in UInt8(truncatingIfNeeded: pixels.next()) },
                           shape: [imageCount, 3, 32, 32])
        let images = ByteImageDataset(name: "cifar-sized", images: bytes,
                                      labels: Tensor(int32: (0..<imageCount).map { Int32($0 % 10) }), classCount: 10)
        let imageBatcher = Batcher(dataset: images, batchSize: 128, shuffle: true, seed: 1,
                                   transforms: [RandomCrop(size: 32, padding: 4), HorizontalFlip(), Normalize.preset(named: "cifar10")!],
                                   prefetch: 0)
        let served = measure(repetitions: reps, warmup: 0) {
            for b in 0..<imageBatcher.batchesPerEpoch { checksum &+= imageBatcher.batch(epoch: 0, index: b).labels.count }
        }
        report.measurements.append(rate("cifar_batches_crop_flip_norm", "batches of 128 [128, 3, 32, 32]: random crop (padding 4), flip, normalise, shuffled",
                                        served, items: imageBatcher.batchesPerEpoch * 128, unit: "samples/s", reps))

        let cifar = Tensor((0..<3072).map { Float($0) }, shape: [3, 32, 32])
        let columns = Tensor(shape: [32, 96], uninitialized: true)
        let columnCount = 10_000
        let view = measure(repetitions: reps) {
            withExtendedLifetime(cifar) {
                for _ in 0..<columnCount {
                    ImageColumns.columns(UnsafePointer(cifar.floats.baseAddress!), shape: [3, 32, 32], to: columns.floats.baseAddress!)
                }
            }
        }
        report.measurements.append(rate("sequential_cifar_columns", "ImageColumns: a [3,32,32] image to its [32,96] column sequence",
                                        view, items: columnCount, unit: "samples/s", reps))
        if checksum == 42 { log("") }  // keeps the work observable to the optimiser
        return report
    }

    private func rate(_ name: String, _ description: String, _ time: (best: Double, median: Double), items: Int,
                      unit: String, _ repetitions: Int) -> BenchmarkMeasurement {
        log(String(format: "%@: %.1f %@", name, Double(items) / time.best, unit))
        return BenchmarkMeasurement(name: name, description: description + " (\(items) per repetition)",
                                    seconds: time.best, medianSeconds: time.median,
                                    throughput: Double(items) / time.best, unit: unit, repetitions: repetitions)
    }
}
