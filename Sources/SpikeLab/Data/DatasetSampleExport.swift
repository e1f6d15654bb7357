import Foundation
import SpikeData
import SpikeTensor

/// One decoded sample of any non-event dataset written out for people and other tools
/// (`spikelab data show`): what the loader serves (image, spike frames, log-mel features,
/// boxes, mask), the raw record behind it (spike trains, waveform) and its label, in one HDF5
/// file; optionally a PNG a person can look at. Event datasets go through `EventSampleExport`.
public enum DatasetSampleExport {
    /// Image classification loaders (served Float `[C, H, W]` in [0, 1]).
    public static let imageDatasets = ["fashion_mnist", "mnist", "cifar10", "cifar100", "tinyimagenet", "imagenet",
                                       "sequential_cifar10", "sequential_cifar100"]
    /// Speech loaders (served `[T, F]`).
    public static let speechDatasets = ["shd", "speech_commands"]
    /// Detection and segmentation loaders (images of varying size with boxes or a mask).
    public static let sceneDatasets = ["voc_detection", "voc_segmentation", "coco_detection"]
    /// Every dataset this exporter serves.
    public static var datasets: [String] { imageDatasets + speechDatasets + sceneDatasets }
    /// Every dataset `spikelab data show` serves, events first.
    public static var allDatasets: [String] { EventSampleExport.datasets + datasets }

    /// What `spikelab data show` asks of a non-event dataset.
    public struct Request: Sendable {
        public var dataset: String
        public var root: String
        public var index: Int
        /// train or test.
        public var split: String
        /// SHD: frames T (default 15, as the manifest's data.frames.time_steps).
        public var frames: Int?
        /// SHD: number, time (default) or duration.
        public var splitBy: String?
        /// SHD with `splitBy` duration: frame length in microseconds.
        public var durationMicroseconds: Int?
        public var output: String
        public var png: String?

        public init(dataset: String, root: String, index: Int, split: String, frames: Int? = nil, splitBy: String? = nil,
                    durationMicroseconds: Int? = nil, output: String, png: String? = nil) {
            self.dataset = dataset
            self.root = root
            self.index = index
            self.split = split
            self.frames = frames
            self.splitBy = splitBy
            self.durationMicroseconds = durationMicroseconds
            self.output = output
            self.png = png
        }
    }

    /// Serves `request` (options already validated by the command line); returns the line to
    /// print. Throws `EventSampleExport.RequestError` for an index past the end and
    /// `DataError`/`HDF5Error`/`PNGError` for bad data or unwritable outputs.
    public static func run(_ request: Request) throws -> String {
        let split = DataSplit(rawValue: request.split) ?? .train
        switch request.dataset {
        case let name where imageDatasets.contains(name):
            return try showImage(request, dataset: imageDataset(name, root: request.root, split: split))
        case "shd":
            let binning: SpikeTrainBinning
            switch request.splitBy ?? "time" {
            case "number": binning = .number
            case "duration": binning = .duration(microseconds: request.durationMicroseconds ?? 1)
            default: binning = .time
            }
            let dataset = try SHD.load(root: request.root, split: split, timeSteps: request.frames ?? 15, binning: binning)
            return try showSpikeTrains(request, dataset: dataset)
        case "speech_commands":
            return try showSpeechClip(request, split: split == .train ? .train : .test)
        case "voc_detection":
            return try showDetection(request, dataset: VOCDetectionDataset(root: request.root, split: split, classNames: PascalVOC.classNames(forRoot: request.root)))
        case "coco_detection":
            return try showDetection(request, dataset: COCODetectionDataset(root: request.root, split: split))
        case "voc_segmentation":
            return try showSegmentation(request, dataset: VOCSegmentationDataset(root: request.root, split: split, classNames: PascalVOC.classNames(forRoot: request.root)))
        default:
            preconditionFailure("unknown dataset \(request.dataset); known: \(datasets)")
        }
    }

