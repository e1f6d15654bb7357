import CZlib
import Foundation

/// Streaming gzip decompression through zlib's `inflate`, from a file or from memory.
///
/// Only the compressed input is buffered (256 KiB at a time for files); the output goes
/// straight into the caller's buffer. Concatenated gzip members are read as one stream,
/// as `gunzip` does; bytes after the last member that do not start another are ignored.
public final class GzipReader: ByteStream {
    public let name: String
    /// Decompressed bytes delivered so far.
    public private(set) var position = 0

    private enum Input {
        case file(FileByteStream, buffer: UnsafeMutableRawPointer, capacity: Int)
        case memory(Data)
    }

    private let input: Input
    private let stream: UnsafeMutablePointer<z_stream>
    /// Compressed bytes handed to zlib so far (file) or the offset of the next one (memory).
    private var inputOffset = 0
    private var inputExhausted = false
    private var finished = false
    private var checkedMagic = false

    private static let inputChunk = 256 << 10

    /// Decompresses the gzip file at `path`.
    public convenience init(path: String) throws {
        try self.init(file: FileByteStream(path: path))
    }

    /// Decompresses the rest of an open file.
    public init(file: FileByteStream) throws {
        name = file.name
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.inputChunk, alignment: 64)
        input = .file(file, buffer: buffer, capacity: Self.inputChunk)
        stream = Self.makeStream(name: name)
        inputOffset = file.position
    }

    /// Decompresses gzip `data` held in memory; `name` appears in error messages.
    public init(data: Data, name: String = "<gzip data>") {
        self.name = name
        input = .memory(data)
        stream = Self.makeStream(name: name)
    }

    private static func makeStream(name: String) -> UnsafeMutablePointer<z_stream> {
        // zlib keeps a pointer back to the z_stream, so it lives at a fixed address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 16 + MAX_WBITS: expect a gzip header and trailer (CRC-32, length) around the data.
        let rc = spike_inflateInit2(stream, 16 + MAX_WBITS)
        precondition(rc == Z_OK, "zlib inflateInit2 failed with code \(rc)")
        return stream
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        if case let .file(_, buffer, _) = input { buffer.deallocate() }
    }

    /// Offset in the compressed input of the next byte zlib will consume.
    public var compressedOffset: Int {
        switch input {
        case .file: return inputOffset - Int(stream.pointee.avail_in)
        case .memory: return inputOffset
        }
    }

    /// The most bytes the whole input can decompress to (deflate expands at most ~1032:1).
    public var decompressedSizeLimit: Int {
        switch input {
        case let .file(file, _, _): return file.size * 1032 + 1024
        case let .memory(data): return data.count * 1032 + 1024
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var produced = 0
        while produced < buffer.count && !finished {
            let chunk = min(buffer.count - produced, Int(UInt32.max >> 2))
            let (rc, written) = try inflateStep(into: base + produced, count: chunk)
            produced += written
            position += written
            switch rc {
            case Z_OK:
                continue
            case Z_STREAM_END:
                try startNextMemberOrFinish()
            case Z_BUF_ERROR:
                // No progress possible: zlib needs input and there is none left.
                throw DataError.truncatedGzip(file: name, compressedBytes: compressedOffset,
                                              decompressedBytes: position)
            case Z_DATA_ERROR:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "invalid deflate data"
                switch message {
                case "incorrect data check":
                    throw DataError.gzipChecksum(file: name, check: "CRC-32", decompressedBytes: position)
                case "incorrect length check":
                    throw DataError.gzipChecksum(file: name, check: "length", decompressedBytes: position)
                default:
                    throw DataError.corruptGzip(file: name, offset: compressedOffset, reason: message)
                }
            case Z_MEM_ERROR:
                throw DataError.unreadable(file: name, reason: "zlib ran out of memory")
            default:
                throw DataError.corruptGzip(file: name, offset: compressedOffset,
                                            reason: "zlib inflate returned \(rc)")
            }
        }
        return produced
    }

    /// One call of `inflate` with whatever input is available; returns its code and bytes written.
    private func inflateStep(into output: UnsafeMutableRawPointer, count: Int) throws -> (Int32, Int) {
        stream.pointee.next_out = output.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(count)
        switch input {
        case let .file(file, buffer, capacity):
            if stream.pointee.avail_in == 0 && !inputExhausted {
                let got = try file.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: capacity))
                if got == 0 { inputExhausted = true }
                inputOffset += got
                stream.pointee.next_in = buffer.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(got)
            }
            try checkMagic(UnsafePointer(stream.pointee.next_in), available: Int(stream.pointee.avail_in))
            let rc = inflate(stream, Z_NO_FLUSH)
            return (rc, count - Int(stream.pointee.avail_out))
        case let .memory(data):
            // The Data's bytes are only borrowed for the duration of this call.
            return try data.withUnsafeBytes { raw -> (Int32, Int) in
                let available = min(raw.count - inputOffset, Int(UInt32.max >> 2))
                let start = raw.baseAddress.map { $0 + inputOffset }
                try checkMagic(start?.assumingMemoryBound(to: Bytef.self), available: available)
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: start?.assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = uInt(available)
                let rc = inflate(stream, Z_NO_FLUSH)
                inputOffset += available - Int(stream.pointee.avail_in)
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
                if inputOffset == raw.count { inputExhausted = true }
                return (rc, count - Int(stream.pointee.avail_out))
            }
        }
    }

    /// Gives a clear error for input that is not gzip at all, before zlib's generic one.
    private func checkMagic(_ bytes: UnsafePointer<Bytef>?, available: Int) throws {
        guard !checkedMagic else { return }
        checkedMagic = true
        let found = (0..<min(available, 2)).map { bytes![$0] }
        if found != [0x1F, 0x8B] {
            throw DataError.notGzip(file: name, found: found)
        }
    }

    /// After a member's trailer: continue if another gzip member follows, else stop.
    private func startNextMemberOrFinish() throws {
        var next: [UInt8] = []
        switch input {
        case let .file(file, buffer, capacity):
            if stream.pointee.avail_in < 2 && !inputExhausted {
                // Move the leftover byte (if any) to the front and top the buffer up.
                let left = Int(stream.pointee.avail_in)
                if left > 0 { buffer.copyMemory(from: stream.pointee.next_in, byteCount: left) }
                let got = try file.read(into: UnsafeMutableRawBufferPointer(start: buffer + left,
                                                                             count: capacity - left))
                if got == 0 { inputExhausted = true }
                inputOffset += got
                stream.pointee.next_in = buffer.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(left + got)
            }
            next = (0..<min(2, Int(stream.pointee.avail_in))).map { stream.pointee.next_in[$0] }
        case let .memory(data):
            next = Array(data.dropFirst(inputOffset).prefix(2))
        }
        if next == [0x1F, 0x8B] {
            inflateReset(stream)
        } else {
            finished = true
        }
    }
}

