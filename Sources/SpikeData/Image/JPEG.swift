import CJPEG
import Foundation
import SpikeTensor

/// An 8-bit JPEG image: gray or RGB samples, row-major with the channels of each pixel next
/// to each other, decoded and encoded by libjpeg-turbo's TurboJPEG API.
///
/// Decoding with `channels: 3` (the default) turns grayscale files into RGB by repeating the
/// gray value, which is what TinyImageNet's few grayscale images need (PIL's `convert("RGB")`).
public struct JPEGImage: InterleavedImage, Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Samples per pixel: 1 gray, 3 RGB.
    public let channels: Int
    /// `height × width × channels` samples, row by row.
    public var pixels: [UInt8]

    /// Chroma subsampling of an encoded colour image.
    public enum Subsampling: Sendable {
        /// Full-resolution chroma (best for exact tests).
        case none
        /// Chroma halved in both directions (what cameras and PIL write by default).
        case halved

        var turboValue: Int32 {
            switch self {
            case .none: Int32(TJSAMP_444.rawValue)
            case .halved: Int32(TJSAMP_420.rawValue)
            }
        }
    }

    /// Decoded images larger than this are refused before any allocation.
    static let maximumDecodedBytes = 1 << 32

    /// An image over existing samples (`height × width × channels` of them, row by row).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 1 && height >= 1, "a JPEG image needs at least one pixel, got \(width)×\(height)")
        precondition(channels == 1 || channels == 3, "a JPEG image has 1 or 3 channels, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "\(pixels.count) samples do not fill \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image from a UInt8 tensor `[H, W]` (gray) or `[C, H, W]` with C = 1 or 3.
    public init(_ tensor: Tensor) {
        precondition(tensor.dtype == .uint8, "a JPEG image needs a uint8 tensor, got \(tensor.dtype)")
        precondition(tensor.rank == 2 || (tensor.rank == 3 && (tensor.shape[0] == 1 || tensor.shape[0] == 3)),
                     "a JPEG image needs a tensor of shape [H, W] or [C, H, W] with C = 1 or 3, got \(tensor.shape)")
        let channels = tensor.rank == 2 ? 1 : tensor.shape[0]
        let height = tensor.shape[tensor.rank - 2], width = tensor.shape[tensor.rank - 1]
        let plane = height * width
        let pixels = withExtendedLifetime(tensor) {
            let source = tensor.uint8s
            return [UInt8](unsafeUninitializedCapacity: plane * channels) { target, initialized in
                for channel in 0..<channels {
                    for index in 0..<plane { target[index * channels + channel] = source[channel * plane + index] }
                }
                initialized = plane * channels
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Decodes the JPEG file at `path` into `channels` (3: RGB, gray files expanded; 1: gray).
    public init(contentsOf path: String, channels: Int = 3) throws(JPEGError) {
        let bytes: [UInt8]
        do {
            bytes = try LibPNG.readFile(path)
        } catch {
            switch error.kind {
            case .fileNotFound: throw JPEGError(file: path, operation: "reading", kind: .fileNotFound)
            case .io(let code): throw JPEGError(file: path, operation: "reading", kind: .io(errno: code))
            default: throw JPEGError(file: path, operation: "reading", kind: .libraryFailure, detail: error.description)
            }
        }
        try self.init(decoding: bytes, name: path, channels: channels)
    }

    /// Decodes JPEG data held in memory; `name` stands for the file in errors.
    ///
    /// Any libjpeg warning (e.g. a truncated or corrupt entropy-coded segment, which libjpeg
    /// would otherwise paper over with gray) is an error.
    public init(decoding bytes: [UInt8], name: String, channels: Int = 3) throws(JPEGError) {
        precondition(channels == 1 || channels == 3, "decode to 1 or 3 channels, not \(channels)")
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw JPEGError(file: name, operation: "reading", kind: .notJPEG(found: Array(bytes.prefix(4))))
        }
        guard let handle = tjInitDecompress() else {
            throw JPEGError(file: name, operation: "reading", kind: .libraryFailure,
                            libraryMessage: String(cString: tjGetErrorStr2(nil)))
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw Self.decodeFailure(handle, bytes: bytes, name: name) }
        let w = Int(width), h = Int(height)
        let (total, overflow) = (w * channels).multipliedReportingOverflow(by: h)
        guard !overflow, total <= Self.maximumDecodedBytes, w * channels <= Int(Int32.max) else {
            throw JPEGError(file: name, operation: "reading", kind: .tooLarge(bytes: overflow ? Int.max : total))
        }
        let format = channels == 3 ? Int32(TJPF_RGB.rawValue) : Int32(TJPF_GRAY.rawValue)
        let flags = spk_tj_flag_accurate_dct() | spk_tj_flag_stop_on_warning()
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            status = bytes.withUnsafeBufferPointer {
                tjDecompress2(handle, $0.baseAddress, UInt($0.count), buffer.baseAddress, width,
                              Int32(w * channels), height, format, flags)
            }
            if status != 0 { buffer.initialize(repeating: 0) }
            initialized = total
        }
        guard status == 0 else { throw Self.decodeFailure(handle, bytes: bytes, name: name) }
        self.init(width: w, height: h, channels: channels, pixels: pixels)
    }

    /// The size of the JPEG file at `path` from its header alone (no pixel decoding).
    public static func dimensions(contentsOf path: String) throws(JPEGError) -> (width: Int, height: Int, gray: Bool) {
        let bytes: [UInt8]
        do {
            bytes = try LibPNG.readFile(path)
        } catch {
            throw JPEGError(file: path, operation: "reading", kind: error.kind == .fileNotFound ? .fileNotFound : .libraryFailure,
                            detail: error.kind == .fileNotFound ? nil : error.description)
        }
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw JPEGError(file: path, operation: "reading", kind: .notJPEG(found: Array(bytes.prefix(4))))
        }
        guard let handle = tjInitDecompress() else {
            throw JPEGError(file: path, operation: "reading", kind: .libraryFailure)
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw decodeFailure(handle, bytes: bytes, name: path) }
        return (Int(width), Int(height), colorspace == Int32(TJCS_GRAY.rawValue))
    }

    /// The error of a failed TurboJPEG call, with the facts that tell a truncated file apart.
    private static func decodeFailure(_ handle: tjhandle, bytes: [UInt8], name: String) -> JPEGError {
        let message = String(cString: tjGetErrorStr2(handle))
        var detail = "the file has \(bytes.count) bytes"
        if bytes.count < 2 || bytes[bytes.count - 2] != 0xFF || bytes[bytes.count - 1] != 0xD9 {
            detail += " and ends at byte \(bytes.count) without the end-of-image marker ff d9 (truncated?)"
        }
        return JPEGError(file: name, operation: "reading", kind: .libraryFailure, detail: detail, libraryMessage: message)
    }

    /// Decodes the JPEG file at `path` into a UInt8 tensor `[C, H, W]` (C = `channels`).
    public static func readTensor(_ path: String, channels: Int = 3) throws(JPEGError) -> Tensor {
        try JPEGImage(contentsOf: path, channels: channels).tensor()
    }

    /// The JPEG bytes of the image at `quality` (1...100); gray images are stored as gray.
    public func encoded(quality: Int = 90, subsampling: Subsampling = .halved, name: String = "<memory>")
        throws(JPEGError) -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw JPEGError(file: name, operation: "writing", kind: .invalidArgument("JPEG quality must be in 1...100, got \(quality)"))
        }
        precondition(pixels.count == width * height * channels,
                     "\(pixels.count) samples do not fill \(width)×\(height)×\(channels)")
        guard width <= Int(Int32.max) / channels, height <= Int(Int32.max) else {
            throw JPEGError(file: name, operation: "writing", kind: .invalidArgument("cannot encode a \(width)×\(height) image"))
        }
        guard let handle = tjInitCompress() else {
            throw JPEGError(file: name, operation: "writing", kind: .libraryFailure)
        }
        defer { tjDestroy(handle) }
        let format = channels == 3 ? Int32(TJPF_RGB.rawValue) : Int32(TJPF_GRAY.rawValue)
        let sampling = channels == 3 ? subsampling.turboValue : Int32(TJSAMP_GRAY.rawValue)
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), Int32(width * channels), Int32(height), format,
                        &output, &size, sampling, Int32(quality), spk_tj_flag_accurate_dct())
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw JPEGError(file: name, operation: "writing", kind: .libraryFailure,
                            libraryMessage: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Encodes the image to `path` (see `encoded`), replacing any file there; the file appears
    /// complete or not at all (written as `path.tmp`, then renamed).
    public func write(to path: String, quality: Int = 90, subsampling: Subsampling = .halved) throws(JPEGError) {
        let bytes = try encoded(quality: quality, subsampling: subsampling, name: path)
        let temporary = path + ".tmp"
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        } catch {
            let folder = (path as NSString).deletingLastPathComponent
            let missing = !folder.isEmpty && !FileManager.default.fileExists(atPath: folder)
            throw JPEGError(file: path, operation: "writing", kind: missing ? .fileNotFound : .libraryFailure,
                            detail: missing ? nil : error.localizedDescription)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw JPEGError(file: path, operation: "writing", kind: .io(errno: code))
        }
    }
}
