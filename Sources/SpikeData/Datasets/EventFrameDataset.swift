import Foundation
import SpikeTensor

/// Labelled event recordings in their publisher's files: what `EventFrameDataset` integrates.
public protocol EventSampleSource: Sendable {
    /// Where the data came from (for messages and the cache key), e.g. "nmnist train".
    var name: String { get }
    /// The pixel array the events lie on.
    var sensor: SensorSize { get }
    /// Number of samples.
    var count: Int { get }
    /// Number of classes; labels lie in `0..<classCount`.
    var classCount: Int { get }
    /// Human-readable class names (empty when unknown).
    var classNames: [String] { get }
    /// Class index of sample `index`.
    func label(at index: Int) -> Int32
    /// The events of sample `index`, in time order, each on `sensor`; errors name the file.
    func events(at index: Int) throws -> Events
    /// The file of sample `index` (for messages and `spikelab data show`).
    func file(at index: Int) -> String
    /// Text that changes whenever the samples could change: every file's name, size and
    /// modification time, and the decoding and split choices.
    var fingerprint: String { get }
}

/// Event recordings served as frames `[T, 2, H, W]` (OFF, ON event counts; SpikingJelly's
/// semantics, see `FrameIntegration`), optionally resized bilinearly to `size`.
///
/// Every sample is decoded and integrated once, when the dataset is made: bad files are
/// reported then (naming the file and the record), never while training. The frames are kept
/// in memory (T·2·H·W floats per sample) and, when a cache directory is given, in an HDF5 file
/// there keyed by everything that changes them (source files, split, T, split_by, duration,
/// size), so the next run reads them instead of the recordings.
public final class EventFrameDataset: ClassificationDataset, @unchecked Sendable {
    // @unchecked: the frames and labels are never written after init.

    /// Where the frames came from.
    public enum CacheStatus: Equatable, Sendable {
        /// No cache directory was given.
        case disabled
        /// Read from this cache file.
        case hit(String)
        /// Integrated now and written to this cache file.
        case written(String)
        /// Integrated now; the cache could not be written (the reason).
        case unavailable(String)
    }

    /// The recordings.
    public let source: any EventSampleSource
    /// How events become frames.
    public let integration: FrameIntegration
    /// Frame height and width after resizing.
    public let frameSize: (height: Int, width: Int)
    /// All frames, Float `[N, T, 2, H, W]`.
    public let frames: Tensor
    /// Where the frames came from.
    public let cacheStatus: CacheStatus
    public let inputShape: [Int]
    public let count: Int
    public var classCount: Int { source.classCount }
    /// Human-readable class names (empty when unknown).
    public var classNames: [String] { source.classNames }
    private let labels: [Int32]
    private let sampleSize: Int

    /// Version of the cache layout; part of every key.
    static let cacheFormatVersion = 1

    /// The frames of every sample of `source`, resized to `size` (height, width) when given,
    /// read from or written to an HDF5 cache under `cacheDirectory` when given.
    public init(source: any EventSampleSource, integration: FrameIntegration, size: (height: Int, width: Int)? = nil,
                cacheDirectory: String? = nil) throws {
        self.source = source
        self.integration = integration
        let size = size ?? (source.sensor.height, source.sensor.width)
        precondition(size.height >= 1 && size.width >= 1, "frame size must be positive, got \(size)")
        frameSize = size
        count = source.count
        labels = (0..<source.count).map { source.label(at: $0) }
        inputShape = [integration.frames, 2, size.height, size.width]
        sampleSize = inputShape.reduce(1, *)
        let shape = [count] + inputShape

        let key = Self.cacheKey(source: source, integration: integration, size: size)
        var status = CacheStatus.disabled
        var cachePath: String?
        if let cacheDirectory {
            let path = cacheDirectory + "/frames-" + fnv1a64Hex(key) + ".h5"
            cachePath = path
            if let cached = Self.readCache(path: path, key: key, shape: shape) {
                frames = cached
                cacheStatus = .hit(path)
                return
            }
        }
        frames = try Self.integrateAll(source: source, integration: integration, size: size, shape: shape)
        if let cachePath, let cacheDirectory {
            do {
                try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
                try Self.writeCache(path: cachePath, key: key, frames: frames, labels: labels)
                status = .written(cachePath)
            } catch {
                status = .unavailable("\(error)")
            }
        }
        cacheStatus = status
    }

    public func label(at index: Int) -> Int32 {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return labels[index]
    }