    /// The image classification `split` of loader `name` under `root`.
    static func imageDataset(_ name: String, root: String, split: DataSplit) throws -> ByteImageDataset {
        switch name {
        case "fashion_mnist": try FashionMNIST.load(root: root, split: split)
        case "mnist": try MNIST.load(root: root, split: split)
        case "cifar10", "sequential_cifar10": try CIFAR10.load(root: root, split: split)
        case "cifar100", "sequential_cifar100": try CIFAR100.load(root: root, split: split)
        case "tinyimagenet": try TinyImageNet.load(root: root, split: split)
        case "imagenet": try ImageNet.load(root: root, split: split)
        default: preconditionFailure("\(name) is not an image dataset")
        }
    }

    static func checkIndex(_ request: Request, count: Int, name: String) throws {
        guard request.index < count else {
            throw EventSampleExport.RequestError.indexOutOfRange(index: request.index, count: count, dataset: name)
        }
    }

    static func className(_ names: [String], _ label: Int32) -> String {
        Int(label) < names.count ? names[Int(label)] : "\(label)"
    }

    /// Attributes every sample file carries.
    static func describe(_ file: HDF5File, kind: String, request: Request, source: String) throws {
        try file.setAttribute("format", "spikelab-sample")
        try file.setAttribute("kind", .string(kind))
        try file.setAttribute("dataset", .string(request.dataset))
        try file.setAttribute("split", .string(request.split))
        try file.setAttribute("index", .int64(Int64(request.index)))
        try file.setAttribute("source", .string(source))
    }

    /// `/image` [C, H, W] as served (before normalisation), `/label`; sequential CIFAR also
    /// `/sequence` [32, 96], the columns its model reads one per time step.
    static func showImage(_ request: Request, dataset: ByteImageDataset) throws -> String {
        try checkIndex(request, count: dataset.count, name: dataset.name)
        let sample = dataset.sample(at: request.index)
        let name = className(dataset.classNames, sample.target)
        let sequential = request.dataset.hasPrefix("sequential_")
        var generator = PhiloxGenerator(seed: 0)
        try HDF5File.writeAtomically(to: request.output) { file in
            try describe(file, kind: "image", request: request, source: dataset.name)
            try file.setAttribute("class_name", .string(name))
            try file.writeTensor(sample.input, at: "/image")
            if sequential { try file.writeTensor(ImageColumns()(sample.input, using: &generator), at: "/sequence") }
            try file.writeScalar(sample.target, at: "/label")
        }
        if let png = request.png {
            let (h, w) = (sample.input.shape[1], sample.input.shape[2])
            let scale = max(1, 256 / max(h, w))
            var canvas = Canvas(width: w * scale, height: h * scale + 14, background: .white)
            canvas.drawImage(sample.input, x: 0, y: 14, width: w * scale, height: h * scale, range: 0...1)
            canvas.drawText("\(sample.target) \(name)", x: 2, y: 2, color: .black)
            try canvas.write(to: png)
        }
        return "\(dataset.name) sample \(request.index): label \(sample.target) (\(name)), image \(sample.input.shape)"
            + (sequential ? " → sequence [32, 96]" : "") + " → \(request.output)" + (request.png.map { ", \($0)" } ?? "")
    }

    /// `/spikes/{times,units}` (seconds, channel), `/frames` [T, 700] as the loader bins them, `/label`.
    static func showSpikeTrains(_ request: Request, dataset: SpikeTrainDataset) throws -> String {
        try checkIndex(request, count: dataset.count, name: dataset.name)
        let sample = dataset.sample(at: request.index)
        let spikes = dataset.spikes(at: request.index)
        let name = className(dataset.classNames, sample.target)
        try HDF5File.writeAtomically(to: request.output) { file in
            try describe(file, kind: "spike_trains", request: request, source: dataset.name)
            try file.setAttribute("class_name", .string(name))
            try file.setAttribute("frames", .string("\(dataset.inputShape[0]) frames, split by \(dataset.binning)"))
            try file.writeArray(spikes.times, at: "/spikes/times")
            try file.writeArray(spikes.units, at: "/spikes/units")
            try file.writeTensor(sample.input, at: "/frames")
            try file.writeScalar(sample.target, at: "/label")
        }
        if let png = request.png { try spikeRaster(spikes, channels: dataset.inputShape[1], title: "\(sample.target) \(name)").write(to: png) }
        return "\(dataset.name) sample \(request.index): label \(sample.target) (\(name)), \(spikes.times.count) spikes "
            + "→ frames \(sample.input.shape) → \(request.output)" + (request.png.map { ", \($0)" } ?? "")
    }

