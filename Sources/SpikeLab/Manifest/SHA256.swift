import SpikeData

/// SHA-256 (FIPS 180-4) of small inputs (manifests, checkpoint metadata); the streaming
/// implementation lives in SpikeData as `SHA256Hasher`, where dataset files are hashed too.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func digest<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        SHA256Hasher.digest(bytes)
    }

    /// The digest of `text`'s UTF-8 bytes, as 64 lowercase hex digits.
    public static func hex(_ text: String) -> String {
        FileChecksum.hex(digest(Array(text.utf8)))
    }
}
