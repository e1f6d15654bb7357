import Foundation

/// jAER's AEDAT 2.0 container (CIFAR10-DVS): ASCII header lines that start with `#` (the first
/// is `#!AER-DAT2.0`), then 8-byte events, big-endian (u32 address, u32 timestamp in µs).
///
/// Addresses are decoded with the DVS128 layout: x = (a & 0xFE) >> 1, y = (a & 0x7F00) >> 8,
/// polarity = a & 1. The header ends at the first line that does not start with `#`, as in
/// jAER's and SpikingJelly's readers.
public enum AEDAT2 {
    /// Bytes per event.
    public static let eventSize = 8
    /// What the first header line starts with.
    public static let magic = "#!AER-DAT2.0"

    /// A decoded file: its header lines (without line ends) and its events.
    public struct Contents: Equatable, Sendable {
        public var header: [String]
        public var events: Events
        /// Byte offset of the first event.
        public var dataOffset: Int
    }

    /// The contents of the file at `path`.
    public static func read(contentsOf path: String) throws -> Contents {
        try decode(readWholeFile(path), file: path)
    }

    /// The contents of `bytes` (a whole file); `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> Contents {
        let magicBytes = Array(magic.utf8)
        if bytes.count < magicBytes.count || Array(bytes[0..<magicBytes.count]) != magicBytes {
            let found = Array(bytes.prefix(magicBytes.count))
            throw DataError.badMagic(file: file, offset: 0, found: "[\(hex(found))]",
                                     expected: "an AEDAT 2.0 header starting with '\(magic)'")
        }
        // Header: whole lines starting with '#'.
        var header: [String] = []
        var offset = 0
        while offset < bytes.count && bytes[offset] == UInt8(ascii: "#") {
            guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw DataError.truncated(file: file, offset: bytes.count,
                                          expected: "the end of header line \(header.count + 1) (a '\\n') before the events")
            }
            var end = newline
            if end > offset && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            header.append(String(decoding: bytes[offset..<end], as: UTF8.self))
            offset = newline + 1
        }
        let dataBytes = bytes.count - offset
        if dataBytes % eventSize != 0 {
            let complete = dataBytes / eventSize
            throw DataError.truncated(file: file, offset: offset + complete * eventSize, expected:
                "event \(complete) (\(eventSize) bytes: u32 address, u32 timestamp), found \(dataBytes % eventSize) bytes; "
                + "the events start at byte \(offset) after \(header.count) header lines")
        }
        let count = dataBytes / eventSize
        var events = Events()
        events.reserveCapacity(count)
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<count {
                let p = offset + i * eventSize
                let address = bigEndianU32(b, at: p), stamp = bigEndianU32(b, at: p + 4)
                events.append(x: UInt16((address & 0xFE) >> 1), y: UInt16((address & 0x7F00) >> 8),
                              t: Int64(stamp), polarity: UInt8(address & 1))
            }
        }
        return Contents(header: header, events: events, dataOffset: offset)
    }

    /// The header SpikeLab writes (jAER's wording, `\r\n` line ends as jAER writes them).
    public static let defaultHeader = [
        magic,
        "# This is a raw AE data file created by SpikeLab",
        "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
        "# Timestamps tick is 1 us",
    ]

    /// The address of an event in the DVS128 layout.
    public static func address(x: UInt16, y: UInt16, polarity: UInt8) -> UInt32 {
        precondition(x < 128 && y < 128, "AEDAT 2.0 (DVS128): (\(x), \(y)) is outside 128×128")
        return UInt32(y) << 8 | UInt32(x) << 1 | UInt32(polarity & 1)
    }

    /// The bytes of a file holding `events` (x, y < 128; timestamps in 0...2^32 − 1) after
    /// `header` lines (each must start with `#`; the first should be `#!AER-DAT2.0`).
    public static func encode(_ events: Events, header: [String] = defaultHeader) -> [UInt8] {
        var out: [UInt8] = []
        for line in header {
            precondition(line.hasPrefix("#") && !line.contains("\n"), "AEDAT 2.0 header line must start with '#': \(line)")
            out += Array(line.utf8) + [0x0D, 0x0A]
        }
        out.reserveCapacity(out.count + events.count * eventSize)
        for i in 0..<events.count {
            precondition(events.t[i] >= 0 && events.t[i] <= Int64(UInt32.max),
                         "AEDAT 2.0: event \(i) timestamp \(events.t[i]) does not fit u32")
            appendBigEndian(address(x: events.x[i], y: events.y[i], polarity: events.polarity[i]), to: &out)
            appendBigEndian(UInt32(events.t[i]), to: &out)
        }
        return out
    }

    /// Writes `events` as an AEDAT 2.0 file at `path` (see `encode`).
    public static func write(_ events: Events, header: [String] = defaultHeader, to path: String) throws {
        try writeWholeFile(encode(events, header: header), to: path)
    }
}

@inline(__always)
func bigEndianU32(_ b: UnsafeBufferPointer<UInt8>, at p: Int) -> UInt32 {
    UInt32(b[p]) << 24 | UInt32(b[p + 1]) << 16 | UInt32(b[p + 2]) << 8 | UInt32(b[p + 3])
}

@inline(__always)
func appendBigEndian(_ v: UInt32, to out: inout [UInt8]) {
    out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}