    /// A raster plot: one row per channel (channel 0 at the bottom), time left to right, a dark
    /// pixel wherever a spike fell.
    static func spikeRaster(_ spikes: (times: [Float], units: [UInt16]), channels: Int, title: String) -> Canvas {
        let plotWidth = 600, top = 14
        var canvas = Canvas(width: plotWidth, height: channels + top, background: .white)
        canvas.drawText(title + ", \(spikes.times.count) spikes", x: 2, y: 2, color: .black)
        let last = max(spikes.times.max() ?? 0, Float.leastNormalMagnitude)
        for (time, unit) in zip(spikes.times, spikes.units) where Int(unit) < channels {
            let x = min(plotWidth - 1, Int(time / last * Float(plotWidth - 1)))
            canvas.setPixel(x: x, y: top + channels - 1 - Int(unit), .black)
        }
        return canvas
    }

    /// `/waveform` (16 kHz, 1 s), `/features` [T, F] log-mel as the loader computes them, `/label`.
    static func showSpeechClip(_ request: Request, split: SpeechCommands.Split) throws -> String {
        let clips = try SpeechCommands.clips(root: request.root, split: split)
        try checkIndex(request, count: clips.paths.count, name: "speech_commands \(split.rawValue)")
        let path = clips.paths[request.index]
        let word = String(path.split(separator: "/")[0])
        guard let label = clips.classes.firstIndex(of: word).map(Int32.init) else {
            throw DataError.inconsistent(file: request.root + "/" + path, reason: "its folder \(word) is not a class folder")
        }
        let waveform = try SpeechCommands.readClip(request.root + "/" + path)
        let mel = LogMelSpectrogram()
        let features = mel.features(waveform)
        let frames = mel.frameCount(sampleCount: waveform.count)
        let shape = [frames, features.count / max(frames, 1)]
        let featureTensor = Tensor(features, shape: shape)
        try HDF5File.writeAtomically(to: request.output) { file in
            try describe(file, kind: "speech_clip", request: request, source: path)
            try file.setAttribute("class_name", .string(word))
            try file.setAttribute("sample_rate", .int64(Int64(SpeechCommands.sampleRate)))
            try file.writeArray(waveform, at: "/waveform")
            try file.writeTensor(featureTensor, at: "/features")
            try file.writeScalar(label, at: "/label")
        }
        if let png = request.png {
            // Time left to right, mel channels bottom (low) to top (high), 4 pixels a cell.
            let transposed = Tensor((0..<(shape[0] * shape[1])).map { i in
                let row = shape[1] - 1 - i / shape[0], column = i % shape[0]
                return features[column * shape[1] + row]
            }, shape: [shape[1], shape[0]])
            var canvas = Canvas(width: shape[0] * 4, height: shape[1] * 4 + 14, background: .white)
            canvas.drawImage(transposed, x: 0, y: 14, width: shape[0] * 4, height: shape[1] * 4)
            canvas.drawText("\(label) \(word)", x: 2, y: 2, color: .black)
            try canvas.write(to: png)
        }
        return "speech_commands \(split.rawValue) sample \(request.index): \(path), label \(label) (\(word)), "
            + "\(waveform.count) samples → features \(shape) → \(request.output)" + (request.png.map { ", \($0)" } ?? "")
    }

