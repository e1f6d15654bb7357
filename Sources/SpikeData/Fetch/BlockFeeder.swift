/// The part MD5 and SHA-256 share: cutting a byte stream into 64-byte blocks and the final
/// padding (a 1 bit, zeros to 56 mod 64 bytes, the bit length in 8 bytes).
struct BlockFeeder: Sendable {
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    init() { pending.reserveCapacity(64) }

    /// Hands every complete 64-byte block of what was fed so far plus `bytes` to `compress(buffer, offset)`;
    /// keeps the rest for the next call.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ compress: (UnsafeRawBufferPointer, Int) -> Void) {
        length &+= UInt64(bytes.count)
        var index = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending += bytes[0..<take]
            index = take
            if pending.count == 64 {
                pending.withUnsafeBytes { compress($0, 0) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        while index + 64 <= bytes.count {
            compress(bytes, index)
            index += 64
        }
        if index < bytes.count { pending += bytes[index...] }
    }

    /// Feeds the padding (length little-endian for MD5, big-endian for SHA-256) through `compress`.
    mutating func finish(bigEndianLength: Bool, _ compress: (UnsafeRawBufferPointer, Int) -> Void) {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (Int(length % 64) + tail.count) % 64 != 56 { tail.append(0) }
        for i in 0..<8 {
            let shift = bigEndianLength ? 56 - 8 * i : 8 * i
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { feed($0, compress) }
    }
}