/// Whole-buffer gzip compression and decompression.
public enum Gzip {
    /// The decompressed contents of the gzip file at `path`.
    public static func decompress(contentsOf path: String) throws -> Data {
        let file = try FileByteStream(path: path)
        // The trailer's last 4 bytes hold the uncompressed size mod 2^32: a good first guess.
        var sizeHint: UInt32 = 0
        if file.size >= 18 {
            _ = try withUnsafeMutableBytes(of: &sizeHint) { try file.read(at: file.size - 4, into: $0) }
        }
        return try readAll(GzipReader(file: file), initialCapacity: Int(UInt32(littleEndian: sizeHint)),
                           compressedSize: file.size)
    }

    /// The decompressed contents of gzip `data`; `name` appears in error messages.
    public static func decompress(_ data: Data, name: String = "<gzip data>") throws -> Data {
        var sizeHint: UInt32 = 0
        if data.count >= 18 {
            withUnsafeMutableBytes(of: &sizeHint) { $0.copyBytes(from: data.suffix(4)) }
        }
        return try readAll(GzipReader(data: data, name: name),
                           initialCapacity: Int(UInt32(littleEndian: sizeHint)), compressedSize: data.count)
    }

    private static func readAll(_ reader: GzipReader, initialCapacity: Int, compressedSize: Int) throws -> Data {
        // Deflate expands at most ~1032:1, so a larger hint is a corrupt trailer: cap it.
        var capacity = max(1024, min(initialCapacity + 1, compressedSize * 1032 + 1024))
        var output = Data(count: capacity)
        var filled = 0
        while true {
            let got = try output.withUnsafeMutableBytes { raw in
                try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            filled += got
            if filled < capacity { break }
            capacity *= 2
            output.count = capacity
        }
        output.count = filled
        return output
    }

    /// `bytes` compressed as a single gzip member (zlib `deflate`, `level` 0–9).
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int = 6) -> Data {
        precondition((0...9).contains(level), "gzip level must be 0...9, got \(level)")
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deallocate() }
        let rc = spike_deflateInit2(stream, Int32(level), 16 + MAX_WBITS)
        precondition(rc == Z_OK, "zlib deflateInit2 failed with code \(rc)")
        var output = Data(count: Int(deflateBound(stream, uLong(bytes.count))) + 64)
        var consumed = 0
        var produced = 0
        while true {
            let (code, used, wrote): (Int32, Int, Int) = output.withUnsafeMutableBytes { out in
                let inChunk = min(bytes.count - consumed, Int(UInt32.max >> 2))
                let outChunk = min(out.count - produced, Int(UInt32.max >> 2))
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: bytes.baseAddress.map { $0 + consumed }?.assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = uInt(inChunk)
                stream.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(outChunk)
                let last = consumed + inChunk == bytes.count
                let code = deflate(stream, last ? Z_FINISH : Z_NO_FLUSH)
                return (code, inChunk - Int(stream.pointee.avail_in), outChunk - Int(stream.pointee.avail_out))
            }
            consumed += used
            produced += wrote
            if code == Z_STREAM_END { break }
            precondition(code == Z_OK || code == Z_BUF_ERROR, "zlib deflate failed with code \(code)")
            if produced == output.count { output.count *= 2 }
        }
        output.count = produced
        return output
    }

    /// `data` compressed as a single gzip member.
    public static func compress(_ data: Data, level: Int = 6) -> Data {
        data.withUnsafeBytes { compress($0, level: level) }
    }
}
