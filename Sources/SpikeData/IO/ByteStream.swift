import Foundation

/// A sequential source of bytes (a plain file or a decompressing reader), read in order.
public protocol ByteStream: AnyObject {
    /// The file name used in error messages.
    var name: String { get }
    /// Bytes delivered so far (the offset of the next byte in the stream).
    var position: Int { get }
    /// Fills `buffer` from the stream; returns fewer bytes only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteStream {
    /// Reads exactly `buffer.count` bytes, or throws `DataError.truncated` saying `expected`.
    public func readExactly(into buffer: UnsafeMutableRawBufferPointer, expected: @autoclosure () -> String) throws {
        let start = position
        let n = try read(into: buffer)
        if n < buffer.count {
            throw DataError.truncated(file: name, offset: start + n, expected: expected())
        }
    }
}

/// Opens `path` as a byte stream, decompressing transparently when it is gzip.
///
/// Gzip is recognised by its magic bytes; a file named `*.gz` without them is an error.
public func openByteStream(_ path: String) throws -> any ByteStream {
    let file = try FileByteStream(path: path)
    var magic: (UInt8, UInt8) = (0, 0)
    let n = try withUnsafeMutableBytes(of: &magic) { try file.peek(into: $0) }
    if n == 2 && magic == (0x1F, 0x8B) {
        return try GzipReader(file: file)
    }
    if path.hasSuffix(".gz") {
        let found = [magic.0, magic.1].prefix(n)
        throw DataError.notGzip(file: path, found: Array(found))
    }
    return file
}

/// A plain file read sequentially through POSIX `read`.
public final class FileByteStream: ByteStream {
    public let name: String
    public private(set) var position = 0
    /// Size of the file in bytes when it was opened.
    public let size: Int
    private let descriptor: Int32

    /// Opens `path` for reading.
    public init(path: String) throws {
        name = path
        descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw DataError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw DataError.unreadable(file: path, reason: reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw DataError.unreadable(file: path, reason: "is a directory")
        }
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            // Large reads are split so one call never asks the kernel for more than 1 GiB.
            let want = min(buffer.count - done, 1 << 30)
            let got = Foundation.read(descriptor, base + done, want)
            if got < 0 {
                if errno == EINTR { continue }
                throw DataError.unreadable(file: name, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            done += got
        }
        position += done
        return done
    }

    /// Reads the next bytes without consuming them (for format detection).
    func peek(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let got = pread(descriptor, base, buffer.count, off_t(position))
        if got < 0 { throw DataError.unreadable(file: name, reason: String(cString: strerror(errno))) }
        return got
    }

    /// Reads bytes at an absolute offset without moving `position` (for trailers).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let got = pread(descriptor, base, buffer.count, off_t(offset))
        if got < 0 { throw DataError.unreadable(file: name, reason: String(cString: strerror(errno))) }
        return got
    }
}
