import Foundation

/// The hash functions dataset publishers list checksums in.
public enum ChecksumKind: String, Sendable, CaseIterable {
    case md5, sha256

    /// Hex digits in a digest of this kind.
    public var hexLength: Int { self == .md5 ? 32 : 64 }
}

/// A published checksum: its kind and lowercase hex digits.
public struct Checksum: Sendable, Equatable, CustomStringConvertible {
    public let kind: ChecksumKind
    public let hex: String

    /// A checksum of `kind`; `hex` is lowercased.
    public init(_ kind: ChecksumKind, _ hex: String) {
        self.kind = kind
        self.hex = hex.lowercased()
    }

    /// `md5:…` or `sha256:…`.
    public var description: String { "\(kind.rawValue):\(hex)" }
}

/// Streaming digests of files: both kinds in one pass over the bytes.
public enum FileChecksum {
    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The digests of the file at `path` for each of `kinds`, reading it once in 1 MiB chunks.
    public static func digests(of path: String, kinds: Set<ChecksumKind>) throws -> [ChecksumKind: String] {
        let file = try FileByteStream(path: path)
        var md5 = kinds.contains(.md5) ? MD5() : nil
        var sha = kinds.contains(.sha256) ? SHA256Hasher() : nil
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try file.read(into: buffer)
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            md5?.update(chunk)
            sha?.update(chunk)
            if n < buffer.count { break }
        }
        var result: [ChecksumKind: String] = [:]
        if let md5 { result[.md5] = hex(md5.finalize()) }
        if let sha { result[.sha256] = hex(sha.finalize()) }
        return result
    }
}
