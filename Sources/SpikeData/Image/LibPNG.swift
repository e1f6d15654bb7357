import CPNG
import Foundation

/// The plumbing shared by `PNGImage` and `PalettedPNGImage`: reading a file's bytes, running
/// libpng's simplified decoder over them, and writing through its simplified encoder.
///
/// Only the `png_image_*` API is used: it reports failures by return code and
/// `png_image.message`, whereas the classic API's longjmp must never cross Swift frames.
/// libpng keeps no global state, so these calls are safe from several threads at once.
enum LibPNG {
    /// The eight bytes every PNG file starts with.
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// Decoded images larger than this are refused before any allocation: a corrupt header
    /// can claim up to 2^31 × 2^31 pixels.
    static let maximumDecodedBytes = 1 << 32

    /// The whole content of the file at `path`.
    static func readFile(_ path: String) throws(PNGError) -> [UInt8] {
        func failure(_ code: Int32) -> PNGError {
            PNGError(file: path, operation: "reading", kind: code == ENOENT || code == ENOTDIR ? .fileNotFound : .io(errno: code))
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(errno) }
        let expected = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: expected)
        var filled = 0
        while filled < expected {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, expected - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            if count == 0 { break }  // The file shrank while being read; decode what is there.
            filled += count
        }
        bytes.removeLast(expected - filled)
        return bytes
    }

    /// libpng's message from the last failed call on `image`.
    static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Reads the header of the PNG in `bytes`, then hands the filled-in `png_image` to
    /// `body`, which sets the wanted format and calls `png_image_finish_read`. `bytes` stays
    /// pinned for the whole call because libpng reads from it until the image is finished.
    static func withHeader<Result>(
        of bytes: [UInt8], name: String,
        _ body: (inout png_image) throws(PNGError) -> Result
    ) throws(PNGError) -> Result {
        guard bytes.count >= signature.count, bytes.prefix(signature.count).elementsEqual(signature) else {
            throw PNGError(file: name, operation: "reading", kind: .notPNG)
        }
        let outcome: Swift.Result<Result, PNGError> = bytes.withUnsafeBytes { raw in
            var image = png_image()
            image.version = spk_png_image_version()
            // Frees libpng's state on every path; a no-op once finish_read has freed it.
            defer { png_image_free(&image) }
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                return .failure(failure(of: image, file: name, operation: "reading"))
            }
            do throws(PNGError) {
                return .success(try body(&image))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Bytes of a decoded image with `rowBytes` bytes per row, or `tooLarge`.
    static func decodedSize(rowBytes: Int, height: Int, name: String) throws(PNGError) -> Int {
        let (total, overflow) = rowBytes.multipliedReportingOverflow(by: height)
        guard !overflow, total <= maximumDecodedBytes, rowBytes <= Int(Int32.max) else {
            throw PNGError(file: name, operation: "reading", kind: .tooLarge(bytes: overflow ? Int.max : total))
        }
        return total
    }

    /// The error for a libpng call that failed on `image`.
    static func failure(of image: png_image, file: String, operation: String) -> PNGError {
        PNGError(file: file, operation: operation, kind: .libraryFailure, libraryMessage: message(of: image))
    }

    /// Encodes an image of `format` to `path`. The file appears complete or not at all: libpng
    /// writes `path + ".tmp"`, which is then renamed over `path`.
    static func write(
        to path: String, width: Int, height: Int, format: png_uint_32,
        pixels: UnsafeRawPointer, rowStride: Int, colormap: UnsafeRawPointer? = nil, colormapEntries: Int = 0
    ) throws(PNGError) {
        let temporaryPath = path + ".tmp"
        var image = png_image()
        image.version = spk_png_image_version()
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format
        image.colormap_entries = png_uint_32(colormapEntries)
        defer { png_image_free(&image) }
        guard png_image_write_to_file(&image, temporaryPath, 0, pixels, png_int_32(rowStride), colormap) != 0 else {
            let folder = (path as NSString).deletingLastPathComponent
            let missingFolder = !folder.isEmpty && !FileManager.default.fileExists(atPath: folder)
            throw PNGError(file: path, operation: "writing", kind: missingFolder ? .fileNotFound : .libraryFailure,
                           libraryMessage: message(of: image))
        }
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw PNGError(file: path, operation: "writing", kind: .io(errno: code))
        }
    }

    /// Checks the size of an image about to be written: PNG needs at least one pixel, and
    /// libpng's row stride is a 32-bit integer.
    static func validateSize(width: Int, height: Int, bytesPerPixel: Int, path: String) throws(PNGError) {
        guard width >= 1, height >= 1, width <= Int(Int32.max) / bytesPerPixel, height <= Int(Int32.max) else {
            throw PNGError(file: path, operation: "writing",
                           kind: .invalidArgument("cannot write a \(width)×\(height) image"))
        }
    }
}