    /// `/image` [3, H, W], `/boxes` [K, 4] (x_min, y_min, x_max, y_max in pixels), `/classes`,
    /// `/difficult`, `/crowd`; the PNG draws each box in its class colour with its name.
    static func showDetection(_ request: Request, dataset: any DetectionDataset) throws -> String {
        try checkIndex(request, count: dataset.count, name: "\(request.dataset) \(request.split)")
        let sample = try dataset.sample(at: request.index)
        let target = sample.target
        try HDF5File.writeAtomically(to: request.output) { file in
            try describe(file, kind: "detection", request: request, source: target.imageID)
            try file.setAttribute("class_names", .string(dataset.classNames.joined(separator: ",")))
            try file.writeTensor(sample.input, at: "/image")
            try file.writeArray(target.boxes.flatMap { [$0.xMin, $0.yMin, $0.xMax, $0.yMax] }, shape: [target.count, 4], at: "/boxes")
            try file.writeArray(target.classes, shape: [target.count], at: "/classes")
            try file.writeArray(target.difficult.map { UInt8($0 ? 1 : 0) }, shape: [target.count], at: "/difficult")
            try file.writeArray(target.crowd.map { UInt8($0 ? 1 : 0) }, shape: [target.count], at: "/crowd")
        }
        if let png = request.png {
            let (h, w) = (sample.input.shape[1], sample.input.shape[2])
            let scale = max(1, 256 / max(h, w))
            var canvas = Canvas(width: w * scale, height: h * scale, background: .white)
            canvas.drawImage(sample.input, x: 0, y: 0, width: w * scale, height: h * scale, range: 0...1)
            let colours = vocColorMap()
            for (box, cls) in zip(target.boxes, target.classes) {
                let colour = colours[(Int(cls) + 1) % colours.count]
                canvas.drawRect(x: Int(box.xMin * Float(scale)), y: Int(box.yMin * Float(scale)),
                                width: max(1, Int(box.width * Float(scale))), height: max(1, Int(box.height * Float(scale))),
                                color: colour, thickness: 2)
                canvas.drawText(className(dataset.classNames, cls), x: Int(box.xMin * Float(scale)) + 3,
                                y: Int(box.yMin * Float(scale)) + 3, color: colour)
            }
            try canvas.write(to: png)
        }
        let names = target.classes.map { className(dataset.classNames, $0) }
        return "\(request.dataset) \(request.split) sample \(request.index): \(target.imageID), image \(sample.input.shape), "
            + "\(target.count) boxes [\(names.joined(separator: ", "))] → \(request.output)" + (request.png.map { ", \($0)" } ?? "")
    }

    /// `/image` [3, H, W] and `/mask` [H, W] (class per pixel, 255 void); the PNG shows the
    /// image and the mask in VOC's palette side by side.
    static func showSegmentation(_ request: Request, dataset: any SegmentationDataset) throws -> String {
        try checkIndex(request, count: dataset.count, name: "\(request.dataset) \(request.split)")
        let sample = try dataset.sample(at: request.index)
        let mask = sample.target.mask
        let present = Set(mask.int32s).filter { $0 != SegmentationTarget.void }.sorted()
        try HDF5File.writeAtomically(to: request.output) { file in
            try describe(file, kind: "segmentation", request: request, source: sample.target.imageID)
            try file.setAttribute("class_names", .string(dataset.classNames.joined(separator: ",")))
            try file.writeTensor(sample.input, at: "/image")
            try file.writeTensor(mask, at: "/mask")
        }
        if let png = request.png {
            let (h, w) = (mask.shape[0], mask.shape[1])
            let scale = max(1, 256 / max(h, w)), gap = 4
            var canvas = Canvas(width: 2 * w * scale + gap, height: h * scale, background: .white)
            canvas.drawImage(sample.input, x: 0, y: 0, width: w * scale, height: h * scale, range: 0...1)
            let colours = vocColorMap()
            let values = mask.int32s
            for y in 0..<(h * scale) {
                for x in 0..<(w * scale) {
                    canvas.setPixel(x: w * scale + gap + x, y: y, colours[Int(values[(y / scale) * w + x / scale]) & 255])
                }
            }
            try canvas.write(to: png)
        }
        let names = present.map { className(dataset.classNames, $0) }
        return "\(request.dataset) \(request.split) sample \(request.index): \(sample.target.imageID), image \(sample.input.shape), "
            + "mask classes [\(names.joined(separator: ", "))] → \(request.output)" + (request.png.map { ", \($0)" } ?? "")
    }
}
