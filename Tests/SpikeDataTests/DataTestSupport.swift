import Foundation
@testable import SpikeData
import SpikeTensor

/// A fresh empty directory under the system temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("spikedata-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ bytes: [UInt8], to name: String) -> String {
        let p = file(name)
        try! Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Big-endian bytes of a u32 (IDX extents), written out by hand.
func bigEndianBytes(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

/// An IDX file built from the format description: 00 00 type rank, u32 BE extents, payload.
func handBuiltIDX(type: UInt8, dims: [UInt32], payload: [UInt8]) -> [UInt8] {
    [0, 0, type, UInt8(dims.count)] + dims.flatMap(bigEndianBytes) + payload
}

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), bit by bit: independent of zlib.
func crc32Reference(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A gzip member built from RFC 1952/1951 by hand: fixed header, the payload as "stored"
/// deflate blocks (no compression), then CRC-32 and length, little-endian.
func handBuiltGzip(_ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]  // magic, deflate, no flags, mtime, xfl, OS
    var offset = 0
    repeat {
        let n = min(65535, payload.count - offset)
        let final: UInt8 = offset + n == payload.count ? 1 : 0
        out.append(final)  // BFINAL bit, BTYPE 00 (stored); the rest of the byte is padding
        out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        out += payload[offset..<(offset + n)]
        offset += n
    } while offset < payload.count
    let crc = crc32Reference(payload), size = UInt32(payload.count)
    for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((crc >> UInt32(shift)) & 0xFF)) }
    for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((size >> UInt32(shift)) & 0xFF)) }
    return out
}

/// The error `body` throws, as a `DataError` (nil if it throws nothing or something else).
func dataError(_ body: () throws -> Void) -> DataError? {
    do {
        try body()
        return nil
    } catch let error as DataError {
        return error
    } catch {
        return nil
    }
}

/// Deterministic pseudo-random bytes for fixtures.
func fixtureBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var g = PhiloxGenerator(seed: seed, stream: 99)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: g.next32()) }
}

// Copies of a tensor's elements. Going through a function keeps the tensor alive while it
// is read: `Array(makeTensor().uint8s)` may free the temporary before the copy is made.
func bytesOf(_ t: Tensor) -> [UInt8] { Array(t.uint8s) }
func intsOf(_ t: Tensor) -> [Int32] { Array(t.int32s) }
func floatsOf(_ t: Tensor) -> [Float] { Array(t.floats) }
