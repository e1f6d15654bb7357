import CZlib
import Foundation

/// Unpacks a zip archive from its central directory (Zip64 included, for archives and
/// entries past 4 GiB such as COCO's `train2017.zip`), inflating deflate entries with zlib's
/// raw inflate and checking each entry's CRC-32 and size.
enum ZipExtractor {
    private struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
        var unixMode: UInt32?
    }

    /// Extracts every entry of the zip file at `path`; returns the number of entries written.
    @discardableResult
    static func extract(_ path: String, into target: ExtractionTarget) throws(FetchError) -> Int {
        let archive = target.archive
        let file: FileByteStream
        do { file = try FileByteStream(path: path) } catch {
            throw .io(path: path, reason: "\(error)")
        }
        let entries = try centralDirectory(file, archive: archive)
        for entry in entries {
            try extract(entry, from: file, into: target)
        }
        return entries.count
    }

    private static func bytes(_ file: FileByteStream, at offset: Int, count: Int, archive: String, what: String) throws(FetchError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got: Int
        do {
            got = try buffer.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
        } catch {
            throw .badArchive(archive: archive, offset: offset, reason: "\(error)")
        }
        if got < count {
            throw .badArchive(archive: archive, offset: offset, reason: "the file ends inside the \(what)")
        }
        return buffer
    }

    private static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }
    private static func u64(_ b: [UInt8], _ i: Int) -> Int { u32(b, i) | u32(b, i + 4) << 32 }

    private static func centralDirectory(_ file: FileByteStream, archive: String) throws(FetchError) -> [Entry] {
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65 535 bytes.
        let tailSize = min(file.size, 22 + 65_535)
        let tailStart = file.size - tailSize
        let tail = try bytes(file, at: tailStart, count: tailSize, archive: archive, what: "end of the archive")
        var eocd = -1
        var i = tailSize - 22
        while i >= 0 {
            if tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 5 && tail[i + 3] == 6 { eocd = i; break }
            i -= 1
        }
        if eocd < 0 {
            throw .badArchive(archive: archive, offset: file.size,
                              reason: "no end-of-central-directory record (PK\\5\\6) in the last \(tailSize) bytes; not a zip file or truncated")
        }
        var count = u16(tail, eocd + 10)
        var directorySize = u32(tail, eocd + 12)
        var directoryOffset = u32(tail, eocd + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator just before the classic record points at the 64-bit record.
            let locator = eocd - 20
            guard locator >= 0, tail[locator] == 0x50, tail[locator + 1] == 0x4B, tail[locator + 2] == 6, tail[locator + 3] == 7 else {
                throw .badArchive(archive: archive, offset: tailStart + eocd, reason: "Zip64 sizes are announced but the Zip64 locator is missing")
            }
            let recordOffset = u64(tail, locator + 8)
            let record = try bytes(file, at: recordOffset, count: 56, archive: archive, what: "Zip64 end-of-central-directory record")
            guard u32(record, 0) == 0x0606_4B50 else {
                throw .badArchive(archive: archive, offset: recordOffset, reason: "no Zip64 end-of-central-directory record where the locator points")
            }
            count = u64(record, 32)
            directorySize = u64(record, 40)
            directoryOffset = u64(record, 48)
        }
        guard directoryOffset + directorySize <= file.size else {
            throw .badArchive(archive: archive, offset: directoryOffset, reason: "the central directory (\(directorySize) bytes at \(directoryOffset)) runs past the end of the file (\(file.size) bytes)")
        }
        let directory = try bytes(file, at: directoryOffset, count: directorySize, archive: archive, what: "central directory")
        var entries: [Entry] = []
        var p = 0
        for index in 0..<count {
            guard p + 46 <= directory.count, u32(directory, p) == 0x0201_4B50 else {
                throw .badArchive(archive: archive, offset: directoryOffset + p, reason: "central directory entry \(index) has no PK\\1\\2 signature")
            }
            let madeBy = directory[p + 5]
            let nameLength = u16(directory, p + 28), extraLength = u16(directory, p + 30), commentLength = u16(directory, p + 32)
            guard p + 46 + nameLength + extraLength + commentLength <= directory.count else {
                throw .badArchive(archive: archive, offset: directoryOffset + p, reason: "central directory entry \(index) runs past the directory")
            }
            let name = String(decoding: directory[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            var entry = Entry(name: name, method: UInt16(u16(directory, p + 10)), flags: UInt16(u16(directory, p + 8)),
                              crc: UInt32(u32(directory, p + 16)), compressedSize: u32(directory, p + 20),
                              size: u32(directory, p + 24), localHeaderOffset: u32(directory, p + 42),
                              unixMode: madeBy == 3 ? UInt32(u32(directory, p + 38)) >> 16 : nil)
            // Zip64 extra field (id 1): the 64-bit values of the fields that read 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(directory, e), length = u16(directory, e + 2)
                if id == 1 {
                    var q = e + 4
                    if entry.size == 0xFFFF_FFFF && q + 8 <= e + 4 + length { entry.size = u64(directory, q); q += 8 }
                    if entry.compressedSize == 0xFFFF_FFFF && q + 8 <= e + 4 + length { entry.compressedSize = u64(directory, q); q += 8 }
                    if entry.localHeaderOffset == 0xFFFF_FFFF && q + 8 <= e + 4 + length { entry.localHeaderOffset = u64(directory, q) }
                }
                e += 4 + length
            }
            entries.append(entry)
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    private static func extract(_ entry: Entry, from file: FileByteStream, into target: ExtractionTarget) throws(FetchError) {
        let archive = target.archive
        if entry.flags & 1 != 0 {
            throw .badArchive(archive: archive, offset: entry.localHeaderOffset, reason: "entry '\(entry.name)' is encrypted; encrypted zip entries are not supported")
        }
        let local = try bytes(file, at: entry.localHeaderOffset, count: 30, archive: archive, what: "local header of '\(entry.name)'")
        guard u32(local, 0) == 0x0403_4B50 else {
            throw .badArchive(archive: archive, offset: entry.localHeaderOffset, reason: "entry '\(entry.name)' has no local header (PK\\3\\4) where the central directory points")
        }
        let dataStart = entry.localHeaderOffset + 30 + u16(local, 26) + u16(local, 28)
        guard dataStart + entry.compressedSize <= file.size else {
            throw .badArchive(archive: archive, offset: dataStart, reason: "entry '\(entry.name)' (\(entry.compressedSize) bytes) runs past the end of the file")
        }
        let fileType = entry.unixMode.map { $0 & 0o170000 }
        if entry.name.hasSuffix("/") || fileType == 0o040000 {
            try target.makeDirectory(entry.name)
            return
        }
        if fileType == 0o120000 {
            // A symbolic link: its target is the entry's (small) content.
            var content: [UInt8] = []
            try read(entry, from: file, at: dataStart, archive: archive) { (part: UnsafeRawBufferPointer) throws(FetchError) in content += part }
            try target.makeSymlink(entry.name, target: String(decoding: content, as: UTF8.self))
            return
        }
        if let fileType, fileType != 0o100000, fileType != 0 {
            throw .unsafeEntry(archive: archive, entry: entry.name, reason: "special files (mode \(String(fileType, radix: 8))) are not extracted")
        }
        let mode = mode_t(entry.unixMode.map { $0 & 0o777 } ?? 0o644)
        try target.writeFile(entry.name, mode: mode == 0 ? 0o644 : mode) { (write: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) in
            try read(entry, from: file, at: dataStart, archive: archive, write)
        }
    }

    /// Streams an entry's uncompressed bytes to `sink`, then checks its size and CRC-32.
    private static func read(_ entry: Entry, from file: FileByteStream, at start: Int, archive: String,
                             _ sink: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) {
        guard entry.method == 0 || entry.method == 8 else {
            throw .badArchive(archive: archive, offset: entry.localHeaderOffset,
                              reason: "entry '\(entry.name)' uses compression method \(entry.method); supported: 0 (stored), 8 (deflate)")
        }
        let chunk = 1 << 20
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { input.deallocate(); output.deallocate() }
        var crc = crc32(0, nil, 0)
        var produced = 0
        var consumed = 0
        func readInput() throws(FetchError) -> Int {
            let want = min(chunk, entry.compressedSize - consumed)
            guard want > 0 else { return 0 }
            let got: Int
            do { got = try file.read(at: start + consumed, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want])) } catch {
                throw .badArchive(archive: archive, offset: start + consumed, reason: "\(error)")
            }
            consumed += got
            return got
        }
        func emit(_ bytes: UnsafeRawBufferPointer) throws(FetchError) {
            guard !bytes.isEmpty else { return }
            crc = crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
            produced += bytes.count
            if produced > entry.size {
                throw .badArchive(archive: archive, offset: start, reason: "entry '\(entry.name)' inflates past its declared size of \(entry.size) bytes")
            }
            try sink(bytes)
        }

        if entry.method == 0 {
            while true {
                let got = try readInput()
                if got == 0 { break }
                try emit(UnsafeRawBufferPointer(rebasing: input[0..<got]))
            }
        } else {
            var stream = z_stream()
            guard spike_inflateInit2(&stream, -MAX_WBITS) == Z_OK else {
                throw .io(path: archive, reason: "zlib inflateInit2 failed")
            }
            defer { inflateEnd(&stream) }
            var ended = false
            while !ended {
                if stream.avail_in == 0 {
                    let got = try readInput()
                    if got == 0 {
                        throw .badArchive(archive: archive, offset: start + consumed, reason: "entry '\(entry.name)': the deflate data ends before its end marker")
                    }
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(got)
                }
                stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(chunk)
                let rc = inflate(&stream, Z_NO_FLUSH)
                switch rc {
                case Z_OK, Z_BUF_ERROR: break
                case Z_STREAM_END: ended = true
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw .badArchive(archive: archive, offset: start + consumed - Int(stream.avail_in),
                                      reason: "entry '\(entry.name)': corrupt deflate data: \(message)")
                }
                try emit(UnsafeRawBufferPointer(rebasing: output[0..<(chunk - Int(stream.avail_out))]))
            }
        }
        if produced != entry.size {
            throw .badArchive(archive: archive, offset: start, reason: "entry '\(entry.name)' holds \(produced) bytes, the directory says \(entry.size)")
        }
        if UInt32(crc) != entry.crc {
            throw .badArchive(archive: archive, offset: start,
                              reason: "entry '\(entry.name)' fails its CRC-32 check (\(String(UInt32(crc), radix: 16)) vs \(String(entry.crc, radix: 16)))")
        }
    }
}
