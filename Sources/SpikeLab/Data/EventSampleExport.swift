import Foundation
import SpikeData
import SpikeTensor

/// One decoded sample of an event dataset written out for people and other tools
/// (`spikelab data show`): its events, its frames and its label in one HDF5 file, and
/// optionally the frames as a PNG strip.
public enum EventSampleExport {
    /// The event datasets `show` reads.
    public static let datasets = ["nmnist", "cifar10_dvs", "dvs128_gesture"]

    /// What was written.
    public struct Summary: Sendable {
        public var file: String
        public var label: Int32
        public var className: String
        public var eventCount: Int
        public var frameShape: [Int]
    }

    /// What `spikelab data show` asks for, in the command line's terms.
    public struct Request: Sendable {
        public var dataset: String
        public var root: String
        public var index: Int
        /// train or test.
        public var split: String
        public var frames: Int
        /// number, time or duration.
        public var splitBy: String
        public var durationMicroseconds: Int?
        public var resize: Int?
        /// per_class_first_90, random_90 or tebn (CIFAR10-DVS only).
        public var cifarSplit: String
        public var seed: UInt64
        public var output: String
        public var png: String?

        public init(dataset: String, root: String, index: Int, split: String, frames: Int, splitBy: String,
                    durationMicroseconds: Int?, resize: Int?, cifarSplit: String, seed: UInt64, output: String, png: String?) {
            self.dataset = dataset
            self.root = root
            self.index = index
            self.split = split
            self.frames = frames
            self.splitBy = splitBy
            self.durationMicroseconds = durationMicroseconds
            self.resize = resize
            self.cifarSplit = cifarSplit
            self.seed = seed
            self.output = output
            self.png = png
        }
    }

    /// Why a request cannot be served although its options are well-formed.
    public enum RequestError: Error, CustomStringConvertible {
        case indexOutOfRange(index: Int, count: Int, dataset: String)

        public var description: String {
            switch self {
            case let .indexOutOfRange(index, count, dataset):
                "--index \(index) is outside the \(count) samples of \(dataset) (0..<\(count))"
            }
        }
    }

    /// Serves `request` (already validated by the command line); returns the line to print.
    /// Throws `RequestError` for an index past the end and `DataError`/`HDF5Error`/`PNGError`
    /// for bad data or unwritable outputs.
    public static func run(_ request: Request) throws -> String {
        let integration: FrameIntegration
        switch request.splitBy {
        case "time": integration = FrameIntegration(frames: request.frames, split: .time)
        case "duration": integration = FrameIntegration(frames: request.frames, split: .duration(microseconds: Int64(request.durationMicroseconds ?? 1)))
        default: integration = FrameIntegration(frames: request.frames, split: .number)
        }
        let cifar: CIFAR10DVS.Split = request.cifarSplit == "random_90" ? .random90(seed: request.seed)
            : request.cifarSplit == "tebn" ? .tebn : .perClassFirst90
        let source = try source(dataset: request.dataset, root: request.root,
                                split: DataSplit(rawValue: request.split) ?? .train, cifarSplit: cifar)
        guard request.index < source.count else {
            throw RequestError.indexOutOfRange(index: request.index, count: source.count, dataset: source.name)
        }
        let summary = try write(source: source, index: request.index, integration: integration,
                                size: request.resize.map { ($0, $0) }, output: request.output, png: request.png)
        return "\(source.name) sample \(request.index): \(summary.file), label \(summary.label) (\(summary.className)), "
            + "\(summary.eventCount) events → frames \(summary.frameShape) → \(request.output)" + (request.png.map { ", \($0)" } ?? "")
    }

    /// The recordings of `dataset` (`datasets`) under `root` for `split`; CIFAR10-DVS uses `cifarSplit`.
    public static func source(dataset: String, root: String, split: DataSplit,
                              cifarSplit: CIFAR10DVS.Split = .perClassFirst90) throws -> any EventSampleSource {
        switch dataset {
        case "nmnist": return try NMNIST.source(root: root, split: split)
        case "cifar10_dvs": return try CIFAR10DVS.source(root: root, split: cifarSplit, part: split)
        case "dvs128_gesture": return try DVS128Gesture.source(root: root, split: split)
        default: preconditionFailure("unknown event dataset \(dataset); known: \(datasets)")
        }
    }

    /// Writes sample `index` of `source` to the HDF5 file `output`: `/events/{x,y,t,p}`,
    /// `/frames` [T, 2, H, W] (resized to `size` when given), `/label`, and attributes naming the
    /// dataset, file and frame settings; with `png`, the frames as a strip (OFF red, ON green).
    public static func write(source: any EventSampleSource, index: Int, integration: FrameIntegration,
                             size: (height: Int, width: Int)?, output: String, png: String?) throws -> Summary {
        precondition(index >= 0 && index < source.count, "index \(index) outside 0..<\(source.count)")
        let events = try source.events(at: index)
        var frames = integration.frames(of: events, sensor: source.sensor)
        if let size { frames = resizeFrames(frames, height: size.height, width: size.width) }
        let label = source.label(at: index)
        let className = Int(label) < source.classNames.count ? source.classNames[Int(label)] : "\(label)"
        try HDF5File.writeAtomically(to: output) { file in
            try file.setAttribute("format", "spikelab-event-sample")
            try file.setAttribute("dataset", .string(source.name))
            try file.setAttribute("file", .string(source.file(at: index)))
            try file.setAttribute("index", .int64(Int64(index)))
            try file.setAttribute("class_name", .string(className))
            try file.setAttribute("frames", .string(integration.description))
            try file.setAttribute("sensor", .int64Array([Int64(source.sensor.height), Int64(source.sensor.width)]))
            try file.writeArray(events.x, at: "/events/x")
            try file.writeArray(events.y, at: "/events/y")
            try file.writeArray(events.t, at: "/events/t")
            try file.writeArray(events.polarity, at: "/events/p")
            try file.writeTensor(frames, at: "/frames")
            try file.writeScalar(label, at: "/label")
        }
        if let png { try strip(frames).write(to: png) }
        return Summary(file: source.file(at: index), label: label, className: className, eventCount: events.count,
                       frameShape: frames.shape)
    }

    /// Frames [T, 2, H, W] side by side, each scaled up to about 128 pixels, OFF counts red and ON
    /// counts green, relative to the largest count.
    public static func strip(_ frames: Tensor) -> PNGImage {
        let (t, h, w) = (frames.shape[0], frames.shape[2], frames.shape[3])
        let scale = max(1, 128 / max(h, w)), gap = 2
        let width = t * w * scale + (t - 1) * gap, height = h * scale
        var pixels = [UInt8](repeating: 40, count: width * height * 3)
        let peak = max(frames.floats.max() ?? 0, 1e-6)
        for f in 0..<t {
            for y in 0..<(h * scale) {
                for x in 0..<(w * scale) {
                    let base = ((f * 2) * h + y / scale) * w + x / scale
                    let off = frames.floats[base], on = frames.floats[base + h * w]
                    let p = (y * width + f * (w * scale + gap) + x) * 3
                    pixels[p] = UInt8(min(255, off / peak * 255))
                    pixels[p + 1] = UInt8(min(255, on / peak * 255))
                    pixels[p + 2] = 0
                }
            }
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }
}
