import Foundation
import Testing
@testable import SpikeData

@Suite("Checksums")
struct ChecksumTests {
    @Test("MD5 gives the RFC 1321 test-suite digests")
    func md5Vectors() {
        // RFC 1321, appendix A.5.
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (text, digest) in vectors {
            #expect(FileChecksum.hex(MD5.digest(Array(text.utf8))) == digest, "MD5(\"\(text)\")")
        }
    }

    @Test("MD5 and SHA-256 of a million 'a' match the published values")
    func millionA() {
        let bytes = [UInt8](repeating: 0x61, count: 1_000_000)
        #expect(FileChecksum.hex(MD5.digest(bytes)) == "7707d6ae4e027c70eea2a935c2296f21")
        #expect(FileChecksum.hex(SHA256Hasher.digest(bytes)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("Feeding the bytes in uneven pieces gives the same digests as one piece")
    func streamingMatchesOneShot() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let cuts = [0, 1, 63, 64, 65, 127, 1000, 4097, 9999, 10_000]
        var md5 = MD5(), sha = SHA256Hasher()
        for (a, b) in zip(cuts, cuts.dropFirst()) {
            bytes[a..<b].withUnsafeBytes { md5.update($0); sha.update($0) }
        }
        #expect(md5.finalize() == MD5.digest(bytes))
        #expect(sha.finalize() == SHA256Hasher.digest(bytes))
        // 55/56/64-byte lengths straddle the padding boundary.
        for n in [55, 56, 57, 63, 64, 65, 119, 120] {
            let piece = Array(bytes.prefix(n))
            var split = SHA256Hasher()
            split.update(piece.prefix(n / 2))
            split.update(piece.dropFirst(n / 2))
            #expect(split.finalize() == SHA256Hasher.digest(piece), "length \(n)")
        }
    }

    @Test("File digests read the file in chunks and agree with the in-memory digests")
    func fileDigests() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let bytes = (0..<(1 << 20) + 4097).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 9)) }
        let path = dir.write(bytes, to: "blob.bin")
        let digests = try FileChecksum.digests(of: path, kinds: [.md5, .sha256])
        #expect(digests[.md5] == FileChecksum.hex(MD5.digest(bytes)))
        #expect(digests[.sha256] == FileChecksum.hex(SHA256Hasher.digest(bytes)))
    }
}
