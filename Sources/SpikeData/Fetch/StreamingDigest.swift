/// A hash fed in pieces (MD5, SHA-256): the byte-sequence conveniences both share.
public protocol StreamingDigest {
    init()
    /// Feeds the next bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest of everything fed so far (the hasher itself is left as it was).
    func finalize() -> [UInt8]
}

extension StreamingDigest {
    /// Feeds the next bytes.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// The digest of `bytes`.
    public static func digest<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = Self()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
