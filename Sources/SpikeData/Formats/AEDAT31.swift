import Foundation

/// The AEDAT 3.1 container of DVS128 Gesture (iniVation's cAER): an ASCII header whose last
/// line is `#!END-HEADER\r\n`, then event packets. Each packet has a 28-byte little-endian
/// header (type u16, source u16, eventSize u32, tsOffset u32, tsOverflow u32, capacity u32,
/// number u32, valid u32) followed by `capacity × eventSize` payload bytes.
///
/// Polarity packets (type 1) hold 8-byte events (data u32, timestamp i32): x = (data>>17) & 0x1FFF,
/// y = (data>>2) & 0x1FFF, polarity = (data>>1) & 1, bit 0 = valid; t = ts | tsOverflow<<31.
/// Other packet types are skipped; invalid events (bit 0 clear) are dropped.
public enum AEDAT31 {
    /// What the first header line starts with.
    public static let magic = "#!AER-DAT3.1"
    /// The last header line.
    public static let endOfHeader = "#!END-HEADER\r\n"
    /// Bytes of a packet header.
    public static let packetHeaderSize = 28
    /// Packet type of polarity events.
    public static let polarityType: UInt16 = 1
    /// Bytes of a polarity event.
    public static let polarityEventSize = 8

    /// A decoded file: header lines (without line ends), the polarity events, packet counts.
    public struct Contents: Equatable, Sendable {
        public var header: [String]
        public var events: Events
        /// Packets read, of every type.
        public var packetCount: Int
        /// Packets of other types than polarity, skipped.
        public var skippedPackets: Int
    }

    /// The contents of the file at `path`.
    public static func read(contentsOf path: String) throws -> Contents {
        try decode(readWholeFile(path), file: path)
    }

    /// The contents of `bytes` (a whole file); `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> Contents {
        let magicBytes = Array(magic.utf8)
        if bytes.count < magicBytes.count || Array(bytes[0..<magicBytes.count]) != magicBytes {
            throw DataError.badMagic(file: file, offset: 0, found: "[\(hex(Array(bytes.prefix(magicBytes.count))))]",
                                     expected: "an AEDAT 3.1 header starting with '\(magic)'")
        }
        let end = Array(endOfHeader.utf8)
        var header: [String] = []
        var offset = 0
        var foundEnd = false
        while offset < bytes.count {
            guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            var lineEnd = newline
            if lineEnd > offset && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let line = Array(bytes[offset...newline])
            header.append(String(decoding: bytes[offset..<lineEnd], as: UTF8.self))
            offset = newline + 1
            if line == end { foundEnd = true; break }
            if line.first != UInt8(ascii: "#") {
                throw DataError.badMagic(file: file, offset: offset - line.count, found: "a header line not starting with '#'",
                                         expected: "header lines starting with '#' up to '#!END-HEADER\\r\\n'")
            }
        }
        if !foundEnd {
            throw DataError.truncated(file: file, offset: bytes.count,
                                      expected: "the header's last line '#!END-HEADER\\r\\n' (\(header.count) header lines read)")
        }

