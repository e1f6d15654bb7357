import Foundation
import Testing
@testable import SpikeData

@Suite("Dataset verify")
struct VerifyTests {
    static let good = Array("the published bytes\n".utf8)

    private func spec(layout: [LayoutEntry] = [], extract: ExtractKind = .none) -> DatasetSpec {
        DatasetSpec(name: "toy", title: "Toy", homepage: "-", licence: "-", files: [
            DatasetFile(name: "a.bin", urls: ["http://example.invalid/a.bin"], size: Self.good.count,
                        checksums: [Checksum(.md5, FileChecksum.hex(MD5.digest(Self.good)))], checksumSource: "test"),
            DatasetFile(name: "b.bin", urls: ["http://example.invalid/b.bin"], size: nil, checksums: []),
            DatasetFile(name: "c.tar", urls: ["http://example.invalid/c.tar"], size: nil,
                        checksums: [Checksum(.sha256, FileChecksum.hex(SHA256Hasher.digest(Self.good)))], checksumSource: "test",
                        extract: extract),
        ], layout: layout)
    }

    @Test("Everything in place: exit-worthy success, one 'ok' line per checked file and 'unchecked' for no published checksum")
    func complete() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write(Self.good, to: "a.bin")
        _ = dir.write([1, 2, 3], to: "b.bin")
        _ = dir.write(Self.good, to: "c.tar")
        let report = try DatasetVerifier.verify(spec(), root: dir.path)
        #expect(report.isComplete)
        #expect(report.lines[0] == "ok         a.bin (20 bytes, md5 match test)")
        #expect(report.lines[1] == "unchecked  b.bin (3 bytes): no published checksum, only the size could be checked")
        #expect(report.lines[2].hasPrefix("ok         c.tar (20 bytes, sha256 match test)"))
        #expect(report.lines.last == "toy: complete under \(dir.path) (3 files, 0 layout entries)")
    }

    @Test("Missing, wrong-size, corrupt and partial files and layout problems are each named on their own line")
    func problems() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write(Self.good + [0], to: "a.bin")                     // one byte too many
        _ = dir.write(Array(Self.good.prefix(4)), to: "c.tar.part")     // only an interrupted download
        try FileManager.default.createDirectory(atPath: dir.file("frames"), withIntermediateDirectories: true)
        _ = dir.write([0], to: "frames/0.bin")
        _ = dir.write([0], to: "frames/1.txt")
        _ = dir.write([0, 0], to: "meta.txt")
        let layout = [LayoutEntry(path: "frames", kind: .directory, count: 3, pattern: "*.bin"),
                      LayoutEntry(path: "labels.csv", kind: .file),
                      LayoutEntry(path: "meta.txt", kind: .file, size: 5),
                      LayoutEntry(path: "frames/0.bin", kind: .directory)]
        let report = try DatasetVerifier.verify(spec(layout: layout), root: dir.path)
        #expect(!report.isComplete)
        #expect(report.lines == [
            "CORRUPT    a.bin: wrong size: 21 bytes, expected 20",
            "MISSING    b.bin",
            "MISSING    c.tar: only an interrupted download (4 bytes in c.tar.part); `spikelab data fetch` resumes it",
            "INCOMPLETE layout entry frames: 1 entries matching *.bin, expected 3",
            "MISSING    layout entry labels.csv (a file)",
            "CORRUPT    layout entry meta.txt: 2 bytes, expected 5",
            "WRONG      layout entry frames/0.bin: a file, expected a directory",
            "toy: NOT complete under \(dir.path): 3 file problems, 4 layout problems",
        ])
    }

    @Test("Same size but different bytes is a checksum mismatch with both digests")
    func mismatch() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var bad = Self.good
        bad[0] ^= 1
        _ = dir.write(bad, to: "a.bin")
        let state = try DatasetVerifier.check(spec().files[0], at: dir.file("a.bin"))
        #expect(state == .checksumMismatch(kind: .md5, expected: FileChecksum.hex(MD5.digest(Self.good)),
                                          actual: FileChecksum.hex(MD5.digest(bad))))
    }

    @Test("A gone archive is fine when its extracted layout is complete, a problem when it is not")
    func extractedArchive() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write(Self.good, to: "a.bin")
        _ = dir.write([1], to: "b.bin")
        let layout = [LayoutEntry(path: "out.txt", kind: .file)]
        var report = try DatasetVerifier.verify(spec(layout: layout, extract: .tar), root: dir.path)
        #expect(!report.isComplete)
        #expect(report.lines.contains("MISSING    c.tar"))
        _ = dir.write([1], to: "out.txt")
        report = try DatasetVerifier.verify(spec(layout: layout, extract: .tar), root: dir.path)
        #expect(report.isComplete)
        #expect(report.lines.contains("absent     c.tar: not needed, its extracted files are all in place"))
    }

    @Test("An accepted alternative copy (e.g. Debian's re-compressed file) verifies and is named")
    func alternativeCopy() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let other = Array("re-compressed copy".utf8)
        _ = dir.write(other, to: "x.gz")
        let file = DatasetFile(name: "x.gz", urls: [], manualInstructions: "-", size: 999,
                               checksums: [Checksum(.md5, String(repeating: "0", count: 32))], checksumSource: "upstream",
                               alternatives: [AlternativeCopy(size: other.count, checksums: [Checksum(.sha256, FileChecksum.hex(SHA256Hasher.digest(other)))],
                                                              source: "a Debian package")])
        #expect(try DatasetVerifier.check(file, at: dir.file("x.gz")) == .ok(note: "18 bytes, sha256 match a Debian package"))
    }

    @Test("Glob patterns match with * anywhere")
    func globs() {
        #expect(DatasetVerifier.matches("cifar10_cat_1.aedat", "*.aedat"))
        #expect(DatasetVerifier.matches("user01_fluorescent_labels.csv", "user*_labels.csv"))
        #expect(!DatasetVerifier.matches("user01.aedat", "user*_labels.csv"))
        #expect(DatasetVerifier.matches("a", "a"))
        #expect(!DatasetVerifier.matches("ab", "a"))
        #expect(!DatasetVerifier.matches("a", "a*a"))
    }
}
