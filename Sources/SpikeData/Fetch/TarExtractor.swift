import Foundation

/// Unpacks a tar archive (POSIX ustar, with GNU long names and pax `path`/`linkpath`/`size`
/// records) from a byte stream into an `ExtractionTarget`, one 512-byte block at a time.
///
/// Regular files, directories, symbolic and hard links are extracted; device and FIFO
/// entries are refused. Each header's checksum is verified.
enum TarExtractor {
    private static let block = 512

    /// Extracts every entry of `stream`; returns the number of entries written.
    @discardableResult
    static func extract(_ stream: any ByteStream, into target: ExtractionTarget) throws(FetchError) -> Int {
        let archive = target.archive
        var header: [UInt8] = []
        var longName: String?
        var longLink: String?
        var pax: [String: String] = [:]
        var count = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { chunk.deallocate() }

        func read(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
            do { return try stream.read(into: buffer) } catch {
                throw .badArchive(archive: archive, offset: stream.position, reason: "\(error)")
            }
        }
        /// Reads an entry's body (`size` bytes plus padding to the block size), handing the data to `sink`.
        func body(_ size: Int, at offset: Int, _ sink: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) {
            var left = size
            while left > 0 {
                let want = min(left, chunk.count)
                let got = try read(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<want]))
                if got < want {
                    throw .badArchive(archive: archive, offset: stream.position,
                                      reason: "the archive ends inside the entry starting at byte \(offset) (\(size - left + got) of \(size) bytes)")
                }
                try sink(UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
                left -= got
            }
            let padding = (block - size % block) % block
            if padding > 0 {
                let got = try read(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<padding]))
                if got < padding {
                    throw .badArchive(archive: archive, offset: stream.position, reason: "the archive ends inside the padding of an entry")
                }
            }
        }
        func bodyText(_ size: Int, at offset: Int) throws(FetchError) -> String {
            guard size <= 1 << 20 else {
                throw .badArchive(archive: archive, offset: offset, reason: "a long-name or pax record of \(size) bytes is implausibly large")
            }
            var bytes: [UInt8] = []
            try body(size, at: offset) { (part: UnsafeRawBufferPointer) throws(FetchError) in bytes += part }
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }

        while true {
            let offset = stream.position
            let got = try read(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<block]))
            header = Array(chunk[0..<block])
            if got == 0 { break }  // tolerate archives without the two zero blocks at the end
            if got < block {
                throw .badArchive(archive: archive, offset: offset, reason: "the archive ends inside a header (\(got) of 512 bytes)")
            }
            if header.allSatisfy({ $0 == 0 }) { break }  // end-of-archive marker
            try verifyChecksum(header, archive: archive, offset: offset)

            let type = header[156]
            guard var size = number(header[124..<136]) else {
                throw .badArchive(archive: archive, offset: offset + 124, reason: "the size field is not an octal number")
            }
            if let paxSize = pax["size"].flatMap({ Int($0) }) { size = paxSize }
            var name = text(header[0..<100])
            let prefix = text(header[345..<500])
            if Array(header[257..<262]) == Array("ustar".utf8), !prefix.isEmpty, header[262] == 0 {
                name = prefix + "/" + name  // POSIX ustar: a prefix field, GNU tar uses it for other data
            }
            if let long = pax["path"] ?? longName { name = long }
            var linkName = text(header[157..<257])
            if let long = pax["linkpath"] ?? longLink { linkName = long }

            switch type {
            case UInt8(ascii: "L"):
                longName = try bodyText(size, at: offset)
                continue
            case UInt8(ascii: "K"):
                longLink = try bodyText(size, at: offset)
                continue
            case UInt8(ascii: "x"):
                pax = parsePax(try bodyText(size, at: offset))
                continue
            case UInt8(ascii: "g"):
                _ = try bodyText(size, at: offset)  // global pax header: nothing SpikeLab needs
                continue
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                if name.hasSuffix("/") && size == 0 {
                    try target.makeDirectory(name)
                } else {
                    let mode = mode_t(number(header[100..<108]) ?? 0o644)
                    // The name is checked before any byte of the body is read or written.
                    try target.writeFile(name, mode: mode) { (write: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) in
                        try body(size, at: offset, write)
                    }
                }
            case UInt8(ascii: "5"):
                try target.makeDirectory(name)
                try body(size, at: offset) { (_: UnsafeRawBufferPointer) throws(FetchError) in }
            case UInt8(ascii: "2"):
                try target.makeSymlink(name, target: linkName)
                try body(size, at: offset) { (_: UnsafeRawBufferPointer) throws(FetchError) in }
            case UInt8(ascii: "1"):
                try target.makeHardlink(name, target: linkName)
                try body(size, at: offset) { (_: UnsafeRawBufferPointer) throws(FetchError) in }
            default:
                let kind = [UInt8(ascii: "3"): "character device", UInt8(ascii: "4"): "block device",
                            UInt8(ascii: "6"): "FIFO"][type] ?? "type '\(Character(UnicodeScalar(type)))'"
                throw .unsafeEntry(archive: archive, entry: name,
                                   reason: "\(kind) entries are not extracted; allowed: files, directories, links inside the root")
            }
            count += 1
            longName = nil
            longLink = nil
            pax = [:]
        }
        return count
    }

    /// The header checksum: the byte sum with the checksum field read as spaces.
    private static func verifyChecksum(_ header: [UInt8], archive: String, offset: Int) throws(FetchError) {
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard let stored = number(header[148..<156]), stored == sum else {
            throw .badArchive(archive: archive, offset: offset,
                              reason: "not a tar header (checksum \(text(header[148..<156])) does not match the header's byte sum \(sum)); the archive is damaged or not a tar file")
        }
    }

    /// An octal field (NUL/space padded) or GNU base-256 (high bit of the first byte set).
    static func number(_ field: ArraySlice<UInt8>) -> Int? {
        if let first = field.first, first & 0x80 != 0 {
            var value = Int(first & 0x7F)
            for byte in field.dropFirst() {
                guard value < Int.max >> 8 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let digits = field.prefix { $0 != 0 }.filter { $0 != 32 }
        if digits.isEmpty { return 0 }
        var value = 0
        for digit in digits {
            guard (48...55).contains(digit) else { return nil }
            value = value * 8 + Int(digit - 48)
        }
        return value
    }

    private static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// pax records: `LENGTH KEY=VALUE\n`.
    static func parsePax(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let record = line[line.index(after: space)...]
            guard let equals = record.firstIndex(of: "=") else { continue }
            result[String(record[..<equals])] = String(record[record.index(after: equals)...])
        }
        return result
    }
}
