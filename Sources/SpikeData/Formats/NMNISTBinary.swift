import Foundation

/// The `.bin` event files of N-MNIST (and N-Caltech101): 5 bytes per event,
/// b0 = x, b1 = y, bit 7 of b2 = polarity, timestamp (µs) = (b2 & 0x7F)<<16 | b3<<8 | b4.
///
/// A record with y == 240 is not an event but a timestamp overflow marker: it adds 2^13 µs to
/// its own and every later timestamp, and is dropped (the rule of the dataset's published
/// Python reader, which tonic keeps).
public enum NMNISTBinary {
    /// Bytes per record.
    public static let recordSize = 5
    /// The y value that marks a timestamp overflow record.
    public static let overflowMarker: UInt8 = 240
    /// Microseconds one overflow record adds.
    public static let overflowIncrement: Int64 = 1 << 13
    /// Largest timestamp one record can hold directly (23 bits).
    public static let maxTimestamp: Int64 = (1 << 23) - 1

    /// The events of the file at `path`.
    public static func read(contentsOf path: String) throws -> Events {
        try decode(readWholeFile(path), file: path)
    }

    /// The events in `bytes` (a whole `.bin` file); `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> Events {
        if bytes.count % recordSize != 0 {
            throw DataError.partialRecord(file: file, size: bytes.count, recordSize: recordSize, format: "N-MNIST event")
        }
        let records = bytes.count / recordSize
        var events = Events()
        events.reserveCapacity(records)
        var offset: Int64 = 0
        bytes.withUnsafeBufferPointer { b in
            for r in 0..<records {
                let p = r * recordSize
                let b2 = b[p + 2]
                if b[p + 1] == overflowMarker {
                    offset += overflowIncrement
                    continue
                }
                let stamp = Int64(b2 & 0x7F) << 16 | Int64(b[p + 3]) << 8 | Int64(b[p + 4])
                events.append(x: UInt16(b[p]), y: UInt16(b[p + 1]), t: stamp + offset, polarity: b2 >> 7)
            }
        }
        return events
    }

    /// The `.bin` bytes of `events`: x and y must be in 0...255 with y ≠ 240, timestamps in
    /// 0...2^23 − 1 (8.4 s; N-MNIST recordings last about 0.3 s).
    public static func encode(_ events: Events) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: events.count * recordSize)
        for i in 0..<events.count {
            let x = events.x[i], y = events.y[i], t = events.t[i]
            precondition(x <= 255 && y <= 255 && y != UInt16(overflowMarker),
                         "N-MNIST: event \(i) at (\(x), \(y)) does not fit (x, y in 0...255, y ≠ 240)")
            precondition(t >= 0 && t <= maxTimestamp, "N-MNIST: event \(i) timestamp \(t) µs is outside 0...\(maxTimestamp)")
            let p = i * recordSize
            out[p] = UInt8(x)
            out[p + 1] = UInt8(y)
            out[p + 2] = events.polarity[i] << 7 | UInt8((t >> 16) & 0x7F)
            out[p + 3] = UInt8((t >> 8) & 0xFF)
            out[p + 4] = UInt8(t & 0xFF)
        }
        return out
    }

    /// Writes `events` as a `.bin` file at `path` (see `encode`).
    public static func write(_ events: Events, to path: String) throws {
        try writeWholeFile(encode(events), to: path)
    }
}

/// Every byte of the file at `path`, with `DataError.unreadable` naming it on failure.
func readWholeFile(_ path: String) throws -> [UInt8] {
    let file = try FileByteStream(path: path)
    var bytes = [UInt8](repeating: 0, count: file.size)
    let got = try bytes.withUnsafeMutableBytes { try file.read(into: $0) }
    if got < file.size {
        throw DataError.truncated(file: path, offset: got, expected: "\(file.size) bytes (the file shrank while being read)")
    }
    return bytes
}

/// Writes `bytes` to `path` atomically, with `DataError.unwritable` naming it on failure.
func writeWholeFile(_ bytes: [UInt8], to path: String) throws {
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw DataError.unwritable(file: path, reason: error.localizedDescription)
    }
}