    public func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        destination.update(from: frames.floats.baseAddress! + index * sampleSize, count: sampleSize)
    }

    /// The text a cache file is keyed by (its name holds the text's 64-bit FNV-1a hash; the
    /// file holds the text itself, checked on reading).
    public static func cacheKey(source: any EventSampleSource, integration: FrameIntegration,
                                size: (height: Int, width: Int)) -> String {
        "spikelab-event-frames v\(cacheFormatVersion); \(source.name); sensor \(source.sensor); \(integration); "
            + "size \(size.height)x\(size.width); resize bilinear align_corners=false; samples \(source.count); "
            + "source \(fnv1a64Hex(source.fingerprint))"
    }

    private static func integrateAll(source: any EventSampleSource, integration: FrameIntegration,
                                     size: (height: Int, width: Int), shape: [Int]) throws -> Tensor {
        let frames = Tensor(shape: shape, uninitialized: true)
        let sampleSize = shape.dropFirst().reduce(1, *)
        let base = frames.floats.baseAddress!
        let resize = size.height != source.sensor.height || size.width != source.sensor.width
        let n = source.count
        let workers = max(1, min(Threads.count, n))
        let errors = ErrorSlots(count: workers)
        let output = SendablePointer(base)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Contiguous ranges of samples, so the first error in index order is reported.
            let lower = n * worker / workers, upper = n * (worker + 1) / workers
            for i in lower..<upper {
                do {
                    let events = try source.events(at: i)
                    let destination = output.pointer + i * sampleSize
                    if resize {
                        let raw = integration.frames(of: events, sensor: source.sensor)
                        let resized = resizeFrames(raw, height: size.height, width: size.width)
                        withExtendedLifetime(resized) {
                            destination.update(from: resized.floats.baseAddress!, count: sampleSize)
                        }
                    } else {
                        integration.integrate(events, sensor: source.sensor, into: destination)
                    }
                } catch {
                    errors.set(worker, error)
                    return
                }
            }
        }
        if let error = errors.first { throw error }
        return frames
    }

    private static func readCache(path: String, key: String, shape: [Int]) -> Tensor? {
        guard FileManager.default.fileExists(atPath: path),
              let file = try? HDF5File.open(path: path) else { return nil }
        defer { try? file.close() }
        guard (try? file.stringAttribute("key")) == key,
              (try? file.datasetShape("/frames")) == shape else { return nil }
        if (try? file.datasetType("/frames")) == .numeric(.uint8) {
            // Byte counts: read as stored and widen here (faster than HDF5's type conversion).
            guard let bytes = try? file.readTensor("/frames", as: .uint8) else { return nil }
            let frames = Tensor(shape: shape, uninitialized: true)
            withExtendedLifetime(bytes) {
                let src = bytes.uint8s.baseAddress!, dst = frames.floats.baseAddress!
                for i in 0..<frames.count { dst[i] = Float(src[i]) }
            }
            return frames
        }
        return try? file.readTensor("/frames")
    }

    private static func writeCache(path: String, key: String, frames: Tensor, labels: [Int32]) throws {
        // Event counts up to 255 (frames that were not resized, almost always) are stored as
        // bytes: a quarter of the data to compress and read; reading converts back to Float.
        let stored = byteCounts(frames) ?? frames
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", "spikelab-event-frames")
            try file.setAttribute("key", .string(key))
            let chunk = [1] + frames.shape.dropFirst()
            try file.writeTensor(stored, at: "/frames", storage: .deflate(level: 1, shuffle: stored.dtype != .uint8, chunkShape: chunk))
            try file.writeArray(labels, at: "/labels")
        }
    }
}

/// `frames` as UInt8 when every value is a whole number in 0...255, else nil.
func byteCounts(_ frames: Tensor) -> Tensor? {
    let n = frames.count
    let bytes = Tensor(shape: frames.shape, dtype: .uint8, uninitialized: true)
    let ok = withExtendedLifetime(frames) { () -> Bool in
        let src = frames.floats.baseAddress!, dst = bytes.uint8s.baseAddress!
        for i in 0..<n {
            let v = src[i]
            guard v >= 0 && v <= 255 && v == v.rounded(.down) else { return false }
            dst[i] = UInt8(v)
        }
        return true
    }
    return ok ? bytes : nil
}

/// A raw pointer handed to worker threads that write disjoint parts of one buffer.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// One error slot per worker, read after all workers finished.
final class ErrorSlots: @unchecked Sendable {
    // @unchecked: each worker writes only its own slot, under the lock.
    private var slots: [Error?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ error: Error) { lock.lock(); slots[index] = error; lock.unlock() }
    var first: Error? { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 }.first }
}

/// 64-bit FNV-1a of `text`'s UTF-8 bytes, as 16 hex digits (cache file names; not cryptographic).
public func fnv1a64Hex(_ text: String) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return String(format: "%016llx", hash)
}

/// `name`, and the size and modification time of `path` (one fingerprint entry).
func fileFingerprint(_ path: String, name: String) -> String {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
    let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    return "\(name):\(size):\(String(format: "%.3f", modified))"
}