        var events = Events()
        var packets = 0, skipped = 0
        try bytes.withUnsafeBufferPointer { b in
            while offset < b.count {
                if b.count - offset < packetHeaderSize {
                    throw DataError.truncated(file: file, offset: offset, expected:
                        "the \(packetHeaderSize)-byte header of packet \(packets), found \(b.count - offset) bytes")
                }
                let type = littleU16(b, at: offset)
                let eventSize = Int(littleU32(b, at: offset + 4))
                let overflow = Int64(littleU32(b, at: offset + 12))
                let capacity = Int(littleU32(b, at: offset + 16))
                let number = Int(littleU32(b, at: offset + 20))
                let payload = eventSize.multipliedReportingOverflow(by: capacity)
                let start = offset + packetHeaderSize
                if payload.overflow || payload.partialValue > b.count - start {
                    throw DataError.truncated(file: file, offset: b.count, expected:
                        "packet \(packets) (header at byte \(offset)) to hold capacity \(capacity) × event size \(eventSize) bytes, "
                        + "found \(b.count - start) bytes after its header")
                }
                if number > capacity {
                    throw DataError.inconsistent(file: file, reason:
                        "packet \(packets) (header at byte \(offset)) says it holds \(number) events but has capacity for \(capacity)")
                }
                if type == polarityType {
                    if eventSize != polarityEventSize {
                        throw DataError.inconsistent(file: file, reason:
                            "polarity packet \(packets) (header at byte \(offset)) has event size \(eventSize), expected \(polarityEventSize)")
                    }
                    events.reserveCapacity(events.count + number)
                    for i in 0..<number {
                        let p = start + i * eventSize
                        let data = littleU32(b, at: p)
                        guard data & 1 == 1 else { continue }
                        let stamp = Int64(Int32(bitPattern: littleU32(b, at: p + 4)))
                        events.append(x: UInt16((data >> 17) & 0x1FFF), y: UInt16((data >> 2) & 0x1FFF),
                                      t: stamp | overflow << 31, polarity: UInt8((data >> 1) & 1))
                    }
                } else {
                    skipped += 1
                }
                packets += 1
                offset = start + payload.partialValue
            }
        }
        return Contents(header: header, events: events, packetCount: packets, skippedPackets: skipped)
    }

    /// The header SpikeLab writes.
    public static let defaultHeader = [magic, "#Format: RAW", "#Source 1: DVS128", "#Written by SpikeLab"]

    /// The bytes of a file holding `events` in polarity packets of at most `packetCapacity`
    /// events (each packet's tsOverflow from its first event), after `header` (lines starting
    /// with `#`; `#!END-HEADER` is appended).
    public static func encode(_ events: Events, header: [String] = defaultHeader, packetCapacity: Int = 4096,
                              source: UInt16 = 1) -> [UInt8] {
        precondition(packetCapacity >= 1, "packet capacity must be at least 1")
        var out: [UInt8] = []
        for line in header {
            precondition(line.hasPrefix("#") && !line.contains("\n"), "AEDAT 3.1 header line must start with '#': \(line)")
            out += Array(line.utf8) + [0x0D, 0x0A]
        }
        out += Array(endOfHeader.utf8)
        var start = 0
        while start < events.count {
            // A packet ends early where the overflow counter (t >> 31) changes.
            let overflow = events.t[start] >> 31
            var end = start
            while end < events.count && end - start < packetCapacity && events.t[end] >> 31 == overflow { end += 1 }
            let n = end - start
            appendLittle(UInt32(polarityType) | UInt32(source) << 16, to: &out)  // type u16, source u16
            appendLittle(UInt32(polarityEventSize), to: &out)
            appendLittle(4, to: &out)  // tsOffset: the timestamp's byte offset in an event
            appendLittle(UInt32(overflow), to: &out)
            appendLittle(UInt32(n), to: &out)  // capacity
            appendLittle(UInt32(n), to: &out)  // number
            appendLittle(UInt32(n), to: &out)  // valid
            for i in start..<end {
                let x = UInt32(events.x[i]), y = UInt32(events.y[i])
                precondition(x <= 0x1FFF && y <= 0x1FFF, "AEDAT 3.1: event \(i) at (\(x), \(y)) does not fit 13 bits")
                precondition(events.t[i] >= 0, "AEDAT 3.1: event \(i) has negative timestamp \(events.t[i])")
                appendLittle(x << 17 | y << 2 | UInt32(events.polarity[i]) << 1 | 1, to: &out)
                appendLittle(UInt32(events.t[i] & 0x7FFF_FFFF), to: &out)
            }
            start = end
        }
        return out
    }

    /// Writes `events` as an AEDAT 3.1 file at `path` (see `encode`).
    public static func write(_ events: Events, header: [String] = defaultHeader, to path: String) throws {
        try writeWholeFile(encode(events, header: header), to: path)
    }
}

@inline(__always)
func littleU16(_ b: UnsafeBufferPointer<UInt8>, at p: Int) -> UInt16 {
    UInt16(b[p]) | UInt16(b[p + 1]) << 8
}

@inline(__always)
func littleU32(_ b: UnsafeBufferPointer<UInt8>, at p: Int) -> UInt32 {
    UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
}

@inline(__always)
func appendLittle(_ v: UInt32, to out: inout [UInt8]) {
    out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
}
